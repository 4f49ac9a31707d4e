using System.Globalization;
using Sluice.Core.Configuration;

namespace Sluice.Core.Destinations;

/// <summary>The type of a destination or source option in <c>sluice.yaml</c>.</summary>
public enum OptionType
{
    String,
    Secret,
    Url,
    Integer,
    Number,
    Boolean,
    Choice,
}

/// <summary>
/// One option a destination (or source) accepts, declared once: its type, default, range or rule and one
/// line of documentation. The project parser checks every value against it, <see cref="DestinationSettings"/>
/// applies its default, and redaction reads <see cref="IsSecret"/>; the destination itself re-checks nothing.
/// Secret options are never printed.
/// </summary>
/// <param name="Name">The key in the block, e.g. <c>batch_size</c>.</param>
/// <param name="Type">What kind of value the key takes.</param>
/// <param name="Description">One line of documentation, shown in hints.</param>
/// <param name="Required">The block must set it (to a non-empty value).</param>
/// <param name="Default">The value used when the block does not set it, written as in <c>sluice.yaml</c>.</param>
/// <param name="Choices">For <see cref="OptionType.Choice"/>: the accepted values (case-sensitive).</param>
public sealed record OptionSpec(
    string Name,
    OptionType Type,
    string Description,
    bool Required = false,
    string? Default = null,
    IReadOnlyList<string>? Choices = null)
{
    /// <summary>For <see cref="OptionType.Integer"/> and <see cref="OptionType.Number"/>: the smallest value accepted.</summary>
    public double? Minimum { get; init; }

    /// <summary>For <see cref="OptionType.Integer"/> and <see cref="OptionType.Number"/>: the largest value accepted.</summary>
    public double? Maximum { get; init; }

    /// <summary>
    /// A rule beyond the type and range, run on the trimmed value once it fits the type: returns what the value
    /// must be ("a version such as 62.0"), or null when it fits.
    /// </summary>
    public Func<string, string?>? Rule { get; init; }

    public bool IsSecret => Type == OptionType.Secret;

    /// <summary>
    /// Checks a value written for this option against its type, range, choices and rule. Returns null when it
    /// fits, with <paramref name="normalized"/> the value to use (trimmed; booleans as <c>true</c>/<c>false</c>);
    /// otherwise what is wrong, worded so that it never repeats the value (it may be a secret).
    /// </summary>
    public OptionError? Check(string text, out string normalized)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        normalized = Type is OptionType.String or OptionType.Secret ? text : trimmed;
        var error = Type switch
        {
            OptionType.Integer => CheckInteger(trimmed),
            OptionType.Number => CheckNumber(trimmed),
            OptionType.Boolean => ParseBool(trimmed) is null ? new OptionError("true or false", "Write true or false.") : null,
            OptionType.Url when !IsHttpUrl(trimmed) =>
                new OptionError("an absolute http(s) URL", $"Write a URL such as https://example.com. {Description}"),
            OptionType.Choice when Choices is { } choices && !choices.Contains(trimmed, StringComparer.Ordinal) =>
                new OptionError($"one of {Suggestions.List(choices)}", $"Use one of {Suggestions.List(choices)}.", Suggestions.DidYouMean(trimmed, choices)),
            _ => null,
        };
        if (error is null && Type == OptionType.Boolean)
        {
            normalized = ParseBool(trimmed)!.Value ? "true" : "false";
        }

        if (error is null && Rule?.Invoke(trimmed) is { } mustBe)
        {
            error = new OptionError(mustBe, Description);
        }

        return error;
    }

    /// <summary>True for an absolute http or https URL: the only URLs an option or a webhook takes.</summary>
    public static bool IsHttpUrl(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);

    /// <summary><c>true</c> or <c>false</c>, in any case; null for anything else.</summary>
    public static bool? ParseBool(string text) =>
        text.Equals("true", StringComparison.OrdinalIgnoreCase) ? true
        : text.Equals("false", StringComparison.OrdinalIgnoreCase) ? false
        : null;

    private OptionError? CheckInteger(string text)
    {
        // Integers are read as int by destinations: outside that range a value is not a usable whole number.
        if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value is < int.MinValue or > int.MaxValue)
        {
            return new OptionError("a whole number" + Range(), $"Write a number such as {Example("100")}. {Description}");
        }

        return InRange(value) ? null : new OptionError("a whole number" + Range(), $"Write a number such as {Example("100")}. {Description}");
    }

    private OptionError? CheckNumber(string text)
    {
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            return new OptionError("a number" + Range(), $"Write a number such as {Example("2.5")}. {Description}");
        }

        return InRange(value) ? null : new OptionError("a number" + Range(), $"Write a number such as {Example("2.5")}. {Description}");
    }

    private bool InRange(double value) => (Minimum is not { } min || value >= min) && (Maximum is not { } max || value <= max);

    private string Range() => (Minimum, Maximum) switch
    {
        ({ } min, { } max) => $" from {Format(min)} to {Format(max)}",
        ({ } min, null) => $" of at least {Format(min)}",
        (null, { } max) => $" of at most {Format(max)}",
        _ => "",
    };

    // With a range, the example must be inside it: the default is.
    private string Example(string fallback) => Minimum is null && Maximum is null ? fallback : Default ?? Format(Minimum ?? Maximum!.Value);

    private static string Format(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}

/// <summary>
/// Why a value does not fit its <see cref="OptionSpec"/>: a message reads <c>{option} must be {MustBe}, not {value}{Suggestion}</c>.
/// </summary>
/// <param name="MustBe">What the value must be, e.g. "a whole number from 1 to 1000".</param>
/// <param name="Hint">What to write instead.</param>
/// <param name="Suggestion">A did-you-mean suffix (with its leading punctuation), or empty.</param>
public sealed record OptionError(string MustBe, string Hint, string Suggestion = "");

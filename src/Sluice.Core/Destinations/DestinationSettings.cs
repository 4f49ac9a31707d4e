using System.Globalization;
using Sluice.Core.Configuration;

namespace Sluice.Core.Destinations;

/// <summary>
/// A destination's options as written in <c>sluice.yaml</c>, with <c>${VAR}</c> already resolved. The parser
/// has checked every value against the provider's <see cref="OptionSpec"/>s, so a destination reads them with
/// the typed getters that take the spec: those apply the spec's default (written only there) and fail only on
/// a value that bypassed the parser (a programming error).
/// </summary>
/// <remarks>
/// An option whose <c>${VAR}</c> is not set is <see cref="IsSet">set</see> but <see cref="Unresolved"/>: reading
/// it throws a <see cref="ConfigException"/> with the variable's problem (file:line:col, the variable, the .env
/// hint), so only what needs that value fails, e.g. not <c>plan</c>, which never calls the destination.
/// </remarks>
public sealed class DestinationSettings
{
    private readonly IReadOnlyDictionary<string, string> _values;

    public DestinationSettings(string name, string type, IReadOnlyDictionary<string, string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        Name = name;
        Type = type;
        _values = values;
    }

    /// <summary>The destination's name in <c>sluice.yaml</c> (e.g. <c>iterable</c>).</summary>
    public string Name { get; }

    /// <summary>The destination type (e.g. <c>iterable</c>, <c>salesforce</c>).</summary>
    public string Type { get; }

    /// <summary>Options written with a <c>${VAR}</c> that is not set; their values are unknown.</summary>
    public IReadOnlyList<UnresolvedSetting> Unresolved { get; init; } = [];

    /// <summary>Whether the block writes the option, even with a variable that is not set. Never reads the value.</summary>
    public bool IsSet(string option) =>
        (_values.TryGetValue(option, out var v) && v.Length > 0) || Unresolved.Any(u => u.Key == option);

    /// <summary>The option as written, or null when the block does not set it. Throws when its variable is not set.</summary>
    public string? GetString(string option)
    {
        if (Unresolved.Count > 0 && Unresolved.Any(u => u.Key == option))
        {
            // Every missing variable of the block at once: the user fixes the .env in one go.
            throw new ConfigException(Unresolved.SelectMany(u => u.Problems).ToList());
        }

        return _values.TryGetValue(option, out var v) && v.Length > 0 ? v : null;
    }

    public string GetRequiredString(string option) =>
        GetString(option) ?? throw new InvalidOperationException($"Destination '{Name}' has no '{option}' option.");

    /// <summary>The option's text, or its default; null when neither is given.</summary>
    public string? GetString(OptionSpec option)
    {
        ArgumentNullException.ThrowIfNull(option);
        return GetString(option.Name) ?? option.Default;
    }

    public int GetInt(OptionSpec option) =>
        int.Parse(Checked(option, OptionType.Integer), NumberStyles.Integer, CultureInfo.InvariantCulture);

    public double GetDouble(OptionSpec option) =>
        double.Parse(Checked(option, OptionType.Number), NumberStyles.Float, CultureInfo.InvariantCulture);

    public bool GetBool(OptionSpec option) => OptionSpec.ParseBool(Checked(option, OptionType.Boolean))!.Value;

    public int? GetInt(string option) =>
        GetString(option) is { } v ? int.Parse(v, NumberStyles.Integer, CultureInfo.InvariantCulture) : null;

    public double? GetDouble(string option) =>
        GetString(option) is { } v ? double.Parse(v.TrimEnd('%'), NumberStyles.Float, CultureInfo.InvariantCulture) : null;

    public bool? GetBool(string option) => GetString(option) is { } v ? bool.Parse(v) : null;

    /// <summary>Settings for tests and code that builds a destination without a project file.</summary>
    public static DestinationSettings From(string name, string type, params (string Key, string Value)[] values) =>
        new(name, type, values.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal));

    private string Checked(OptionSpec option, OptionType type)
    {
        ArgumentNullException.ThrowIfNull(option);
        if (option.Type != type)
        {
            throw new InvalidOperationException($"Option '{option.Name}' is declared as {option.Type}, not {type}.");
        }

        var text = GetString(option) ?? throw new InvalidOperationException($"Destination '{Name}' has no '{option.Name}' option and it has no default.");
        // Only settings built without the parser get here with a bad value; the message never shows it.
        return option.Check(text, out var normalized) is { } error
            ? throw new InvalidOperationException($"Destination '{Name}': option '{option.Name}' must be {error.MustBe}.")
            : normalized;
    }
}

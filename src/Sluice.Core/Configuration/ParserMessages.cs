using Sluice.Core.Destinations;

namespace Sluice.Core.Configuration;

/// <summary>
/// The messages and hints several sections of <c>sluice.yaml</c> share, worded once. Messages name the place
/// (<c>what</c>) and show a value only as <see cref="ResolvedValue.Shown"/>: never a value that came from a variable.
/// </summary>
internal static class ParserMessages
{
    public const string SingleValueHint = "Write it on one line after the colon.";

    public const string MappingHint = "Indent its keys under it, one key: value per line.";

    public const string KeyNotPlain = "a key must be a plain name";

    public const string KeyNotPlainHint = "Write name: value.";

    public const string TrueOrFalseHint = "Write true or false.";

    public static string NotSingleValue(string what, string found) => $"{what} must be a single value, not {found}";

    public static string NotMapping(string what, string found) => $"{what} must be a mapping of keys to values, not {found}";

    public static string NotTrueOrFalse(string what, string shown) => $"{what} must be true or false, not {shown}";

    /// <summary>An option value that does not fit its <see cref="OptionSpec"/>.</summary>
    public static string MustBe(string what, OptionError error, string shown) => $"{what} must be {error.MustBe}, not {shown}{error.Suggestion}";

    public static string UnknownKey(string key, string where, string? suggestion) =>
        $"unknown key '{key}' in {where}" + (suggestion is null ? "" : $"; did you mean '{suggestion}'?");

    public static string UnknownKeyHint(string? suggestion, IReadOnlyList<string> valid) =>
        (suggestion is null ? "Remove it." : $"Rename it to '{suggestion}', or remove it.") + $" Valid keys here: {Suggestions.List(valid)}.";
}

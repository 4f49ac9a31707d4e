using System.Globalization;

namespace Sluice.Destinations.Actito;

/// <summary>
/// The destination id Sluice keeps for a profile: its <c>profileId</c> (from single calls), or, for profiles
/// written by an ETL execution (which reports no ids), a key reference <c>attribute=value</c> on the unique key
/// column, the form Actito itself accepts in <c>.../profile/{attribute}={value}</c>. Deletes work from either.
/// </summary>
internal readonly record struct ProfileRef(string? Attribute, string Value)
{
    public const string ProfileIdAttribute = "profileId";

    public static string Key(string attribute, string value) =>
        attribute == ProfileIdAttribute ? value : attribute + "=" + value;

    /// <summary>Reads a destination id; null when there is none or it is neither form.</summary>
    public static ProfileRef? Parse(string? destinationId)
    {
        if (string.IsNullOrEmpty(destinationId)) return null;
        if (long.TryParse(destinationId, NumberStyles.None, CultureInfo.InvariantCulture, out _)) return new ProfileRef(null, destinationId);
        var eq = destinationId.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0 || eq == destinationId.Length - 1) return null;
        var attribute = destinationId[..eq];
        if (attribute == ProfileIdAttribute)
        {
            var id = destinationId[(eq + 1)..];
            return long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out _) ? new ProfileRef(null, id) : null;
        }
        return new ProfileRef(attribute, destinationId[(eq + 1)..]);
    }
}

using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sluice.Emulators.Iterable;

/// <summary>Iterable's field types and how a first value fixes one (see the facts file, section 6).</summary>
internal static class FieldTypes
{
    public const string String = "string";
    public const string Date = "date";
    public const string Long = "long";
    public const string Double = "double";
    public const string Object = "object";
    public const string GeoLocation = "geo_location";
    public const string GeoSuffix = "_geo_location";

    // Iterable's accepted date formats; fractional seconds only in the 'T' forms.
    private static readonly string[] DateFormats =
    [
        "yyyy-MM-dd",
        "yyyy-MM-dd HH:mm:ss",
        "yyyy-MM-dd HH:mm:ss zzz",
        "yyyy-MM-dd'T'HH:mm:sszzz",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFzzz",
        "yyyy-MM-dd'T'HH:mm:ss'Z'",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFF'Z'",
    ];

    public static bool IsDate(string value) =>
        value.Length is >= 10 and <= 40
        && char.IsAsciiDigit(value[0])
        && DateTimeOffset.TryParseExact(value, DateFormats, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal, out _);

    /// <summary>Type of a scalar (non-null, non-container) JSON value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static string OfScalar(JsonElement value, string booleanName)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                return IsDate(value.GetString()!) ? Date : String;
            case JsonValueKind.True:
            case JsonValueKind.False:
                return booleanName;
            case JsonValueKind.Number:
                return value.TryGetInt64(out _) ? Long : Double;
            default:
                return String;
        }
    }

    /// <summary>A <c>*_geo_location</c> field whose value is <c>{"lat":n,"lon":n}</c>.</summary>
    public static bool IsGeoLocation(string path, JsonElement value)
    {
        if (!path.EndsWith(GeoSuffix, StringComparison.Ordinal))
            return false;
        var count = 0;
        foreach (var _ in value.EnumerateObject())
            count++;
        return count == 2
            && value.TryGetProperty("lat"u8, out var lat) && lat.ValueKind == JsonValueKind.Number
            && value.TryGetProperty("lon"u8, out var lon) && lon.ValueKind == JsonValueKind.Number;
    }

    /// <summary>Whether a value of type <paramref name="incoming"/> may be stored in a field of type <paramref name="existing"/>.</summary>
    public static bool Accepts(string existing, string incoming, bool integersInDoubles) =>
        string.Equals(existing, incoming, StringComparison.Ordinal)
        || (existing == String && incoming == Date) // a date-shaped text is still text
        || (integersInDoubles && existing == Double && incoming == Long);

    /// <summary>The "incomingTypes" Iterable lists in a mismatch (strings are indexed as text and keyword).</summary>
    public static JsonArray IncomingTypes(string incoming) =>
        incoming == String ? new JsonArray("string", "keyword") : new JsonArray(incoming);
}

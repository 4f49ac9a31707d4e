using System.Globalization;
using System.Numerics;
using System.Text.Json;

namespace Sluice.Cli;

/// <summary>How the commands print values and order keys: the same on every machine, whatever its culture.</summary>
internal static class Formats
{
    /// <summary>A model value as text: ISO 8601 dates and times, invariant numbers, <c>null</c> for none.</summary>
    public static string Value(object? value) => value switch
    {
        null or DBNull => "null",
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateTime { TimeOfDay.Ticks: 0, Kind: not DateTimeKind.Utc } d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateTime { Kind: DateTimeKind.Utc } d => d.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture),
        DateTime d => d.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture),
        DateTimeOffset d => d.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture),
        TimeOnly t => t.ToString("HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        string s => s,
        _ => value is System.Collections.IEnumerable ? JsonSerializer.Serialize(value) : value.ToString() ?? "",
    };

    /// <summary>A time of the state (UTC) as ISO 8601.</summary>
    public static string Utc(DateTime time) => time.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>Orders keys as numbers when both are integers (1, 2, 10, 100), as text otherwise.</summary>
    public static IComparer<string> Keys { get; } = Comparer<string>.Create(CompareKeys);

    private static int CompareKeys(string? a, string? b)
    {
        if (BigInteger.TryParse(a, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var x) &&
            BigInteger.TryParse(b, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var y))
        {
            var byValue = x.CompareTo(y);
            return byValue != 0 ? byValue : string.CompareOrdinal(a, b);
        }
        // Numbers before text, so a mixed list keeps its numeric part in order.
        var aNumber = BigInteger.TryParse(a, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _);
        var bNumber = BigInteger.TryParse(b, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _);
        if (aNumber != bNumber)
            return aNumber ? -1 : 1;
        return string.CompareOrdinal(a, b);
    }

    /// <summary>A count as users read it: 1,234 (invariant, so the same in every log).</summary>
    public static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
}

using Sluice.Core.Models;

namespace Sluice.Destinations.Actito;

/// <summary>
/// Which model column types can reach Actito. Every DuckDB type arrives as a value of its kind; lists, structs and maps
/// as JSON text, UUIDs as text, HUGEINT as an integer (or a decimal past 64 bits), TIMESTAMPTZ in UTC. Binary values
/// and intervals have no Actito form, so a sync that maps them is refused before anything is sent.
/// </summary>
internal static class ColumnTypes
{
    /// <summary>Why the column cannot be sent, with a hint; null when it can.</summary>
    public static (string Reason, string Hint)? Refusal(ModelColumn column)
    {
        var type = BaseType(column.SourceType);
        if (type is "BLOB" or "BYTEA" or "BINARY" or "VARBINARY" or "BIT" or "BITSTRING")
        {
            return ($"Column '{column.Name}' has type {column.SourceType}, which cannot be sent to Actito: Actito has no binary " +
                    "attribute type, and its text attributes hold at most 255 characters.",
                "Leave the column out, or turn it into text in the model's SQL (e.g. base64(col) or md5(col)).");
        }
        if (type == "INTERVAL")
        {
            return ($"Column '{column.Name}' has type {column.SourceType}, which cannot be sent to Actito: Actito has no duration " +
                    "attribute type.",
                "Convert it in the model's SQL: epoch(col) for seconds (an INTEGER attribute) or CAST(col AS VARCHAR) for text.");
        }
        return null;
    }

    /// <summary>The type name without its parameters or element types: DECIMAL(18,3) is DECIMAL, INTEGER[] is LIST.</summary>
    private static string BaseType(string sourceType)
    {
        var t = sourceType.Trim().ToUpperInvariant();
        if (t.EndsWith(']')) return "LIST";
        var cut = t.IndexOfAny(['(', ' ']);
        return cut > 0 ? t[..cut] : t;
    }
}

using Sluice.Core.Models;

namespace Sluice.Destinations.Salesforce.Schema;

/// <summary>How a value is written for a Salesforce field type.</summary>
internal enum ValueShape
{
    Text,
    Boolean,
    Number,
    Date,
    DateTime,
    Time,
}

/// <summary>Which model column kinds fit which Salesforce field types (the seed: "the data type must be the same").</summary>
internal static class FieldTypes
{
    private static readonly ValueKind[] TextKinds = [ValueKind.Text, ValueKind.Other];
    private static readonly ValueKind[] NumberKinds = [ValueKind.Integer, ValueKind.Decimal, ValueKind.Float];

    /// <summary>The column kinds a field type accepts and how to write them; null when Sluice cannot write the type.</summary>
    public static (ValueShape Shape, ValueKind[] Kinds, string Expected)? Accepts(string sfType) => sfType.ToLowerInvariant() switch
    {
        "string" or "email" or "phone" or "url" or "textarea" or "picklist" or "combobox" or "multipicklist"
            or "encryptedstring" or "reference" or "id"
            => (ValueShape.Text, TextKinds, "a text column"),
        "boolean" => (ValueShape.Boolean, [ValueKind.Boolean], "a boolean column"),
        "int" or "long" => (ValueShape.Number, [ValueKind.Integer], "an integer column"),
        "double" or "currency" or "percent" => (ValueShape.Number, NumberKinds, "a numeric column (integer, decimal or float)"),
        "date" => (ValueShape.Date, [ValueKind.Date, ValueKind.Timestamp], "a date (or timestamp) column"),
        "datetime" => (ValueShape.DateTime, [ValueKind.Timestamp, ValueKind.Date], "a timestamp (or date) column"),
        "time" => (ValueShape.Time, [ValueKind.Time], "a time column"),
        "base64" => (ValueShape.Text, [ValueKind.Other], "a BLOB column (sent as base64)"),
        _ => null,
    };

    /// <summary>The family of a column of kind Other, from its source type (DuckDB spells lists INTEGER[] or LIST).</summary>
    public static string OtherFamily(string sourceType)
    {
        var t = sourceType.Trim().ToUpperInvariant();
        if (t.EndsWith(']') || t.StartsWith("LIST", StringComparison.Ordinal))
            return "LIST";
        foreach (var family in new[] { "STRUCT", "MAP", "UNION", "BLOB", "BYTEA", "INTERVAL", "JSON" })
        {
            if (t.StartsWith(family, StringComparison.Ordinal))
                return family == "BYTEA" ? "BLOB" : family;
        }
        return t;
    }

    /// <summary>
    /// Columns without a kind of their own reach Salesforce as text the source renders (LIST, STRUCT, MAP and JSON as
    /// JSON, INTERVAL as d.hh:mm:ss, BLOB as base64): nested values and intervals only into free-text fields, binary
    /// only into base64 fields. Null when the pair works; else why not, naming the column and its type.
    /// </summary>
    public static string? OtherKindProblem(ModelColumn column, string obj, string field, string sfType)
    {
        var family = OtherFamily(column.SourceType);
        var type = sfType.ToLowerInvariant();
        var freeText = type is "string" or "textarea" or "encryptedstring";
        return family switch
        {
            "BLOB" when type == "base64" => null,
            "BLOB" => Messages.BinaryNotText(column, obj, field, sfType),
            _ when type == "base64" => Messages.TypeMismatch(column, obj, field, sfType, "a BLOB column (sent as base64)"),
            "LIST" or "STRUCT" or "MAP" or "UNION" or "JSON" when !freeText => Messages.NestedNeedsText(column, obj, field, sfType),
            "INTERVAL" when !freeText => Messages.IntervalNeedsText(column, obj, field, sfType),
            _ when !freeText => Messages.TypeMismatch(column, obj, field, sfType, "a column of a type Salesforce has (text, number, boolean, date, time)"),
            _ => null,
        };
    }

    public static ValueShape ShapeOf(string sfType) => Accepts(sfType)?.Shape ?? ValueShape.Text;

    public static bool IsNumeric(string sfType) => ShapeOf(sfType) == ValueShape.Number;
}

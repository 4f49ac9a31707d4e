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
        _ => null,
    };

    public static ValueShape ShapeOf(string sfType) => Accepts(sfType)?.Shape ?? ValueShape.Text;

    public static bool IsNumeric(string sfType) => ShapeOf(sfType) == ValueShape.Number;
}

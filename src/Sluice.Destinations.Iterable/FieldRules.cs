using Sluice.Core.Models;

namespace Sluice.Destinations.Iterable;

/// <summary>Iterable's rules about user field names and types (facts file, section 6).</summary>
internal static class FieldRules
{
    public const string Email = "email";
    public const string UserId = "userId";

    // Fields Iterable manages itself; writing them through a sync would corrupt lists, subscriptions or metadata.
    private static readonly HashSet<string> ManagedFields = new(StringComparer.OrdinalIgnoreCase)
    {
        "emailListIds", "userListIds", "signupDate", "signupSource", "profileUpdatedAt", "subscribedMessageTypeIds",
        "devices", "itblInternal", "itblDS", "itblUserId",
    };

    public static bool IsIdentifier(string field) =>
        field.Equals(Email, StringComparison.OrdinalIgnoreCase) || field.Equals(UserId, StringComparison.OrdinalIgnoreCase);

    public static bool IsManaged(string field) =>
        ManagedFields.Contains(field)
        || field.StartsWith("itbl", StringComparison.OrdinalIgnoreCase)
        || field.StartsWith("unsubscribed", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// How a column's values are written: DuckDB LIST/ARRAY columns as JSON arrays, STRUCT and MAP as JSON objects,
    /// JSON columns as the JSON they hold (the source hands all of these over as JSON text); null: a scalar.
    /// </summary>
    public static string? JsonShape(ModelColumn column)
    {
        if (column.Kind != ValueKind.Other)
            return null;
        var type = column.SourceType.Trim().ToUpperInvariant();
        if (type.EndsWith(']'))
            return "array";
        if (type.StartsWith("STRUCT", StringComparison.Ordinal) || type.StartsWith("MAP", StringComparison.Ordinal))
            return "object";
        return type == "JSON" ? "json" : null;
    }

    /// <summary>Whether an existing Iterable field of <paramref name="iterableType"/> takes the column's values.</summary>
    public static bool Accepts(string iterableType, ModelColumn column) => JsonShape(column) switch
    {
        // Arrays are typed by their elements in Iterable, and a JSON column can hold anything: only objects are sure.
        "array" or "json" => true,
        "object" => iterableType.ToLowerInvariant() is "object" or "nested" or "geo_location",
        _ => Accepts(iterableType, column.Kind),
    };

    /// <summary>The Iterable type Sluice sends for a column, for messages.</summary>
    public static string WireType(ModelColumn column) => JsonShape(column) switch
    {
        "array" => "array",
        "object" => "object",
        "json" => "JSON",
        _ => WireType(column.Kind),
    };

    /// <summary>
    /// Whether values of a model column kind can be written into an existing Iterable field type without a
    /// RequestFieldsTypesMismatched. Unknown Iterable types are given the benefit of the doubt.
    /// </summary>
    public static bool Accepts(string iterableType, ValueKind kind)
    {
        switch (iterableType.ToLowerInvariant())
        {
            case "string":
                // Dates are sent as text, and a date-shaped text is still accepted by a string field.
                return kind is ValueKind.Text or ValueKind.Other or ValueKind.Time or ValueKind.Date or ValueKind.Timestamp;
            case "long":
                return kind is ValueKind.Integer;
            case "double":
                return kind is ValueKind.Integer or ValueKind.Decimal or ValueKind.Float;
            case "boolean":
                return kind is ValueKind.Boolean;
            case "date":
                return kind is ValueKind.Date or ValueKind.Timestamp;
            case "object":
            case "nested":
            case "geo_location":
                return false;
            default:
                // Arrays ("string[]"...) and types we don't know: only flag what we are sure about.
                return true;
        }
    }

    /// <summary>The Iterable type Sluice sends for a column kind, for messages.</summary>
    public static string WireType(ValueKind kind) => kind switch
    {
        ValueKind.Integer => "long",
        ValueKind.Decimal or ValueKind.Float => "double",
        ValueKind.Boolean => "boolean",
        ValueKind.Date or ValueKind.Timestamp => "date",
        _ => "string",
    };
}

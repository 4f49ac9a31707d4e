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

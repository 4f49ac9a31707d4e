using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Sluice.Emulators.Salesforce.Schema;

namespace Sluice.Emulators.Salesforce.Store;

/// <summary>Converts incoming JSON or CSV values to the stored form and checks them against the field's rules.</summary>
internal static partial class Values
{
    // Key prefixes of objects a lookup can point to; an id with another prefix is the wrong type.
    private static readonly Dictionary<string, string> KnownPrefixes = new(StringComparer.Ordinal)
    {
        ["Account"] = "001",
        ["Contact"] = "003",
        ["Lead"] = "00Q",
        ["Case"] = "500",
        ["Contract"] = "800",
        ["User"] = "005",
        ["Group"] = "00G",
        ["Campaign"] = "701",
        ["Pricebook2"] = "01s",
    };

    public static string FormatDateTime(DateTimeOffset value) =>
        value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'+0000'", CultureInfo.InvariantCulture);

    public static RecordError? FromJson(FieldSchema field, JsonElement element, out object? value)
    {
        value = null;
        switch (element.ValueKind)
        {
            case JsonValueKind.Null:
                return null;
            case JsonValueKind.String:
                return FromText(field, element.GetString()!, out value);
            case JsonValueKind.True:
            case JsonValueKind.False:
                if (field.Type == "boolean")
                {
                    value = element.ValueKind == JsonValueKind.True;
                    return null;
                }
                return field.IsText ? FromText(field, element.ValueKind == JsonValueKind.True ? "true" : "false", out value) : WrongType(field, element.GetRawText());
            case JsonValueKind.Number:
                return field.Type == "boolean" || !(field.IsText || IsNumeric(field))
                    ? WrongType(field, element.GetRawText())
                    : FromText(field, element.GetRawText(), out value);
            default:
                return WrongType(field, element.GetRawText());
        }
    }

    /// <summary>
    /// Why a JSON value cannot be read into the field at all (the deserializer's view, before any field rule): an
    /// array or object anywhere, a boolean for a number or date, a number for a boolean or date, a string that is
    /// no number, boolean or date. Salesforce answers those for the whole request (400 JSON_PARSER_ERROR); null when
    /// the value has a readable shape.
    /// </summary>
    public static string? JsonShapeProblem(FieldSchema field, JsonElement element)
    {
        var token = element.ValueKind switch
        {
            JsonValueKind.Array => "START_ARRAY",
            JsonValueKind.Object => "START_OBJECT",
            JsonValueKind.True => "VALUE_TRUE",
            JsonValueKind.False => "VALUE_FALSE",
            JsonValueKind.Number => element.GetRawText().Contains('.', StringComparison.Ordinal) ? "VALUE_NUMBER_FLOAT" : "VALUE_NUMBER_INT",
            JsonValueKind.String => "VALUE_STRING",
            _ => null,
        };
        if (token is null)
            return null;
        var javaType = field.Type switch
        {
            "boolean" => "boolean",
            "int" => "int",
            "long" => "long",
            "double" or "currency" or "percent" => "double",
            "date" => "date",
            "datetime" => "datetime",
            "time" => "time",
            _ => "string",
        };
        var readable = element.ValueKind switch
        {
            JsonValueKind.Array or JsonValueKind.Object => false,
            JsonValueKind.True or JsonValueKind.False => javaType is "boolean" or "string",
            JsonValueKind.Number => javaType switch
            {
                // An integer field's reader takes whole numbers of its width only.
                "int" => element.TryGetInt32(out _),
                "long" => element.TryGetInt64(out _),
                _ => javaType is "double" or "string",
            },
            _ => javaType switch
            {
                "boolean" => bool.TryParse(element.GetString(), out _),
                "int" or "long" or "double" => double.TryParse(element.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out _),
                "date" => DateOnly.TryParseExact(element.GetString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
                "datetime" => TryParseDateTime(element.GetString()!, out _),
                _ => true,
            },
        };
        if (readable)
            return null;
        var raw = element.ValueKind == JsonValueKind.String ? element.GetString() : element.GetRawText();
        return $"Cannot deserialize instance of {javaType} from {token} value {raw} or request may be missing a required field";
    }

    private static bool IsNumeric(FieldSchema field) => field.Type is "int" or "double" or "currency" or "percent" or "long";

    /// <summary>Text as a JSON string or a CSV cell. Null means no error; <paramref name="value"/> holds the stored form.</summary>
    public static RecordError? FromText(FieldSchema field, string text, out object? value)
    {
        value = null;
        switch (field.Type)
        {
            case "int":
            case "long":
                if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l)
                    && (field.Type == "long" || l is >= int.MinValue and <= int.MaxValue))
                {
                    value = l;
                    return null;
                }
                if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var whole) && whole == Math.Floor(whole)
                    && whole is >= int.MinValue and <= int.MaxValue)
                {
                    value = (long)whole;
                    return null;
                }
                return WrongType(field, text);
            case "double":
            case "currency":
            case "percent":
                if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
                {
                    value = d;
                    return null;
                }
                return WrongType(field, text);
            case "boolean":
                if (bool.TryParse(text, out var b))
                {
                    value = b;
                    return null;
                }
                if (text is "1" or "0")
                {
                    value = text == "1";
                    return null;
                }
                return WrongType(field, text);
            case "date":
                if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
                {
                    value = date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
                    return null;
                }
                return WrongType(field, text);
            case "datetime":
                if (TryParseDateTime(text, out var dt))
                {
                    value = FormatDateTime(dt);
                    return null;
                }
                return WrongType(field, text);
            case "id":
            case "reference":
                if (!SalesforceId.TryNormalize(text, out var id))
                    return Errors.MalformedId(field.Label, text, field.Name);
                if (field.ReferenceTo.Count > 0 && field.ReferenceTo.All(KnownPrefixes.ContainsKey)
                    && !field.ReferenceTo.Any(r => id.StartsWith(KnownPrefixes[r], StringComparison.Ordinal)))
                    return new RecordError("FIELD_INTEGRITY_EXCEPTION", $"{field.Label}: id value of incorrect type: {text}", [field.Name]);
                value = id;
                return null;
            default:
                return CheckText(field, text, out value);
        }
    }

    private static RecordError? CheckText(FieldSchema field, string text, out object? value)
    {
        value = null;
        if (field.Length > 0 && text.Length > field.Length)
            return new RecordError("STRING_TOO_LONG", $"{field.Label}: data value too large: {text} (max length={field.Length})", [field.Name]);
        if (field.Type == "email" && text.Length > 0 && !EmailPattern().IsMatch(text))
            return new RecordError("INVALID_EMAIL_ADDRESS", $"{field.Label}: invalid email address: {text}", [field.Name]);
        if (field.RestrictedPicklist && field.Type is "picklist" or "multipicklist")
        {
            var parts = field.Type == "multipicklist" ? text.Split(';') : [text];
            if (parts.Any(p => !field.PicklistValues.Contains(p)))
                return new RecordError("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", $"{field.Label}: bad value for restricted picklist field: {text}", [field.Name]);
        }
        value = text;
        return null;
    }

    private static RecordError WrongType(FieldSchema field, string text) =>
        new("INVALID_TYPE_ON_FIELD_IN_RECORD", $"{field.Label}: value not of required type: {text}", [field.Name]);

    private static bool TryParseDateTime(string text, out DateTimeOffset value)
    {
        // Salesforce writes offsets as +0000; .NET wants +00:00.
        var normalized = CompactOffset().Replace(text, "$1:$2");
        return DateTimeOffset.TryParse(normalized, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value) && normalized.Contains('T', StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s.]+$")]
    private static partial Regex EmailPattern();

    [GeneratedRegex(@"([+-]\d\d)(\d\d)$")]
    private static partial Regex CompactOffset();
}

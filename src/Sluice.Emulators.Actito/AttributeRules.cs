using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Sluice.Emulators.Actito;

/// <summary>The definition of one attribute as the emulator keeps it (immutable; replaced on change).</summary>
internal sealed record AttributeSpec(
    string Name,
    string Type,
    string? ValueType,
    bool Unique,
    bool Mandatory,
    bool MultiValued,
    int? MaxLength,
    int? MinLength)
{
    /// <summary>The kind that decides validation: the predefined type, or the value type of a CUSTOM attribute.</summary>
    public string Kind => Type == "CUSTOM" ? ValueType ?? "STRING" : Type;

    public bool IsTechnical => AttributeRules.IsTechnical(Name);

    public bool IsCaseInsensitiveKey => Kind == "EMAIL_ADDRESS";
}

/// <summary>A value check's outcome: the stored form, or an error code and message.</summary>
internal readonly record struct ValueCheck(string? Value, string? ErrorCode, string? Message)
{
    public bool Ok => ErrorCode is null;

    public static ValueCheck Valid(string value) => new(value, null, null);

    public static ValueCheck Invalid(string code, string message) => new(null, code, message);
}

/// <summary>Actito's documented attribute rules and value formats.</summary>
internal static partial class AttributeRules
{
    public const int MaxNameLength = 50;
    public const int DefaultStringMaxLength = 255;
    public const string ProfileId = "profileId";
    public const string CreationMoment = "creationMoment";
    public const string UpdateMoment = "updateMoment";

    // STRING, INTEGER and TIMESTAMP are the value types the v5 table-structure docs show; BOOLEAN and DATE follow the
    // documented data kinds of files (Boolean, Date). No decimal value type is documented, so none is accepted.
    public static readonly string[] CustomValueTypes = ["STRING", "INTEGER", "BOOLEAN", "DATE", "TIMESTAMP"];

    // Predefined kinds and the value format each one checks. Aliases cover the spellings the docs leave open.
    private static readonly Dictionary<string, string> PredefinedFormats = new(StringComparer.Ordinal)
    {
        ["EMAIL_ADDRESS"] = "EMAIL",
        ["FIRSTNAME"] = "STRING",
        ["LASTNAME"] = "STRING",
        ["BIRTHDATE"] = "DATE",
        ["SEX"] = "SEX",
        ["MOTHER_LANGUAGE"] = "LANGUAGE",
        ["GSM_NUMBER"] = "PHONE",
        ["GSM"] = "PHONE",
        ["PHONE_NUMBER"] = "PHONE",
        ["PHONE"] = "PHONE",
        ["MOBILE_NUMBER"] = "PHONE",
        ["ADDRESS_COUNTRY"] = "COUNTRY",
        ["COUNTRY"] = "COUNTRY",
        ["NATIONALITY"] = "COUNTRY",
        ["TITLE"] = "TITLE",
        ["ADDRESS_STREET"] = "STRING",
        ["ADDRESS_NUMBER"] = "STRING",
        ["ADDRESS_BOX"] = "STRING",
        ["ADDRESS_POSTAL_CODE"] = "STRING",
        ["ADDRESS_LOCALITY"] = "STRING",
        ["COMPANY"] = "STRING",
    };

    public static bool IsTechnical(string name) =>
        name is ProfileId or CreationMoment or UpdateMoment || name == "id";

    public static IReadOnlyList<AttributeSpec> TechnicalAttributes { get; } =
    [
        new(ProfileId, "CUSTOM", "INTEGER", true, true, false, null, null),
        new(CreationMoment, "CUSTOM", "TIMESTAMP", false, true, false, null, null),
        new(UpdateMoment, "CUSTOM", "TIMESTAMP", false, true, false, null, null),
    ];

    /// <summary>Checks a new attribute definition; returns an error message or null.</summary>
    public static string? CheckDefinition(AttributeSpec spec)
    {
        if (string.IsNullOrWhiteSpace(spec.Name)) return "An attribute needs a name.";
        if (spec.Name.Length > MaxNameLength)
            return $"Attribute name '{spec.Name}' is longer than {MaxNameLength} characters.";
        if (!NamePattern().IsMatch(spec.Name))
            return $"Attribute name '{spec.Name}' must start with a letter and hold only letters, digits and '_'.";
        if (IsTechnical(spec.Name)) return $"Attribute '{spec.Name}' is a technical attribute managed by the system.";
        if (spec.Type == "CUSTOM")
        {
            if (!CustomValueTypes.Contains(spec.ValueType ?? "STRING"))
                return $"Unknown valueType '{spec.ValueType}' for attribute '{spec.Name}'.";
        }
        else if (!PredefinedFormats.ContainsKey(spec.Type))
        {
            return $"Unknown attribute type '{spec.Type}' for attribute '{spec.Name}'.";
        }
        if (spec.MaxLength is { } max && (max <= 0 || max > 10_000))
            return $"maxLength of '{spec.Name}' must be between 1 and 10000.";
        return null;
    }

    /// <summary>Validates one incoming value and returns its stored (normalised) form.</summary>
    public static ValueCheck CheckValue(AttributeSpec spec, string raw)
    {
        var format = spec.Type == "CUSTOM" ? spec.ValueType ?? "STRING" : PredefinedFormats.GetValueOrDefault(spec.Type, "STRING");
        switch (format)
        {
            case "STRING":
                {
                    var max = spec.MaxLength ?? DefaultStringMaxLength;
                    if (raw.Length > max)
                        return ValueCheck.Invalid("VALUE_TOO_LONG", $"Value of '{spec.Name}' is longer than {max} characters.");
                    if (spec.MinLength is { } min && raw.Length < min)
                        return ValueCheck.Invalid("VALUE_TOO_SHORT", $"Value of '{spec.Name}' is shorter than {min} characters.");
                    return ValueCheck.Valid(raw);
                }
            case "INTEGER":
                return long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer)
                    ? ValueCheck.Valid(integer.ToString(CultureInfo.InvariantCulture))
                    : ValueCheck.Invalid("INVALID_INTEGER", $"Value of '{spec.Name}' is not an integer.");
            case "BOOLEAN":
                return raw.ToUpperInvariant() switch
                {
                    "TRUE" or "1" or "Y" or "YES" => ValueCheck.Valid("true"),
                    "FALSE" or "0" or "N" or "NO" => ValueCheck.Valid("false"),
                    _ => ValueCheck.Invalid("INVALID_BOOLEAN", $"Value of '{spec.Name}' is not a boolean."),
                };
            case "DATE":
                return DateOnly.TryParseExact(raw, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
                    ? ValueCheck.Valid(raw)
                    : ValueCheck.Invalid("INVALID_DATE", $"Value of '{spec.Name}' is not a date in the format yyyy-MM-dd.");
            case "TIMESTAMP":
                // The CSV format is documented (yyyy-MM-dd HH:mm:ss); JSON is not, so the ISO 'T' form is accepted too.
                return DateTime.TryParseExact(raw, ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var moment)
                    ? ValueCheck.Valid(moment.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture))
                    : ValueCheck.Invalid("INVALID_TIMESTAMP", $"Value of '{spec.Name}' is not a timestamp in the format yyyy-MM-dd HH:mm:ss.");
            case "EMAIL":
                return raw.Length <= DefaultStringMaxLength && EmailPattern().IsMatch(raw)
                    ? ValueCheck.Valid(raw)
                    : ValueCheck.Invalid("INVALID_EMAIL", $"Value of '{spec.Name}' is not a valid e-mail address.");
            case "PHONE":
                {
                    var compact = raw.Replace(" ", "", StringComparison.Ordinal);
                    return PhonePattern().IsMatch(compact)
                        ? ValueCheck.Valid(compact)
                        : ValueCheck.Invalid("INVALID_PHONE", $"Value of '{spec.Name}' is not an international phone number (+ and country code).");
                }
            case "LANGUAGE":
                return TwoLetters().IsMatch(raw)
                    ? ValueCheck.Valid(raw.ToUpperInvariant())
                    : ValueCheck.Invalid("INVALID_LANGUAGE", $"Value of '{spec.Name}' is not an ISO 639-1 language code.");
            case "COUNTRY":
                return TwoLetters().IsMatch(raw)
                    ? ValueCheck.Valid(raw.ToUpperInvariant())
                    : ValueCheck.Invalid("INVALID_COUNTRY", $"Value of '{spec.Name}' is not an ISO 3166-1 alpha-2 country code.");
            case "SEX":
                return raw.ToUpperInvariant() is "M" or "F"
                    ? ValueCheck.Valid(raw.ToUpperInvariant())
                    : ValueCheck.Invalid("INVALID_SEX", $"Value of '{spec.Name}' must be M or F.");
            case "TITLE":
                return raw is "Mr" or "Mrs" or "Ms"
                    ? ValueCheck.Valid(raw)
                    : ValueCheck.Invalid("INVALID_TITLE", $"Value of '{spec.Name}' must be Mr, Mrs or Ms.");
            default:
                return ValueCheck.Valid(raw);
        }
    }

    /// <summary>Reads an attribute definition in the v5 GET shape. Returns null and an error when it is unusable.</summary>
    public static AttributeSpec? FromJson(JsonNode? node, out string? error)
    {
        error = null;
        if (node is not JsonObject obj)
        {
            error = "An attribute definition must be a JSON object.";
            return null;
        }
        var name = obj["name"]?.GetValueKind() == System.Text.Json.JsonValueKind.String ? (string?)obj["name"] : null;
        if (name is null)
        {
            error = "An attribute definition needs a 'name'.";
            return null;
        }
        var type = (TryString(obj["type"]) ?? "CUSTOM").ToUpperInvariant();
        var valueType = TryString(obj["valueType"])?.ToUpperInvariant();
        if (type == "CUSTOM") valueType ??= "STRING";
        else valueType = null;
        int? maxLength = null, minLength = null;
        if (obj["valueRestriction"] is JsonObject restriction)
        {
            maxLength = TryInt(restriction["maxLength"]);
            minLength = TryInt(restriction["minLength"]);
        }
        maxLength ??= TryInt(obj["maxLength"]);
        var spec = new AttributeSpec(name, type, valueType,
            TryBool(obj["unique"]), TryBool(obj["mandatory"]), TryBool(obj["multiValued"]), maxLength, minLength);
        return spec;
    }

    public static JsonObject ToJson(AttributeSpec spec)
    {
        var obj = new JsonObject
        {
            ["type"] = spec.Type,
            ["name"] = spec.Name,
            ["unique"] = spec.Unique,
            ["mandatory"] = spec.Mandatory,
        };
        if (spec.Type == "CUSTOM")
        {
            obj["valueType"] = spec.ValueType;
            obj["multiValued"] = spec.MultiValued;
            if (spec.ValueType == "STRING")
            {
                var restriction = new JsonObject { ["maxLength"] = spec.MaxLength ?? DefaultStringMaxLength };
                if (spec.MinLength is { } min) restriction["minLength"] = min;
                obj["valueRestriction"] = restriction;
            }
        }
        return obj;
    }

    private static string? TryString(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var s) ? s : null;

    private static bool TryBool(JsonNode? node) =>
        node is JsonValue value && (value.TryGetValue<bool>(out var b) ? b
            : value.TryGetValue<string>(out var s) && bool.TryParse(s, out var parsed) && parsed);

    private static int? TryInt(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<int>(out var i) ? i : null;

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_]*$")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^[^@\s""<>,;]+@[^@\s""<>,;]+\.[A-Za-z]{2,}$")]
    private static partial Regex EmailPattern();

    [GeneratedRegex(@"^\+[1-9][0-9]{6,14}$")]
    private static partial Regex PhonePattern();

    [GeneratedRegex("^[A-Za-z]{2}$")]
    private static partial Regex TwoLetters();
}

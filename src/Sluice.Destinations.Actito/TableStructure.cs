using System.Text.Json;
using Sluice.Core.Models;

namespace Sluice.Destinations.Actito;

/// <summary>One attribute of a profile table, in the v5 profile-table-structure terms.</summary>
internal sealed record TableAttribute(string Name, string Type, string? ValueType, bool Unique, bool Mandatory)
{
    /// <summary>What decides the value format: the value type of a CUSTOM attribute, else the predefined type.</summary>
    public string Kind => Type == "CUSTOM" ? ValueType ?? "STRING" : Type;

    public string Describe() => Type == "CUSTOM" ? $"CUSTOM {ValueType ?? "STRING"}" : Type;
}

/// <summary>A profile table as read from <c>GET /profile-table-structure/v5/entities/{entity}/profile-tables</c>.</summary>
internal sealed class TableStructure
{
    private readonly Dictionary<string, TableAttribute> _byName;

    public TableStructure(string id, string name, IReadOnlyList<TableAttribute> attributes)
    {
        Id = id;
        Name = name;
        Attributes = attributes;
        _byName = new Dictionary<string, TableAttribute>(StringComparer.Ordinal);
        foreach (var attribute in attributes) _byName.TryAdd(attribute.Name, attribute);
    }

    public string Id { get; }

    public string Name { get; }

    public IReadOnlyList<TableAttribute> Attributes { get; }

    public TableAttribute? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>The system-generated attributes clients must not send (older docs also call profileId <c>id</c>).</summary>
    public static bool IsTechnical(string name) =>
        name.Equals("profileId", StringComparison.OrdinalIgnoreCase)
        || name.Equals("creationMoment", StringComparison.OrdinalIgnoreCase)
        || name.Equals("updateMoment", StringComparison.OrdinalIgnoreCase)
        || name.Equals("id", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The CUSTOM value type created for a model column kind. Actito documents no decimal value type, so decimals and
    /// floats get a STRING attribute (the numbers as plain text with '.'); times, and lists, structs and maps as JSON,
    /// are text too. A typed attribute created in Actito beforehand is used as it is.
    /// </summary>
    public static string ValueTypeFor(ValueKind kind) => kind switch
    {
        ValueKind.Integer => "INTEGER",
        ValueKind.Boolean => "BOOLEAN",
        ValueKind.Date => "DATE",
        ValueKind.Timestamp => "TIMESTAMP",
        _ => "STRING",
    };

    /// <summary>
    /// Whether values of a model column kind fit an attribute. STRING takes every kind (as text); predefined text-like
    /// attributes take text only; typed attributes need the matching kind (dates and timestamps convert into each
    /// other). Attribute types Sluice does not know are let through.
    /// </summary>
    public static bool Accepts(TableAttribute attribute, ValueKind kind) => attribute.Kind switch
    {
        "STRING" => true,
        "INTEGER" => kind is ValueKind.Integer,
        "DECIMAL" or "NUMBER" or "NUMERIC" or "DOUBLE" or "FLOAT" => kind is ValueKind.Integer or ValueKind.Decimal or ValueKind.Float,
        "BOOLEAN" => kind is ValueKind.Boolean,
        "DATE" or "BIRTHDATE" => kind is ValueKind.Date or ValueKind.Timestamp,
        "TIMESTAMP" or "DATETIME" => kind is ValueKind.Timestamp or ValueKind.Date,
        "EMAIL_ADDRESS" or "FIRSTNAME" or "LASTNAME" or "SEX" or "MOTHER_LANGUAGE" or "TITLE"
            or "GSM_NUMBER" or "PHONE_NUMBER" or "ADDRESS_COUNTRY" or "NATIONALITY" => kind is ValueKind.Text,
        _ => true,
    };

    /// <summary>How values are written for an attribute: dates and timestamps follow the attribute, not the column.</summary>
    public static FieldFormat FormatFor(TableAttribute? attribute) => attribute?.Kind switch
    {
        "DATE" or "BIRTHDATE" => FieldFormat.Date,
        "TIMESTAMP" or "DATETIME" => FieldFormat.Timestamp,
        _ => FieldFormat.Natural,
    };

    /// <summary>
    /// Finds a table in a list response. The wrapper of the list is not documented, so a bare array, an object
    /// holding an array of tables, or a single table object are all read.
    /// </summary>
    public static List<TableStructure> ParseList(ReadOnlySpan<byte> json)
    {
        var result = new List<TableStructure>();
        using var document = JsonDocument.Parse(json.ToArray());
        Collect(document.RootElement, result, depth: 0);
        return result;
    }

    private static void Collect(JsonElement element, List<TableStructure> into, int depth)
    {
        if (depth > 3) return;
        if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.Object && ParseTable(item) is { } table) into.Add(table);
            }
        }
        else if (element.ValueKind == JsonValueKind.Object)
        {
            if (ParseTable(element) is { } table)
            {
                into.Add(table);
                return;
            }
            foreach (var property in element.EnumerateObject())
            {
                if (property.Value.ValueKind is JsonValueKind.Array or JsonValueKind.Object) Collect(property.Value, into, depth + 1);
            }
        }
    }

    private static TableStructure? ParseTable(JsonElement element)
    {
        if (!element.TryGetProperty("name", out var nameElement) || nameElement.ValueKind != JsonValueKind.String) return null;
        if (!element.TryGetProperty("attributes", out var attributesElement) && !element.TryGetProperty("id", out _)) return null;
        var id = element.TryGetProperty("id", out var idElement) ? Json.AsString(idElement) : null;
        var attributes = new List<TableAttribute>();
        if (attributesElement.ValueKind == JsonValueKind.Array)
        {
            foreach (var a in attributesElement.EnumerateArray())
            {
                if (a.ValueKind != JsonValueKind.Object || Json.String(a, "name") is not { } name) continue;
                var type = (Json.String(a, "type") ?? "CUSTOM").ToUpperInvariant();
                var valueType = Json.String(a, "valueType")?.ToUpperInvariant();
                attributes.Add(new TableAttribute(name, type, type == "CUSTOM" ? valueType ?? "STRING" : valueType,
                    Json.Bool(a, "unique"), Json.Bool(a, "mandatory")));
            }
        }
        return new TableStructure(id ?? nameElement.GetString()!, nameElement.GetString()!, attributes);
    }
}

/// <summary>How a field's values are written.</summary>
internal enum FieldFormat
{
    /// <summary>By the value's own type.</summary>
    Natural,

    /// <summary>As <c>yyyy-MM-dd</c> (timestamps lose their time).</summary>
    Date,

    /// <summary>As <c>yyyy-MM-dd HH:mm:ss</c> (dates become midnight).</summary>
    Timestamp,
}

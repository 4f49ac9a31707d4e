using System.Collections.Frozen;
using System.Text.Json.Nodes;

namespace Sluice.Emulators.Salesforce.Schema;

/// <summary>One field of an sObject, as the describe states it; only what the emulator enforces.</summary>
internal sealed class FieldSchema
{
    public required string Name { get; init; }
    public required string Label { get; init; }
    public required string Type { get; init; }
    public int Length { get; init; }
    public bool Createable { get; init; }
    public bool Updateable { get; init; }
    public bool Nillable { get; init; }
    public bool DefaultedOnCreate { get; init; }
    public bool ExternalId { get; init; }
    public bool IdLookup { get; init; }
    public bool Unique { get; init; }
    public bool Custom { get; init; }
    public bool CaseSensitive { get; init; }
    public bool RestrictedPicklist { get; init; }
    public string? DefaultPicklistValue { get; init; }
    public FrozenSet<string> PicklistValues { get; init; } = FrozenSet<string>.Empty;
    public IReadOnlyList<string> ReferenceTo { get; init; } = [];

    /// <summary>Required on create: createable, not nillable, not defaulted on create.</summary>
    public bool RequiredOnCreate => Createable && !Nillable && !DefaultedOnCreate;

    /// <summary>Values the emulator keeps an index for: lookups by external id, unique checks, idLookup queries.</summary>
    public bool Indexed => ExternalId || Unique || IdLookup;

    public bool IsText => Type is "string" or "textarea" or "phone" or "url" or "email" or "picklist"
        or "multipicklist" or "combobox" or "encryptedstring";
}

/// <summary>An sObject type: its describe JSON (served as is) and the parsed field rules.</summary>
internal sealed class SObjectSchema
{
    private SObjectSchema(string name, string label, string keyPrefix, JsonObject describe, IReadOnlyList<FieldSchema> fields)
    {
        Name = name;
        Label = label;
        KeyPrefix = keyPrefix;
        Describe = describe;
        Fields = fields;
        FieldsByName = fields.ToFrozenDictionary(f => f.Name, StringComparer.OrdinalIgnoreCase);
        Required = fields.Where(f => f.RequiredOnCreate).ToArray();
        IdField = FieldsByName.TryGetValue("Id", out var id) ? id : null;
    }

    public string Name { get; }
    public string Label { get; }
    public string KeyPrefix { get; }
    public JsonObject Describe { get; }
    public IReadOnlyList<FieldSchema> Fields { get; }
    public FrozenDictionary<string, FieldSchema> FieldsByName { get; }
    public IReadOnlyList<FieldSchema> Required { get; }
    public FieldSchema? IdField { get; }

    /// <summary>Label used in id errors, e.g. "Account ID".</summary>
    public string IdLabel => IdField?.Label ?? Name + " ID";

    /// <summary>
    /// Parses a REST describe document. Adds the custom external-id field <c>External_Id__c</c> when absent,
    /// because the orgs a sync writes to carry one.
    /// </summary>
    public static SObjectSchema FromDescribe(JsonObject describe, bool addExternalId)
    {
        var name = (string?)describe["name"] ?? throw new InvalidDataException("describe has no 'name'");
        var keyPrefix = (string?)describe["keyPrefix"] ?? throw new InvalidDataException($"describe of {name} has no 'keyPrefix'");
        var label = (string?)describe["label"] ?? name;
        var fieldsArray = describe["fields"] as JsonArray ?? throw new InvalidDataException($"describe of {name} has no 'fields'");
        if (addExternalId && !fieldsArray.Any(f => string.Equals((string?)f?["name"], "External_Id__c", StringComparison.OrdinalIgnoreCase)))
            fieldsArray.Add(ExternalIdField());

        var fields = new List<FieldSchema>(fieldsArray.Count);
        foreach (var node in fieldsArray)
        {
            if (node is not JsonObject f)
                continue;
            var picklist = (f["picklistValues"] as JsonArray ?? [])
                .OfType<JsonObject>()
                .Where(p => (bool?)p["active"] ?? true)
                .ToArray();
            fields.Add(new FieldSchema
            {
                Name = (string)f["name"]!,
                Label = (string?)f["label"] ?? (string)f["name"]!,
                Type = (string?)f["type"] ?? "string",
                Length = (int?)f["length"] ?? 0,
                Createable = (bool?)f["createable"] ?? false,
                Updateable = (bool?)f["updateable"] ?? false,
                Nillable = (bool?)f["nillable"] ?? true,
                DefaultedOnCreate = (bool?)f["defaultedOnCreate"] ?? false,
                ExternalId = (bool?)f["externalId"] ?? false,
                IdLookup = (bool?)f["idLookup"] ?? false,
                Unique = (bool?)f["unique"] ?? false,
                Custom = (bool?)f["custom"] ?? false,
                CaseSensitive = (bool?)f["caseSensitive"] ?? false,
                RestrictedPicklist = (bool?)f["restrictedPicklist"] ?? false,
                DefaultPicklistValue = picklist.Where(p => (bool?)p["defaultValue"] ?? false).Select(p => (string?)p["value"]).FirstOrDefault(),
                PicklistValues = picklist.Select(p => (string?)p["value"]).OfType<string>().ToFrozenSet(StringComparer.Ordinal),
                ReferenceTo = (f["referenceTo"] as JsonArray ?? []).Select(r => (string?)r).OfType<string>().ToArray(),
            });
        }
        return new SObjectSchema(name, label, keyPrefix, describe, fields);
    }

    private static JsonObject ExternalIdField() => new()
    {
        ["aggregatable"] = true,
        ["autoNumber"] = false,
        ["byteLength"] = 765,
        ["calculated"] = false,
        ["calculatedFormula"] = null,
        ["cascadeDelete"] = false,
        ["caseSensitive"] = false,
        ["compoundFieldName"] = null,
        ["controllerName"] = null,
        ["createable"] = true,
        ["custom"] = true,
        ["defaultValue"] = null,
        ["defaultValueFormula"] = null,
        ["defaultedOnCreate"] = false,
        ["dependentPicklist"] = false,
        ["deprecatedAndHidden"] = false,
        ["digits"] = 0,
        ["displayLocationInDecimal"] = false,
        ["encrypted"] = false,
        ["externalId"] = true,
        ["extraTypeInfo"] = null,
        ["filterable"] = true,
        ["filteredLookupInfo"] = null,
        ["groupable"] = true,
        ["highScaleNumber"] = false,
        ["htmlFormatted"] = false,
        ["idLookup"] = true,
        ["inlineHelpText"] = null,
        ["label"] = "External Id",
        ["length"] = 255,
        ["mask"] = null,
        ["maskType"] = null,
        ["name"] = "External_Id__c",
        ["nameField"] = false,
        ["namePointing"] = false,
        ["nillable"] = true,
        ["permissionable"] = true,
        ["picklistValues"] = new JsonArray(),
        ["polymorphicForeignKey"] = false,
        ["precision"] = 0,
        ["queryByDistance"] = false,
        ["referenceTargetField"] = null,
        ["referenceTo"] = new JsonArray(),
        ["relationshipName"] = null,
        ["relationshipOrder"] = null,
        ["restrictedDelete"] = false,
        ["restrictedPicklist"] = false,
        ["scale"] = 0,
        ["searchPrefilterable"] = false,
        ["soapType"] = "xsd:string",
        ["sortable"] = true,
        ["type"] = "string",
        ["unique"] = true,
        ["updateable"] = true,
        ["writeRequiresMasterRead"] = false,
    };
}

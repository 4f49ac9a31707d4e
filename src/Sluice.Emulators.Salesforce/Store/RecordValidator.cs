using System.Text.Json;
using Sluice.Emulators.Salesforce.Schema;

namespace Sluice.Emulators.Salesforce.Store;

/// <summary>Per-record validation as Salesforce applies it, for JSON bodies and Bulk CSV rows alike.</summary>
internal static class RecordValidator
{
    /// <summary>The first property naming no field of the object answers the whole request with 400 INVALID_FIELD.</summary>
    public static ApiError? CheckFieldNames(SObjectSchema schema, JsonElement record)
    {
        foreach (var property in record.EnumerateObject())
        {
            if (property.NameEquals("attributes"))
                continue;
            if (!schema.FieldsByName.ContainsKey(property.Name))
                return Errors.NoSuchColumn(property.Name, schema.Name);
        }
        return null;
    }

    /// <summary>The first value of a JSON shape the field cannot take answers the whole request with 400 JSON_PARSER_ERROR.</summary>
    public static ApiError? CheckJsonShapes(SObjectSchema schema, JsonElement record)
    {
        foreach (var property in record.EnumerateObject())
        {
            if (property.NameEquals("attributes") || !schema.FieldsByName.TryGetValue(property.Name, out var field))
                continue;
            if (Values.JsonShapeProblem(field, property.Value) is { } problem)
                return Errors.JsonParser(problem);
        }
        return null;
    }

    /// <summary>Fills <paramref name="op"/> from a JSON record whose field names were checked.</summary>
    public static void FromJson(WriteOp op, JsonElement record)
    {
        var inputs = new List<(FieldSchema Field, RecordError? Error, object? Value)>();
        foreach (var property in record.EnumerateObject())
        {
            if (property.NameEquals("attributes"))
                continue;
            var field = op.Schema.FieldsByName[property.Name];
            if (field.Name == "Id" && op.Kind is WriteKind.Update)
            {
                SetId(op, property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : property.Value.GetRawText());
                continue;
            }
            var error = Values.FromJson(field, property.Value, out var value);
            inputs.Add((field, error, value));
        }
        Fill(op, inputs);
    }

    /// <summary>Fills <paramref name="op"/> from a CSV row: empty cells are left alone, <c>#N/A</c> writes null.</summary>
    public static void FromCsv(WriteOp op, IReadOnlyList<FieldSchema> header, IReadOnlyList<string> row)
    {
        var inputs = new List<(FieldSchema Field, RecordError? Error, object? Value)>(header.Count);
        for (var i = 0; i < header.Count; i++)
        {
            var field = header[i];
            var text = i < row.Count ? row[i] : "";
            if (field.Name == "Id" && op.Kind is WriteKind.Update or WriteKind.Delete)
            {
                SetId(op, text);
                continue;
            }
            if (text.Length == 0)
                continue;
            if (text == "#N/A")
            {
                inputs.Add((field, null, null));
                continue;
            }
            var error = Values.FromText(field, text, out var value);
            inputs.Add((field, error, value));
        }
        if (op.Kind == WriteKind.Delete)
        {
            if (op.Id is null && !op.Failed)
                op.Errors.Add(new RecordError("MISSING_ARGUMENT", "Id not specified in a delete call", []));
            return;
        }
        Fill(op, inputs);
    }

    private static void SetId(WriteOp op, string? raw)
    {
        if (string.IsNullOrEmpty(raw))
            return;
        if (SalesforceId.TryNormalize(raw, out var id) && id.StartsWith(op.Schema.KeyPrefix, StringComparison.Ordinal))
            op.Id = id;
        else
            op.Errors.Add(Errors.MalformedId(op.Schema.IdLabel, raw, "Id"));
    }

    private static void Fill(WriteOp op, List<(FieldSchema Field, RecordError? Error, object? Value)> inputs)
    {
        if (op.Kind == WriteKind.Update && op.Id is null && !op.Failed)
            op.Errors.Add(new RecordError("MISSING_ARGUMENT", "Id not specified in an update call", []));

        List<string>? notWritable = null;
        List<string>? nulledRequired = null;
        var fieldErrors = new List<RecordError>();
        foreach (var (field, error, input) in inputs)
        {
            var writable = op.Kind switch
            {
                WriteKind.Create => field.Createable,
                WriteKind.Update => field.Updateable,
                _ => field.Createable || field.Updateable || field == op.ExternalField,
            };
            if (!writable)
            {
                (notWritable ??= []).Add(field.Name);
                continue;
            }
            if (error is not null)
            {
                fieldErrors.Add(error);
                continue;
            }
            var value = input;
            if (value is null && !field.Nillable)
            {
                // A checkbox set to null is stored as false; other non-nillable fields cannot be cleared.
                if (field.Type == "boolean")
                    value = false;
                else if (op.Kind != WriteKind.Create)
                    (nulledRequired ??= []).Add(field.Name);
            }
            op.Values[field.Name] = value;
        }
        if (notWritable is not null)
            op.Errors.Add(Errors.NotWritable(notWritable));
        op.Errors.AddRange(fieldErrors);
        if (nulledRequired is not null)
            op.Errors.Add(Errors.RequiredMissing(nulledRequired));

        if (op.Kind is WriteKind.Create or WriteKind.Upsert)
        {
            var missing = op.Schema.Required
                .Where(f => f != op.ExternalField && (!op.Values.TryGetValue(f.Name, out var v) || v is null))
                .Select(f => f.Name)
                .ToArray();
            if (op.Kind == WriteKind.Create && missing.Length > 0)
                op.Errors.Add(Errors.RequiredMissing(missing));
            else
                op.MissingRequired = missing;
        }
    }
}

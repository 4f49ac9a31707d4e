using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Sluice.Emulators.Salesforce.Schema;
using Sluice.Emulators.Salesforce.Store;

namespace Sluice.Emulators.Salesforce.Http;

/// <summary>sObject Collections: create, update, upsert, delete and retrieve, up to 200 records per call.</summary>
internal static class CompositeEndpoints
{
    public const int MaxRecords = 200;

    private static readonly ApiError TooMany = new(400, "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than 200 records into this call");

    public static void Map(WebApplication app, SfState state)
    {
        var p = Routes.Data + "/composite/sobjects";
        app.MapPost(p, (HttpContext c) => WriteAsync(c, state, WriteKind.Create));
        app.MapMethods(p, ["PATCH"], (HttpContext c) => WriteAsync(c, state, WriteKind.Update));
        app.MapMethods(p + "/{sobject}/{field}", ["PATCH"], (HttpContext c) => WriteAsync(c, state, WriteKind.Upsert));
        app.MapDelete(p, (HttpContext c) => DeleteAsync(c, state));
        app.MapGet(p + "/{sobject}", (HttpContext c) => RetrieveAsync(c, state, Split(c.Request.Query["ids"]), Split(c.Request.Query["fields"])));
        // POST with {"ids":[...],"fields":[...]} retrieves more ids than fit in a URL.
        app.MapPost(p + "/{sobject}", (HttpContext c) => RetrieveByBodyAsync(c, state));
    }

    private static async Task WriteAsync(HttpContext context, SfState state, WriteKind kind)
    {
        SObjectSchema? upsertSchema = null;
        FieldSchema? upsertField = null;
        if (kind == WriteKind.Upsert)
        {
            if (!Routes.AtLeast(context, 46.0m) || !state.Catalog.TryGet((string)context.Request.RouteValues["sobject"]!, out var s))
            {
                await JsonOut.ErrorAsync(context, Errors.NotFound);
                return;
            }
            upsertSchema = s;
            var fieldName = (string)context.Request.RouteValues["field"]!;
            if (!s.FieldsByName.TryGetValue(fieldName, out upsertField) || !SObjectEndpoints.IsUpsertKey(upsertField) || upsertField.Name == "Id")
            {
                await JsonOut.ErrorAsync(context, new ApiError(400, "INVALID_FIELD",
                    $"Field name provided, {fieldName} is not an External ID or indexed field for {s.Name}"));
                return;
            }
        }

        using var doc = await Routes.ReadJsonAsync(context);
        if (doc is null)
            return;
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("records", out var records) || records.ValueKind != JsonValueKind.Array)
        {
            await JsonOut.ErrorAsync(context, Errors.JsonParser("Expected a JSON object with a 'records' array"));
            return;
        }
        var allOrNone = root.TryGetProperty("allOrNone", out var aon) && aon.ValueKind == JsonValueKind.True;
        if (records.GetArrayLength() > MaxRecords)
        {
            await JsonOut.ErrorAsync(context, TooMany);
            return;
        }

        var ops = new List<WriteOp>(records.GetArrayLength());
        foreach (var record in records.EnumerateArray())
        {
            if (record.ValueKind != JsonValueKind.Object)
            {
                await JsonOut.ErrorAsync(context, Errors.JsonParser("Can not deserialize SObject out of a non-object token"));
                return;
            }
            var typeName = record.TryGetProperty("attributes", out var attributes) && attributes.ValueKind == JsonValueKind.Object
                && attributes.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            SObjectSchema schema;
            if (upsertSchema is not null)
            {
                schema = upsertSchema;
                if (typeName is not null && !string.Equals(typeName, schema.Name, StringComparison.OrdinalIgnoreCase))
                {
                    ops.Add(Failed(kind, schema, new RecordError("INVALID_TYPE", $"Record type {typeName} does not match the sObject type {schema.Name} of the request", [])));
                    continue;
                }
            }
            else if (typeName is null)
            {
                // Without a type there is no schema; the failure is per record, as Salesforce reports it.
                ops.Add(Failed(kind, state.Catalog.ByName.Values.First(), new RecordError("INVALID_TYPE", "Must send a concrete entity type.", [])));
                continue;
            }
            else if (!state.Catalog.TryGet(typeName, out schema!))
            {
                ops.Add(Failed(kind, state.Catalog.ByName.Values.First(), new RecordError("INVALID_TYPE", $"sObject type '{typeName}' is not supported.", [])));
                continue;
            }

            if (RecordValidator.CheckFieldNames(schema, record) is { } unknown)
            {
                await JsonOut.ErrorAsync(context, unknown);
                return;
            }
            // A value the JSON reader cannot turn into the field's type fails the whole request, not the record.
            if (RecordValidator.CheckJsonShapes(schema, record) is { } unreadable)
            {
                await JsonOut.ErrorAsync(context, unreadable);
                return;
            }
            var op = new WriteOp(kind, schema);
            if (kind == WriteKind.Create && (record.TryGetProperty("Id", out _) || record.TryGetProperty("id", out _)))
            {
                op.Errors.Add(new RecordError("INVALID_FIELD", "cannot specify Id in an insert call", ["Id"]));
                ops.Add(op);
                continue;
            }
            if (kind == WriteKind.Upsert)
            {
                op.ExternalField = upsertField;
                var key = Property(record, upsertField!.Name);
                if (key is not { } k || k.ValueKind == JsonValueKind.Null)
                {
                    op.Errors.Add(new RecordError("MISSING_ARGUMENT", $"{upsertField.Name} not specified", [upsertField.Name]));
                    ops.Add(op);
                    continue;
                }
                if (Values.FromJson(upsertField, k, out var keyValue) is { } bad)
                {
                    op.Errors.Add(bad);
                    ops.Add(op);
                    continue;
                }
                op.ExternalValue = OrgStore.KeyOf(keyValue!);
            }
            RecordValidator.FromJson(op, record);
            ops.Add(op);
        }

        DuplicateKeys.Reject(ops);
        state.Store.Apply(ops, allOrNone);
        state.Count(ops);
        await JsonOut.WriteAsync(context, 200, w =>
        {
            w.WriteStartArray();
            foreach (var op in ops)
                JsonOut.WriteSaveResult(w, op, withCreated: kind == WriteKind.Upsert);
            w.WriteEndArray();
        });
    }

    private static JsonElement? Property(JsonElement record, string name)
    {
        foreach (var p in record.EnumerateObject())
        {
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
                return p.Value;
        }
        return null;
    }

    private static WriteOp Failed(WriteKind kind, SObjectSchema schema, RecordError error)
    {
        var op = new WriteOp(kind, schema);
        op.Errors.Add(error);
        return op;
    }

    private static async Task DeleteAsync(HttpContext context, SfState state)
    {
        var ids = context.Request.Query["ids"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var allOrNone = string.Equals(context.Request.Query["allOrNone"], "true", StringComparison.OrdinalIgnoreCase);
        if (ids.Length > MaxRecords)
        {
            await JsonOut.ErrorAsync(context, TooMany);
            return;
        }
        var fallback = state.Catalog.ByName.Values.First();
        var ops = new List<WriteOp>(ids.Length);
        foreach (var raw in ids)
        {
            if (!SalesforceId.TryNormalize(raw, out var id) || !state.Catalog.ByPrefix.TryGetValue(id[..3], out var schema))
            {
                ops.Add(Failed(WriteKind.Delete, fallback, new RecordError("MALFORMED_ID", $"malformed id {raw}", [])));
                continue;
            }
            ops.Add(new WriteOp(WriteKind.Delete, schema) { Id = id });
        }
        state.Store.Apply(ops, allOrNone);
        state.Count(ops);
        await JsonOut.WriteAsync(context, 200, w =>
        {
            w.WriteStartArray();
            foreach (var op in ops)
                JsonOut.WriteSaveResult(w, op, withCreated: false);
            w.WriteEndArray();
        });
    }

    private static string[] Split(Microsoft.Extensions.Primitives.StringValues value) =>
        value.ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static async Task RetrieveByBodyAsync(HttpContext context, SfState state)
    {
        using var doc = await Routes.ReadJsonAsync(context);
        if (doc is null)
            return;
        static string[] Strings(JsonElement root, string name) =>
            root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var a) && a.ValueKind == JsonValueKind.Array
                ? [.. a.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!)]
                : [];
        await RetrieveAsync(context, state, Strings(doc.RootElement, "ids"), Strings(doc.RootElement, "fields"));
    }

    private static async Task RetrieveAsync(HttpContext context, SfState state, string[] ids, string[] fieldList)
    {
        if (!state.Catalog.TryGet((string)context.Request.RouteValues["sobject"]!, out var schema))
        {
            await JsonOut.ErrorAsync(context, Errors.NotFound);
            return;
        }
        if (ids.Length > 2000)
        {
            await JsonOut.ErrorAsync(context, TooMany);
            return;
        }
        if (fieldList.Length == 0)
        {
            await JsonOut.ErrorAsync(context, new ApiError(400, "MISSING_ARGUMENT", "fields parameter is required"));
            return;
        }
        var fields = new List<string>();
        foreach (var name in fieldList)
        {
            if (!schema.FieldsByName.TryGetValue(name, out var f))
            {
                await JsonOut.ErrorAsync(context, Errors.NoSuchColumn(name, schema.Name));
                return;
            }
            fields.Add(f.Name);
        }
        var version = Routes.Version(context);
        await JsonOut.WriteAsync(context, 200, w =>
        {
            w.WriteStartArray();
            foreach (var raw in ids)
            {
                if (SalesforceId.TryNormalize(raw, out var id) && state.Store.Get(id) is { } r && r.Type == schema.Name)
                    JsonOut.WriteRecord(w, r, version, fields);
                else
                    w.WriteNullValue();
            }
            w.WriteEndArray();
        });
    }
}

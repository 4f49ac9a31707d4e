using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Sluice.Emulators.Salesforce.Schema;
using Sluice.Emulators.Salesforce.Store;

namespace Sluice.Emulators.Salesforce.Http;

/// <summary>Describe and single-record calls under <c>/sobjects</c>.</summary>
internal static class SObjectEndpoints
{
    public static void Map(WebApplication app, SfState state)
    {
        var p = Routes.Data;
        app.MapGet(p, (HttpContext c) => ResourcesAsync(c));
        app.MapGet(p + "/limits", (HttpContext c) => LimitsAsync(c, state));
        app.MapGet(p + "/sobjects", (HttpContext c) => GlobalAsync(c, state));
        app.MapGet(p + "/sobjects/{sobject}/describe", (HttpContext c) => WithSchema(c, state, s => DescribeAsync(c, state, s)));
        app.MapPost(p + "/sobjects/{sobject}", (HttpContext c) => WithSchema(c, state, s => CreateAsync(c, state, s)));
        app.MapGet(p + "/sobjects/{sobject}/{id}", (HttpContext c) => WithSchema(c, state, s => GetAsync(c, state, s)));
        app.MapMethods(p + "/sobjects/{sobject}/{id}", ["PATCH"], (HttpContext c) => WithSchema(c, state, s => UpdateAsync(c, state, s)));
        app.MapDelete(p + "/sobjects/{sobject}/{id}", (HttpContext c) => WithSchema(c, state, s => DeleteAsync(c, state, s)));
        app.MapMethods(p + "/sobjects/{sobject}/{field}/{value}", ["PATCH"], (HttpContext c) => WithSchema(c, state, s => UpsertAsync(c, state, s, (string?)c.Request.RouteValues["value"])));
        // POST /sobjects/{Object}/Id: upsert on Id with a null value, i.e. a create.
        app.MapPost(p + "/sobjects/{sobject}/{field}", (HttpContext c) => WithSchema(c, state, s => UpsertAsync(c, state, s, null)));
        app.MapGet(p + "/sobjects/{sobject}/{field}/{value}", (HttpContext c) => WithSchema(c, state, s => GetByExternalIdAsync(c, state, s)));
    }

    private static Task WithSchema(HttpContext context, SfState state, Func<SObjectSchema, Task> handler) =>
        state.Catalog.TryGet((string)context.Request.RouteValues["sobject"]!, out var schema)
            ? handler(schema)
            : JsonOut.ErrorAsync(context, Errors.NotFound);

    private static Task ResourcesAsync(HttpContext context)
    {
        var v = Routes.Version(context);
        return JsonOut.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            foreach (var name in new[] { "sobjects", "query", "queryAll", "composite", "limits", "jobs" })
                w.WriteString(name, $"/services/data/v{v}/{name}");
            w.WriteEndObject();
        });
    }

    private static Task LimitsAsync(HttpContext context, SfState state)
    {
        var max = state.Options.DailyApiLimit;
        var used = Math.Min(Interlocked.Read(ref state.Counters.ApiUsage), max);
        return JsonOut.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WritePropertyName("DailyApiRequests");
            w.WriteStartObject();
            w.WriteNumber("Max", max);
            w.WriteNumber("Remaining", max - used);
            w.WriteEndObject();
            w.WritePropertyName("DailyBulkV2QueryJobs");
            w.WriteStartObject();
            w.WriteNumber("Max", 10000);
            w.WriteNumber("Remaining", 10000);
            w.WriteEndObject();
            w.WriteEndObject();
        });
    }

    private static Task GlobalAsync(HttpContext context, SfState state)
    {
        var v = Routes.Version(context);
        return JsonOut.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("encoding", "UTF-8");
            w.WriteNumber("maxBatchSize", 200);
            w.WritePropertyName("sobjects");
            w.WriteStartArray();
            foreach (var s in state.Catalog.ByName.Values.OrderBy(s => s.Name, StringComparer.Ordinal))
            {
                w.WriteStartObject();
                w.WriteString("name", s.Name);
                w.WriteString("label", s.Label);
                w.WriteString("keyPrefix", s.KeyPrefix);
                w.WriteBoolean("createable", true);
                w.WriteBoolean("updateable", true);
                w.WriteBoolean("deletable", true);
                w.WriteBoolean("queryable", true);
                w.WriteBoolean("custom", s.Name.EndsWith("__c", StringComparison.Ordinal));
                w.WritePropertyName("urls");
                w.WriteStartObject();
                w.WriteString("sobject", $"/services/data/v{v}/sobjects/{s.Name}");
                w.WriteString("describe", $"/services/data/v{v}/sobjects/{s.Name}/describe");
                w.WriteString("rowTemplate", $"/services/data/v{v}/sobjects/{s.Name}/{{ID}}");
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private static async Task DescribeAsync(HttpContext context, SfState state, SObjectSchema schema)
    {
        var (body, etag) = state.Describe(schema, Routes.Version(context));
        var lastModified = state.StartedAt;
        context.Response.Headers.ETag = etag;
        context.Response.Headers.LastModified = lastModified.ToString("R");
        var since = context.Request.GetTypedHeaders().IfModifiedSince;
        if ((since is { } s && s >= lastModified.AddSeconds(-1)) || context.Request.Headers.IfNoneMatch == etag)
        {
            context.Response.StatusCode = 304;
            return;
        }
        context.Response.StatusCode = 200;
        context.Response.ContentType = JsonOut.ContentType;
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }

    /// <summary>
    /// Reads a single-record body: a JSON object whose fields all exist on the object. Otherwise writes
    /// Salesforce's error and returns null.
    /// </summary>
    private static async Task<JsonDocument?> ReadRecordAsync(HttpContext context, SObjectSchema schema)
    {
        var doc = await Routes.ReadJsonAsync(context);
        if (doc is null)
            return null;
        var error = doc.RootElement.ValueKind != JsonValueKind.Object
            ? Errors.JsonParser("Can not deserialize SObject out of START_ARRAY token")
            : RecordValidator.CheckFieldNames(schema, doc.RootElement);
        if (error is null)
            return doc;
        doc.Dispose();
        await JsonOut.ErrorAsync(context, error);
        return null;
    }

    private static async Task CreateAsync(HttpContext context, SfState state, SObjectSchema schema)
    {
        using var doc = await ReadRecordAsync(context, schema);
        if (doc is null)
            return;
        var op = new WriteOp(WriteKind.Create, schema);
        if (doc.RootElement.TryGetProperty("Id", out _) || doc.RootElement.TryGetProperty("id", out _))
            op.Errors.Add(new RecordError("INVALID_FIELD", "cannot specify Id in an insert call", ["Id"]));
        else
            RecordValidator.FromJson(op, doc.RootElement);
        await ApplySingleAsync(context, state, op, withCreated: false, status: 201);
    }

    private static async Task ApplySingleAsync(HttpContext context, SfState state, WriteOp op, bool withCreated, int status)
    {
        state.Store.Apply([op], allOrNone: true);
        state.Count([op]);
        if (op.Failed)
        {
            await JsonOut.RecordErrorsAsync(context, op.NotFound ? 404 : 400, op.Errors);
            return;
        }
        if (status == 204)
        {
            context.Response.StatusCode = 204;
            return;
        }
        var version = Routes.Version(context);
        if (status == 201)
            context.Response.Headers.Location = $"/services/data/v{version}/sobjects/{op.Schema.Name}/{op.ResultId}";
        await JsonOut.WriteAsync(context, status, w => JsonOut.WriteSaveResult(w, op, withCreated));
    }

    private static Task GetAsync(HttpContext context, SfState state, SObjectSchema schema)
    {
        var raw = (string)context.Request.RouteValues["id"]!;
        if (!SalesforceId.TryNormalize(raw, out var id))
            return JsonOut.ErrorAsync(context, new ApiError(404, "NOT_FOUND", $"Provided external ID field does not exist or is not accessible: {raw}"));
        var record = state.Store.Get(id);
        if (record is null || record.Type != schema.Name)
            return JsonOut.ErrorAsync(context, Errors.NotFound);
        return WriteRecordAsync(context, state, schema, record);
    }

    private static Task WriteRecordAsync(HttpContext context, SfState state, SObjectSchema schema, SRecord record)
    {
        IEnumerable<string> fields = schema.Fields.Select(f => f.Name);
        if (context.Request.Query["fields"].ToString() is { Length: > 0 } list)
        {
            var names = new List<string>();
            foreach (var name in list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (!schema.FieldsByName.TryGetValue(name, out var f))
                    return JsonOut.ErrorAsync(context, Errors.NoSuchColumn(name, schema.Name));
                names.Add(f.Name);
            }
            fields = names;
        }
        var version = Routes.Version(context);
        return JsonOut.WriteAsync(context, 200, w => JsonOut.WriteRecord(w, record, version, fields));
    }

    private static async Task UpdateAsync(HttpContext context, SfState state, SObjectSchema schema)
    {
        var raw = (string)context.Request.RouteValues["id"]!;
        using var doc = await ReadRecordAsync(context, schema);
        if (doc is null)
            return;
        if (!SalesforceId.TryNormalize(raw, out var id) || !id.StartsWith(schema.KeyPrefix, StringComparison.Ordinal))
        {
            await JsonOut.RecordErrorsAsync(context, 400, [Errors.MalformedId(schema.IdLabel, raw, "Id")]);
            return;
        }
        var op = new WriteOp(WriteKind.Update, schema) { Id = id };
        RecordValidator.FromJson(op, doc.RootElement);
        op.Id = id; // the URL's id wins over an Id in the body
        await ApplySingleAsync(context, state, op, withCreated: false, status: 204);
    }

    private static async Task DeleteAsync(HttpContext context, SfState state, SObjectSchema schema)
    {
        var raw = (string)context.Request.RouteValues["id"]!;
        if (!SalesforceId.TryNormalize(raw, out var id) || !id.StartsWith(schema.KeyPrefix, StringComparison.Ordinal))
        {
            await JsonOut.RecordErrorsAsync(context, 400, [Errors.MalformedId(schema.IdLabel, raw, "Id")]);
            return;
        }
        var op = new WriteOp(WriteKind.Delete, schema) { Id = id };
        await ApplySingleAsync(context, state, op, withCreated: false, status: 204);
    }

    /// <summary>Whether a field can key an upsert: an external id, or a standard idLookup field such as Id.</summary>
    public static bool IsUpsertKey(FieldSchema field) => field.ExternalId || (field.IdLookup && !field.Custom);

    private static async Task UpsertAsync(HttpContext context, SfState state, SObjectSchema schema, string? value)
    {
        var fieldName = (string)context.Request.RouteValues["field"]!;
        if (!schema.FieldsByName.TryGetValue(fieldName, out var field) || !IsUpsertKey(field) || (value is null && field.Name != "Id"))
        {
            await JsonOut.ErrorAsync(context, new ApiError(404, "NOT_FOUND", $"Provided external ID field does not exist or is not accessible: {fieldName}"));
            return;
        }
        using var doc = await ReadRecordAsync(context, schema);
        if (doc is null)
            return;
        var op = new WriteOp(WriteKind.Upsert, schema)
        {
            ExternalField = field,
            ExternalValue = value,
            UpdateOnly = string.Equals(context.Request.Query["updateOnly"], "true", StringComparison.OrdinalIgnoreCase),
        };
        if (field.Name == "Id" && value is not null && !SalesforceId.TryNormalize(value, out _))
        {
            await JsonOut.RecordErrorsAsync(context, 400, [Errors.MalformedId(schema.IdLabel, value, "Id")]);
            return;
        }
        if (field.Name != "Id" && value is not null)
        {
            if (Values.FromText(field, value, out var normalized) is { } bad)
            {
                await JsonOut.RecordErrorsAsync(context, 400, [bad]);
                return;
            }
            op.ExternalValue = OrgStore.KeyOf(normalized!);
        }
        RecordValidator.FromJson(op, doc.RootElement);
        state.Store.Apply([op], allOrNone: true);
        state.Count([op]);
        var version = Routes.Version(context);
        if (op.Ambiguous.Count > 1)
        {
            await JsonOut.WriteAsync(context, 300, w =>
            {
                w.WriteStartArray();
                foreach (var id in op.Ambiguous)
                    w.WriteStringValue($"/services/data/v{version}/sobjects/{schema.Name}/{id}");
                w.WriteEndArray();
            });
            return;
        }
        if (op.Failed)
        {
            await JsonOut.RecordErrorsAsync(context, op.NotFound ? 404 : 400, op.Errors);
            return;
        }
        var modern = Routes.AtLeast(context, 46.0m);
        if (op.Created)
        {
            context.Response.Headers.Location = $"/services/data/v{version}/sobjects/{schema.Name}/{op.ResultId}";
            await JsonOut.WriteAsync(context, 201, w => JsonOut.WriteSaveResult(w, op, withCreated: modern));
        }
        else if (modern)
        {
            await JsonOut.WriteAsync(context, 200, w => JsonOut.WriteSaveResult(w, op, withCreated: true));
        }
        else
        {
            context.Response.StatusCode = 204;
        }
    }

    private static Task GetByExternalIdAsync(HttpContext context, SfState state, SObjectSchema schema)
    {
        var fieldName = (string)context.Request.RouteValues["field"]!;
        var value = (string)context.Request.RouteValues["value"]!;
        if (!schema.FieldsByName.TryGetValue(fieldName, out var field) || !IsUpsertKey(field))
            return JsonOut.ErrorAsync(context, new ApiError(404, "NOT_FOUND", $"Provided external ID field does not exist or is not accessible: {fieldName}"));
        var matches = state.Store.Find(schema, field, [value]);
        if (matches.Count == 0)
            return JsonOut.ErrorAsync(context, Errors.NotFound);
        if (matches.Count > 1)
        {
            var version = Routes.Version(context);
            return JsonOut.WriteAsync(context, 300, w =>
            {
                w.WriteStartArray();
                foreach (var r in matches)
                    w.WriteStringValue($"/services/data/v{version}/sobjects/{schema.Name}/{r.Id}");
                w.WriteEndArray();
            });
        }
        return WriteRecordAsync(context, state, schema, matches[0]);
    }
}

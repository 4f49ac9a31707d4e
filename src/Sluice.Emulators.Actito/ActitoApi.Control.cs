using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Sluice.Emulators.Actito;

/// <summary>
/// <c>/_emulator/...</c>: inspection and control for tests driving an emulator in another process. Not part of
/// Actito's API; no authentication and no limits.
/// </summary>
internal sealed partial class ActitoApi
{
    public Action? OnReset { get; set; }

    private async Task HandleControlAsync(HttpContext context, string[] segments)
    {
        var action = segments.Length > 1 ? segments[1] : "";
        var method = context.Request.Method;
        switch (action)
        {
            case "stats" when HttpMethods.IsGet(method):
                await JsonAsync(context, 200, StatsJson());
                return;
            case "reset" when HttpMethods.IsPost(method):
                OnReset?.Invoke();
                context.Response.StatusCode = 204;
                return;
            case "expire-tokens" when HttpMethods.IsPost(method):
                tokens.ExpireAll();
                context.Response.StatusCode = 204;
                return;
            case "faults" when HttpMethods.IsGet(method):
                await JsonAsync(context, 200, FaultsJson());
                return;
            case "faults" when HttpMethods.IsPost(method):
                var error = ApplyFaults(await ReadJsonAsync(context));
                if (error is not null) await ErrorAsync(context, 400, error);
                else await JsonAsync(context, 200, FaultsJson());
                return;
            case "profiles" when HttpMethods.IsPost(method):
                await SeedAsync(context);
                return;
            case "profiles" when HttpMethods.IsGet(method):
                await ListProfilesAsync(context);
                return;
            default:
                await ErrorAsync(context, 404, "Unknown emulator control route.");
                return;
        }
    }

    private JsonObject StatsJson()
    {
        var stats = counters.Snapshot();
        var endpoints = new JsonObject();
        foreach (var (name, count) in stats.RequestsPerEndpoint) endpoints[name] = count;
        var profiles = new JsonObject();
        foreach (var entity in store.Entities.OrderBy(e => e.Id))
        {
            foreach (var table in entity.Tables) profiles[$"{entity.Name}/{table.Name}"] = table.Count;
        }
        return new JsonObject
        {
            ["calls"] = stats.Calls,
            ["throttledCalls"] = stats.ThrottledCalls,
            ["tooManyRequests"] = stats.TooManyRequests,
            ["profilesCreated"] = stats.ProfilesCreated,
            ["profilesUpdated"] = stats.ProfilesUpdated,
            ["profilesDeleted"] = stats.ProfilesDeleted,
            ["importsRun"] = stats.ImportsRun,
            ["importRowsRead"] = stats.ImportRowsRead,
            ["importRowsInError"] = stats.ImportRowsInError,
            ["attributesCreated"] = stats.AttributesCreated,
            ["tokensIssued"] = stats.TokensIssued,
            ["authFailures"] = stats.AuthFailures,
            ["rateLimitViolations"] = stats.RateLimitViolations,
            ["faultsInjected"] = FaultSettings.CountsJson(faults.Counts),
            ["requestsPerEndpoint"] = endpoints,
            ["profilesStored"] = profiles,
        };
    }

    private JsonObject FaultsJson() => FaultSettings.ToJson(faults.Options, bulkJobs: false);

    private string? ApplyFaults(JsonNode? body) => FaultSettings.Apply(body, faults, bulkJobs: false);

    private async Task SeedAsync(HttpContext context)
    {
        var body = await ReadJsonAsync(context);
        var entityName = options.Entities[0];
        var tableName = "Profiles";
        JsonArray? items = body as JsonArray;
        if (body is JsonObject obj)
        {
            entityName = obj["entity"]?.GetValue<string>() ?? entityName;
            tableName = obj["table"]?.GetValue<string>() ?? tableName;
            items = obj["profiles"] as JsonArray;
        }
        var table = store.Entity(entityName)?.Find(tableName);
        if (table is null || items is null)
        {
            await ErrorAsync(context, table is null ? 404 : 400,
                table is null ? "Unknown entity or table." : "Expected {\"profiles\":[...]} or an array of profiles.");
            return;
        }
        var ids = new JsonArray();
        var errors = new List<string>();
        foreach (var item in items)
        {
            // Each item is a v4 profile body, or a flat {attribute: value} object.
            var profile = item is JsonObject o && o["attributes"] is null ? new JsonObject { ["attributes"] = o.DeepClone() } : item;
            var id = Seed(table, profile, errors);
            if (id is null) break;
            ids.Add(id.Value);
        }
        if (errors.Count > 0) await ErrorAsync(context, 400, string.Join(" ", errors));
        else await JsonAsync(context, 200, new JsonObject { ["profileIds"] = ids });
    }

    /// <summary>Stores a profile "created by someone else" (not counted in the created counter). Null on error.</summary>
    internal long? Seed(TableState table, JsonNode? profile, List<string> errors)
    {
        var change = ProfileJson.Read(profile, table, errors);
        if (errors.Count > 0) return null;
        var outcome = table.Write(change, WriteMode.CreateOnly, null, null, store.NextProfileId, Now());
        if (outcome.Status == WriteStatus.Created) return outcome.ProfileId;
        errors.Add(outcome.Message ?? "The profile could not be stored.");
        return null;
    }

    private async Task ListProfilesAsync(HttpContext context)
    {
        var entityName = context.Request.Query["entity"].ToString();
        var tableName = context.Request.Query["table"].ToString();
        var table = store.Entity(entityName.Length > 0 ? entityName : options.Entities[0])?.Find(tableName.Length > 0 ? tableName : "Profiles");
        if (table is null)
        {
            await ErrorAsync(context, 404, "Unknown entity or table.");
            return;
        }
        var list = new JsonArray();
        foreach (var flat in table.Snapshot())
        {
            var obj = new JsonObject();
            foreach (var (name, value) in flat) obj[name] = value;
            list.Add(obj);
        }
        await JsonAsync(context, 200, new JsonObject { ["profiles"] = list });
    }
}

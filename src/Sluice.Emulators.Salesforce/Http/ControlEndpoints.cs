using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Sluice.Emulators.Salesforce.Http;

/// <summary>Inspection and control under <c>/_emulator/</c>: not part of the Salesforce API.</summary>
internal static class ControlEndpoints
{
    public static void Map(WebApplication app, SfState state)
    {
        app.MapGet("/_emulator/stats", (HttpContext c) => StatsAsync(c, state));
        app.MapPost("/_emulator/reset", (HttpContext c) =>
        {
            state.Reset();
            c.Response.StatusCode = 204;
            return Task.CompletedTask;
        });
        app.MapPost("/_emulator/expire-tokens", (HttpContext c) =>
        {
            state.Tokens.ExpireAll();
            c.Response.StatusCode = 204;
            return Task.CompletedTask;
        });
        app.MapPost("/_emulator/faults", (HttpContext c) => FaultsAsync(c, state));
        app.MapGet("/_emulator/faults", (HttpContext c) => WriteFaultsAsync(c, state.Faults.Options));
        app.MapGet("/_emulator/records/{sobject}", (HttpContext c) => RecordsAsync(c, state, (string)c.Request.RouteValues["sobject"]!));
    }

    private static Task StatsAsync(HttpContext context, SfState state)
    {
        var stats = Routes.Stats(state);
        return JsonOut.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            WriteMap(w, "requests", stats.Requests);
            WriteMap(w, "created", stats.Created);
            WriteMap(w, "updated", stats.Updated);
            WriteMap(w, "deleted", stats.Deleted);
            w.WritePropertyName("stored");
            w.WriteStartObject();
            foreach (var (k, v) in stats.Stored)
                w.WriteNumber(k, v);
            w.WriteEndObject();
            w.WriteNumber("totalStored", stats.Stored.Values.Sum());
            w.WriteNumber("recordErrors", stats.RecordErrors);
            w.WriteNumber("apiUsage", stats.ApiUsage);
            w.WriteNumber("dailyApiLimit", state.Options.DailyApiLimit);
            w.WriteNumber("limitRefusals", stats.LimitRefusals);
            w.WriteNumber("rateLimitViolations", stats.RateLimitViolations);
            w.WriteNumber("throttled", stats.InjectedThrottles);
            w.WriteNumber("injectedErrors", stats.InjectedErrors);
            w.WriteNumber("authFailures", stats.AuthFailures);
            w.WriteNumber("tokensIssued", stats.TokensIssued);
            w.WriteNumber("bulkJobsInProgress", state.Bulk.InProgressCount);
            w.WritePropertyName("faultsInjected");
            FaultSettings.CountsJson(state.Faults.Counts).WriteTo(w);
            w.WriteEndObject();
        });
    }

    private static void WriteMap(Utf8JsonWriter w, string name, IReadOnlyDictionary<string, long> map)
    {
        w.WritePropertyName(name);
        w.WriteStartObject();
        foreach (var (k, v) in map)
            w.WriteNumber(k, v);
        w.WriteEndObject();
    }

    private static async Task FaultsAsync(HttpContext context, SfState state)
    {
        JsonNode? body;
        try
        {
            body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        }
        catch (JsonException)
        {
            body = null;
        }
        var error = FaultSettings.Apply(body, state.Faults, bulkJobs: true);
        if (error is not null)
        {
            await JsonOut.WriteAsync(context, 400, w => new JsonObject { ["error"] = error }.WriteTo(w));
            return;
        }
        state.Bulk.FaultsChanged();
        await WriteFaultsAsync(context, state.Faults.Options);
    }

    private static Task WriteFaultsAsync(HttpContext context, FaultOptions o) =>
        JsonOut.WriteAsync(context, 200, w => FaultSettings.ToJson(o, bulkJobs: true).WriteTo(w));

    private static Task RecordsAsync(HttpContext context, SfState state, string sobject)
    {
        var records = state.Store.All(sobject);
        return JsonOut.WriteAsync(context, 200, w =>
        {
            w.WriteStartArray();
            foreach (var r in records)
            {
                w.WriteStartObject();
                foreach (var (k, v) in r.Values)
                {
                    w.WritePropertyName(k);
                    JsonOut.WriteValue(w, v);
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
        });
    }
}

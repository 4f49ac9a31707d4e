using System.Text.Json;
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
            w.WriteNumber("throttled", stats.InjectedThrottles);
            w.WriteNumber("injectedErrors", stats.InjectedErrors);
            w.WriteNumber("authFailures", stats.AuthFailures);
            w.WriteNumber("tokensIssued", stats.TokensIssued);
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
        using var doc = await Routes.ReadJsonAsync(context);
        if (doc is null)
            return;
        var o = state.Faults.Options;
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            switch (p.Name.ToLowerInvariant())
            {
                case "errorrate":
                    o.ErrorRate = p.Value.GetDouble();
                    break;
                case "latencyms":
                    o.Latency = TimeSpan.FromMilliseconds(p.Value.GetDouble());
                    break;
                case "latency":
                    o.Latency = p.Value.ValueKind == JsonValueKind.Number ? TimeSpan.FromMilliseconds(p.Value.GetDouble()) : TimeSpan.Parse(p.Value.GetString()!, System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case "throttleburstevery":
                    o.ThrottleBurstEvery = p.Value.GetInt32();
                    break;
                case "throttleburstlength":
                    o.ThrottleBurstLength = p.Value.GetInt32();
                    break;
                case "throttleretryafterseconds":
                    o.ThrottleRetryAfterSeconds = p.Value.ValueKind == JsonValueKind.Null ? null : p.Value.GetInt32();
                    break;
                case "dropconnectionrate":
                    o.DropConnectionRate = p.Value.GetDouble();
                    break;
                case "seed":
                    o.Seed = p.Value.ValueKind == JsonValueKind.Null ? null : p.Value.GetInt32();
                    if (o.Seed is { } seed)
                        state.Faults.Reseed(seed);
                    break;
            }
        }
        await WriteFaultsAsync(context, o);
    }

    private static Task WriteFaultsAsync(HttpContext context, FaultOptions o) =>
        JsonOut.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteNumber("errorRate", o.ErrorRate);
            w.WriteNumber("latencyMs", o.Latency.TotalMilliseconds);
            w.WriteNumber("throttleBurstEvery", o.ThrottleBurstEvery);
            w.WriteNumber("throttleBurstLength", o.ThrottleBurstLength);
            if (o.ThrottleRetryAfterSeconds is { } r)
                w.WriteNumber("throttleRetryAfterSeconds", r);
            else
                w.WriteNull("throttleRetryAfterSeconds");
            w.WriteNumber("dropConnectionRate", o.DropConnectionRate);
            w.WriteEndObject();
        });

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

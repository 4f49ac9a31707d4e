using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sluice.Emulators.Salesforce.Store;

namespace Sluice.Emulators.Salesforce.Http;

/// <summary>The pipeline: counting, version, session and API-limit checks for /services/data, then the endpoints.</summary>
internal static class Routes
{
    public const string Data = "/services/data/v{version}";

    public static void Map(WebApplication app, SfState state)
    {
        app.Use(async (context, next) =>
        {
            var pattern = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(unmatched)";
            state.Counters.Request(context.Request.Method + " " + pattern);
            if (context.Request.Path.StartsWithSegments("/services/data", out var rest) && rest.HasValue && rest.Value!.Length > 1)
            {
                if (await RejectAsync(context, state, rest.Value!))
                    return;
            }
            await next(context);
        });

        OAuthEndpoints.Map(app, state);
        ControlEndpoints.Map(app, state);
        SObjectEndpoints.Map(app, state);
        CompositeEndpoints.Map(app, state);
        QueryEndpoints.Map(app, state);
        BulkEndpoints.Map(app, state);
        app.MapGet("/services/data", (HttpContext c) => Versions(c));
        app.MapGet("/services/data/", (HttpContext c) => Versions(c));
        app.Map("/services/data/{**rest}", (HttpContext c) => JsonOut.ErrorAsync(c, Errors.NotFound));
    }

    /// <summary>Version, session and daily-limit gate. True when the request was answered here.</summary>
    private static async Task<bool> RejectAsync(HttpContext context, SfState state, string rest)
    {
        // rest is "/v59.0/..." (version segment first).
        var end = rest.IndexOf('/', 1);
        var segment = end < 0 ? rest[1..] : rest[1..end];
        if (segment.Length < 2 || segment[0] != 'v'
            || !decimal.TryParse(segment.AsSpan(1), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var version)
            || version < 41.0m)
        {
            await JsonOut.ErrorAsync(context, Errors.NotFound);
            return true;
        }
        context.Items[SfState.VersionKey] = segment[1..];

        var auth = context.Request.Headers.Authorization.ToString();
        var token = auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? auth[7..].Trim()
            : auth.StartsWith("OAuth ", StringComparison.OrdinalIgnoreCase) ? auth[6..].Trim()
            : "";
        if (token.Length == 0 || !state.Tokens.IsValid(token))
        {
            Interlocked.Increment(ref state.Counters.AuthFailures);
            context.Response.Headers.WWWAuthenticate = "Token";
            await JsonOut.ErrorAsync(context, Errors.SessionInvalid);
            return true;
        }

        var used = Interlocked.Increment(ref state.Counters.ApiUsage);
        var max = state.Options.DailyApiLimit;
        context.Response.Headers["Sforce-Limit-Info"] = $"api-usage={Math.Min(used, max)}/{max}";
        if (used > max)
        {
            // Counted even with limits off, so a client that would have been refused still shows up.
            Interlocked.Increment(ref state.Counters.RateLimitViolations);
            if (!state.Options.RateLimits)
                return false;
            Interlocked.Increment(ref state.Counters.LimitRefusals);
            await JsonOut.ErrorAsync(context, Errors.RequestLimit);
            return true;
        }
        return false;
    }

    public static string Version(HttpContext context) => (string)context.Items[SfState.VersionKey]!;

    public static bool AtLeast(HttpContext context, decimal version) =>
        decimal.Parse(Version(context), CultureInfo.InvariantCulture) >= version;

    private static Task Versions(HttpContext context) =>
        JsonOut.WriteAsync(context, 200, w =>
        {
            w.WriteStartArray();
            foreach (var v in new[] { "41.0", "42.0", "45.0", "46.0", "50.0", "55.0", "58.0", "59.0", "60.0", "61.0", "62.0" })
            {
                w.WriteStartObject();
                w.WriteString("label", "Emulated");
                w.WriteString("url", $"/services/data/v{v}");
                w.WriteString("version", v);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        });

    /// <summary>Reads a JSON body; a parse failure answers 400 JSON_PARSER_ERROR and returns null.</summary>
    public static async Task<JsonDocument?> ReadJsonAsync(HttpContext context)
    {
        try
        {
            return await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted);
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } line ? $" at [line:{line + 1}, column:{(ex.BytePositionInLine ?? 0) + 1}]" : "";
            await JsonOut.ErrorAsync(context, Errors.JsonParser("Unexpected character in the JSON body" + where));
            return null;
        }
    }

    public static SalesforceEmulatorStats Stats(SfState state) => new()
    {
        Requests = state.Counters.Requests,
        Created = state.Counters.CreatedCounts,
        Updated = state.Counters.UpdatedCounts,
        Deleted = state.Counters.DeletedCounts,
        Stored = state.Catalog.ByName.Keys.Order(StringComparer.Ordinal).ToDictionary(n => n, state.Store.Count),
        RecordErrors = Interlocked.Read(ref state.Counters.RecordErrors),
        ApiUsage = Interlocked.Read(ref state.Counters.ApiUsage),
        LimitRefusals = Interlocked.Read(ref state.Counters.LimitRefusals),
        RateLimitViolations = Interlocked.Read(ref state.Counters.RateLimitViolations),
        FaultsInjected = state.Faults.Counts,
        InjectedThrottles = Interlocked.Read(ref state.Counters.InjectedThrottles),
        InjectedErrors = Interlocked.Read(ref state.Counters.InjectedErrors),
        AuthFailures = Interlocked.Read(ref state.Counters.AuthFailures),
        TokensIssued = Interlocked.Read(ref state.Counters.TokensIssued),
    };
}

using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Sluice.Emulators.Iterable;

/// <summary>Iterable's response envelope <c>{msg, code, params}</c> and the texts the emulator answers with.</summary>
internal static class IterableResponses
{
    public static Task WriteJsonAsync(HttpContext context, int status, JsonNode body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        var bytes = JsonSerializer.SerializeToUtf8Bytes(body, IterableJson.Options);
        context.Response.ContentLength = bytes.Length;
        return context.Response.Body.WriteAsync(bytes, context.RequestAborted).AsTask();
    }

    public static Task WriteEnvelopeAsync(HttpContext context, int status, string code, string msg, JsonObject? parameters = null) =>
        WriteJsonAsync(context, status, Envelope(code, msg, parameters));

    public static JsonObject Envelope(string code, string msg, JsonObject? parameters = null) =>
        new() { ["msg"] = msg, ["code"] = code, ["params"] = parameters };

    public static Task BadApiKeyAsync(HttpContext context) =>
        WriteEnvelopeAsync(context, StatusCodes.Status401Unauthorized, "BadApiKey", "Invalid API key");

    public static Task RateLimitedAsync(HttpContext context, TimeSpan? retryAfter)
    {
        if (retryAfter is { } wait)
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return WriteEnvelopeAsync(context, StatusCodes.Status429TooManyRequests, "RateLimitExceeded", "Rate limit exceeded");
    }

    public static Task BadJsonAsync(HttpContext context) =>
        WriteEnvelopeAsync(context, StatusCodes.Status400BadRequest, "BadJsonBody", "Could not parse request body as JSON");

    public static Task BadParamsAsync(HttpContext context, string msg) =>
        WriteEnvelopeAsync(context, StatusCodes.Status400BadRequest, "BadParams", msg);

    /// <summary>The RequestFieldsTypesMismatched body, shaped like the one Block's Go client parses.</summary>
    public static JsonObject TypeMismatch(int projectId, IEnumerable<TypeConflict> conflicts)
    {
        var errors = new JsonObject();
        foreach (var conflict in conflicts)
        {
            var key = $"users-{projectId}:::{conflict.Field}";
            if (errors.ContainsKey(key))
                continue;
            errors[key] = new JsonObject
            {
                ["incomingTypes"] = FieldTypes.IncomingTypes(conflict.IncomingType),
                ["expectedType"] = conflict.ExpectedType,
                ["category"] = "user",
                ["offendingValue"] = conflict.OffendingValue?.DeepClone(),
                ["_type"] = "UnexpectedType",
            };
        }
        return Envelope(
            "RequestFieldsTypesMismatched",
            $"Project {projectId}: The request does not have the same data types as existing fields. Please check the field types in the project's data schema.",
            new JsonObject { ["validationErrors"] = errors });
    }
}

internal static class IterableJson
{
    public static readonly JsonSerializerOptions Options = new() { WriteIndented = false };
}

/// <summary>Injected faults, worded as Iterable words them.</summary>
internal sealed class IterableFaultResponder(Counters counters) : IFaultResponder
{
    public Task WriteServerErrorAsync(HttpContext context)
    {
        Interlocked.Increment(ref counters.InjectedErrors);
        return IterableResponses.WriteEnvelopeAsync(context, StatusCodes.Status500InternalServerError, "GenericError",
            "Internal server error");
    }

    public Task WriteThrottledAsync(HttpContext context, int? retryAfterSeconds)
    {
        Interlocked.Increment(ref counters.InjectedThrottles);
        return IterableResponses.RateLimitedAsync(context,
            retryAfterSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null);
    }
}

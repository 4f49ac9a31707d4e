using Microsoft.AspNetCore.Http;
using Sluice.Emulators.Salesforce.Http;
using Sluice.Emulators.Salesforce.Store;

namespace Sluice.Emulators.Salesforce;

/// <summary>
/// Injected faults worded as Salesforce words them. A server error is 500 UNKNOWN_EXCEPTION. A throttle is
/// 503 SERVER_UNAVAILABLE with Retry-After (retriable), or, with
/// <see cref="SalesforceEmulatorOptions.InjectThrottleAsRequestLimit"/>, 403 REQUEST_LIMIT_EXCEEDED
/// "ConcurrentPerOrgLongTxn Limit exceeded.". The OAuth endpoint answers with its own JSON object shape.
/// </summary>
internal sealed class SalesforceFaultResponder(Func<SfState?> state) : IFaultResponder
{
    public async Task WriteServerErrorAsync(HttpContext context)
    {
        if (state() is { } s)
            Interlocked.Increment(ref s.Counters.InjectedErrors);
        if (IsOAuth(context))
        {
            await JsonOut.WriteAsync(context, 500, w =>
            {
                w.WriteStartObject();
                w.WriteString("error", "server_error");
                w.WriteString("error_description", "internal server error");
                w.WriteEndObject();
            });
            return;
        }
        await JsonOut.ErrorAsync(context, new ApiError(500, "UNKNOWN_EXCEPTION",
            "An unexpected error occurred. Please include this ErrorId if you contact support: 1392783419-61470 (-1094367218)"));
    }

    public async Task WriteThrottledAsync(HttpContext context, int? retryAfterSeconds)
    {
        var s = state();
        if (s is not null)
            Interlocked.Increment(ref s.Counters.InjectedThrottles);
        if (s?.Options.InjectThrottleAsRequestLimit == true && !IsOAuth(context))
        {
            await JsonOut.ErrorAsync(context, new ApiError(403, "REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded."));
            return;
        }
        if (retryAfterSeconds is { } seconds)
            context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (IsOAuth(context))
        {
            await JsonOut.WriteAsync(context, 503, w =>
            {
                w.WriteStartObject();
                w.WriteString("error", "temporarily_unavailable");
                w.WriteString("error_description", "service temporarily unavailable");
                w.WriteEndObject();
            });
            return;
        }
        await JsonOut.ErrorAsync(context, new ApiError(503, "SERVER_UNAVAILABLE",
            "Server temporarily unavailable due to heavy load. Try again later."));
    }

    private static bool IsOAuth(HttpContext context) => context.Request.Path.StartsWithSegments("/services/oauth2");
}

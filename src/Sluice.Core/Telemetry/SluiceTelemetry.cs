using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Sluice.Core.Telemetry;

/// <summary>
/// Sluice's traces and metrics, with System.Diagnostics only: a host that wants them (the server's OpenTelemetry SDK, a
/// test's <see cref="MeterListener"/>) listens to the source and the meter named <see cref="Name"/>; without a listener
/// they cost a null check. One source and one meter for the process, as .NET's own libraries do (the instruments are
/// thread-safe and hold no per-run state). Tags carry names, modes, ids, outcomes and status classes: never a secret,
/// a row value or a key.
/// </summary>
public static class SluiceTelemetry
{
    /// <summary>The name of the <see cref="ActivitySource"/> and of the <see cref="Meter"/>.</summary>
    public const string Name = "Sluice";

    public static ActivitySource Source { get; } = new(Name, typeof(SluiceTelemetry).Assembly.GetName().Version?.ToString());

    public static Meter Meter { get; } = new(Name, typeof(SluiceTelemetry).Assembly.GetName().Version?.ToString());

    /// <summary>Runs finished, by sync and outcome (<c>succeeded</c>, <c>failed</c>, <c>cancelled</c>).</summary>
    public static Counter<long> Runs { get; } = Meter.CreateCounter<long>("sluice.runs", "{run}", "Runs finished");

    // The SDK's default buckets are for milliseconds (0 to 10,000); runs last from a second to hours.
    public static Histogram<double> RunDuration { get; } = Meter.CreateHistogram("sluice.run.duration", "s", "Duration of a run, from its claim to its record",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400] });

    /// <summary>Rows a run planned to send or delete, counted when the plan is made.</summary>
    public static Counter<long> RowsPlanned { get; } = Meter.CreateCounter<long>("sluice.rows.planned", "{row}", "Rows planned to send or delete");

    /// <summary>Rows sent to the destination (a row sent again in a later run counts again), counted per committed batch.</summary>
    public static Counter<long> RowsSent { get; } = Meter.CreateCounter<long>("sluice.rows.sent", "{row}", "Rows sent to the destination");

    /// <summary>Rows the destination acknowledged (created or updated), counted per committed batch.</summary>
    public static Counter<long> RowsDelivered { get; } = Meter.CreateCounter<long>("sluice.rows.delivered", "{row}", "Rows acknowledged by the destination");

    public static Counter<long> RowsDeleted { get; } = Meter.CreateCounter<long>("sluice.rows.deleted", "{row}", "Records deleted from the destination");

    /// <summary>Rows refused, by reason: <c>rejected</c> (by the destination), <c>not_found</c> (update mode), <c>invalid</c> (null or duplicate key).</summary>
    public static Counter<long> RowsRejected { get; } = Meter.CreateCounter<long>("sluice.rows.rejected", "{row}", "Rows refused, with the reason class");

    /// <summary>HTTP calls to a service, by service and status class (<c>2xx</c>...<c>5xx</c>, <c>error</c> without an answer), retries included.</summary>
    public static Counter<long> ApiCalls { get; } = Meter.CreateCounter<long>("sluice.api.calls", "{call}", "HTTP calls to a destination's API, retries included");

    /// <summary>Retries of a call, by service and reason (<c>throttled</c>, <c>server_error</c>, <c>timeout</c>, <c>unreachable</c>, <c>connection</c>, <c>transient</c>).</summary>
    public static Counter<long> Retries { get; } = Meter.CreateCounter<long>("sluice.api.retries", "{retry}", "Calls retried after a transient failure");

    /// <summary>Answers saying "too many requests" (HTTP 429), by service.</summary>
    public static Counter<long> Throttled { get; } = Meter.CreateCounter<long>("sluice.api.throttled", "{call}", "HTTP 429 answers");

    /// <summary>Time calls waited for the client-side rate limiter (only the waits longer than zero), by service.</summary>
    public static Histogram<double> PacingWait { get; } = Meter.CreateHistogram("sluice.api.pacing.wait", "s", "Time a call waited for the client-side rate limiter",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });

    /// <summary>The tag names, shared by spans and metrics.</summary>
    public static class Tags
    {
        public const string Sync = "sluice.sync";
        public const string Mode = "sluice.sync.mode";
        public const string Destination = "sluice.destination";
        public const string DestinationType = "sluice.destination.type";
        public const string RunId = "sluice.run.id";
        public const string Outcome = "sluice.run.outcome";
        public const string FullResync = "sluice.run.full_resync";
        public const string ErrorType = "error.type";
        public const string Service = "sluice.service";
        public const string StatusClass = "http.response.status_class";
        public const string RetryReason = "sluice.retry.reason";
        public const string RejectReason = "sluice.row.reason";
        public const string BatchRows = "sluice.batch.rows";
        public const string BatchDelivered = "sluice.batch.delivered";
        public const string BatchRejected = "sluice.batch.rejected";
    }

    /// <summary>The status class of an HTTP status: <c>2xx</c>, <c>4xx</c>...</summary>
    public static string StatusClass(int status) => status switch
    {
        >= 100 and < 200 => "1xx",
        >= 200 and < 300 => "2xx",
        >= 300 and < 400 => "3xx",
        >= 400 and < 500 => "4xx",
        >= 500 and < 600 => "5xx",
        _ => "other",
    };
}

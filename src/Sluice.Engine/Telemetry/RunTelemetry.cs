using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Sluice.Core.Configuration;
using Sluice.Core.Destinations;
using Sluice.Core.State;
using Sluice.Core.Telemetry;
using Tags = Sluice.Core.Telemetry.SluiceTelemetry.Tags;

namespace Sluice.Engine.Telemetry;

/// <summary>
/// One run's span (<c>sluice.run</c>, the parent of its phases and batches), its log scope (every line logged during
/// the run, by the engine and the destinations, carries <c>Sync</c> and <c>RunId</c>) and its metrics.
/// </summary>
internal sealed class RunTelemetry : IDisposable
{
    private static readonly Func<ILogger, string, long, IDisposable?> Scope =
        LoggerMessage.DefineScope<string, long>("sync {Sync} run {RunId}");

    private readonly SyncConfig _sync;
    private readonly Activity? _span;
    private readonly IDisposable? _scope;

    public RunTelemetry(SyncConfig sync, long runId, bool fullResync, ILogger logger)
    {
        _sync = sync;
        _scope = Scope(logger, sync.Name, runId);
        // Each run is a trace of its own (a run outlives the API request that started it), linked to what started it.
        var trigger = Activity.Current;
        Activity.Current = null;
        _span = SluiceTelemetry.Source.StartActivity("sluice.run", ActivityKind.Internal, default(ActivityContext),
            links: trigger is null ? null : [new ActivityLink(trigger.Context)]);
        _span?.SetTag(Tags.Sync, sync.Name).SetTag(Tags.Mode, sync.Mode.ToString().ToLowerInvariant())
            .SetTag(Tags.Destination, sync.Destination).SetTag(Tags.RunId, runId).SetTag(Tags.FullResync, fullResync);
    }

    /// <summary>A child span for a phase: <c>sluice.check</c>, <c>sluice.plan</c>, <c>sluice.deliver</c>.</summary>
    public static Activity? Phase(string name) => SluiceTelemetry.Source.StartActivity(name, ActivityKind.Internal);

    public void Resolved(string destinationType) => _span?.SetTag(Tags.DestinationType, destinationType);

    public void Planned(long rows)
    {
        _span?.SetTag("sluice.rows.planned", rows);
        if (rows > 0)
            SluiceTelemetry.RowsPlanned.Add(rows, new KeyValuePair<string, object?>(Tags.Sync, _sync.Name));
    }

    public void Invalid(long rows)
    {
        if (rows > 0)
            Rows.Rejected(_sync.Name, rows, "invalid");
    }

    /// <summary>Ends the span with the run's outcome, as history recorded it, and counts the run.</summary>
    public void Finished(RunRecord record, ErrorCategory? failure)
    {
        var outcome = record.Status.ToString().ToLowerInvariant();
        var tags = new TagList { { Tags.Sync, _sync.Name }, { Tags.Outcome, outcome } };
        if (failure is { } category && record.Status == RunStatus.Failed)
            tags.Add(Tags.ErrorType, category.ToString().ToLowerInvariant());
        SluiceTelemetry.Runs.Add(1, tags);
        if (record.Duration is { } duration)
            SluiceTelemetry.RunDuration.Record(duration.TotalSeconds, tags);
        if (_span is null)
            return;
        _span.SetTag(Tags.Outcome, outcome).SetTag("sluice.rows.delivered", record.Counts.Delivered)
            .SetTag("sluice.rows.rejected", record.Counts.Rejected);
        if (record.Status == RunStatus.Failed)
        {
            _span.SetTag(Tags.ErrorType, failure?.ToString().ToLowerInvariant() ?? "unknown");
            // The run's message names the sync and the cause, never a secret: history and the UI show it too.
            _span.SetStatus(ActivityStatusCode.Error, record.Error);
        }
    }

    public void Dispose()
    {
        _span?.Dispose();
        _scope?.Dispose();
    }
}

/// <summary>Row counters, by sync: what one committed batch adds.</summary>
internal static class Rows
{
    public static void Batch(string sync, long sent, long delivered, long deleted, long rejected, long notFound)
    {
        var tag = new KeyValuePair<string, object?>(Tags.Sync, sync);
        if (sent > 0)
            SluiceTelemetry.RowsSent.Add(sent, tag);
        if (delivered > 0)
            SluiceTelemetry.RowsDelivered.Add(delivered, tag);
        if (deleted > 0)
            SluiceTelemetry.RowsDeleted.Add(deleted, tag);
        if (rejected > 0)
            Rejected(sync, rejected, "rejected");
        if (notFound > 0)
            Rejected(sync, notFound, "not_found");
    }

    public static void Rejected(string sync, long rows, string reason) => SluiceTelemetry.RowsRejected.Add(rows,
        new KeyValuePair<string, object?>(Tags.Sync, sync), new KeyValuePair<string, object?>(Tags.RejectReason, reason));
}

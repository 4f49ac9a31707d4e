using Sluice.Core.State;
using Sluice.Engine;

namespace Sluice.Server.Api;

/// <summary>A sync as the API and the UI show it: its settings that are not secrets, its last and next run.</summary>
public sealed record SyncView(
    string Name,
    string Model,
    string Destination,
    string Mode,
    string Schedule,
    DateTimeOffset? NextRun,
    RunView? LastRun,
    RunView? Running,
    string? ScheduleProblem,
    PauseView? Paused);

/// <summary>
/// Why a sync is paused: the broken part (<c>source</c>, <c>model</c>, <c>destination credentials</c>), what is wrong,
/// since when, the run that found it, the latest check that found it still broken; <c>upstream</c>: the sync it runs after
/// that is paused, when it is paused for that one.
/// </summary>
public sealed record PauseView(string Part, string Reason, DateTimeOffset Since, long? RunId, string? Upstream, DateTimeOffset? CheckedAt)
{
    public static PauseView From(SyncPause p) => new(p.Part, p.Reason, p.Since, p.RunId, p.Upstream, p.CheckedAt);
}

/// <summary>A warning in force for a sync: since when (and the run that raised it), the latest run that has it, and its numbers.</summary>
public sealed record WarningView(string Sync, string Warning, DateTimeOffset Since, long SinceRun, long LatestRun, string Detail);

/// <summary>One run, with the counts of <see cref="RunCounts"/> and, while it runs here, its progress.</summary>
public sealed record RunView(
    long RunId,
    string Sync,
    string Status,
    bool FullResync,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt,
    double? DurationSeconds,
    RunCounts Counts,
    IReadOnlyList<string> Warnings,
    string? Error,
    ProgressView? Progress)
{
    public bool Finished => Status is not "running";

    /// <summary>
    /// The run as history has it; a run still held by this process's runner shows as running until it has released its
    /// sync (history records the end a moment before), so that "finished" means the sync can be run or planned again.
    /// </summary>
    public static RunView From(RunRecord run, ActiveRun? live = null) => new(
        run.RunId,
        run.Sync,
        live is not null && live.RunId == run.RunId ? "running" : run.Status.ToString().ToLowerInvariant(),
        run.FullResync,
        Utc(run.StartedAt),
        run.FinishedAt is { } f ? Utc(f) : null,
        run.Duration?.TotalSeconds,
        run.Counts,
        run.Warnings,
        run.Error,
        live?.Progress is { } p && live.RunId == run.RunId ? ProgressView.From(p) : null);

    internal static DateTimeOffset Utc(DateTime at) => new(DateTime.SpecifyKind(at, DateTimeKind.Utc));
}

/// <summary>Where a running run is: its phase and what has an outcome of what it plans to send.</summary>
public sealed record ProgressView(string Phase, long Planned, long Done, long Sent, long Delivered, long Deleted, long Rejected,
    long NotFound, long Skipped, long Batches, double? Percent)
{
    public static ProgressView From(RunProgress p) => new(p.Phase.ToString().ToLowerInvariant(), p.Planned, p.Done, p.Sent, p.Delivered,
        p.Deleted, p.Rejected, p.NotFound, p.Skipped, p.Batches, p.Planned > 0 ? Math.Round(100.0 * Math.Min(p.Done, p.Planned) / p.Planned, 1) : null);
}

/// <summary>A row the destination or Sluice's checks refused, with the reason and the destination's code.</summary>
public sealed record RejectedView(string Key, string Outcome, string? Code, string Reason, DateTimeOffset At);

/// <summary>A page of a run's rejected rows, in key order, optionally only keys containing <see cref="Key"/>.</summary>
public sealed record RejectedPage(long RunId, string Sync, int Page, int PageSize, int Total, string? Key, IReadOnlyList<RejectedView> Rows,
    string? Note);

/// <summary>What the next run of a sync would do (what <c>sluice plan</c> shows), without row values.</summary>
public sealed record PlanView(string Sync, string Mode, long ModelRows, long Added, long Changed, long Removed, long Unchanged, long NullKeys,
    long DuplicateKeys, long ToSend, long ToDelete, long Ledger, bool MirrorGuardTrips, string? Pacing, IReadOnlyList<PlanSample> Samples,
    IReadOnlyList<string> Deletes);

public sealed record PlanSample(string Kind, string Key);

/// <summary>The answer to "Run now": the run's id and where to follow it.</summary>
public sealed record RunStarted(long RunId, string Sync, string Url);

/// <summary>The body of "Run now" (optional).</summary>
public sealed record RunRequest(bool FullResync = false);

/// <summary>The configuration the server runs on and the problems of the last reload.</summary>
public sealed record ConfigView(DateTimeOffset LoadedAt, int Syncs, IReadOnlyList<string> Problems);

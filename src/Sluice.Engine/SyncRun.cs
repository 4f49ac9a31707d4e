using Sluice.Core.Configuration;
using Sluice.Core.Destinations;
using Sluice.Core.Models;
using Sluice.Core.Planning;
using Sluice.Core.Sources;
using Sluice.Core.State;
using Sluice.State;

namespace Sluice.Engine;

/// <summary>Everything one run of a sync needs, already resolved from the project.</summary>
public sealed record SyncRunRequest(
    SyncConfig Sync,
    ModelConfig Model,
    ISource Source,
    IDestinationProvider Provider,
    IDestination Destination,
    IReadOnlyList<ModelColumn> Columns)
{
    public SyncContext Context => new(
        Sync.Name,
        Sync.Mode,
        Model.Kind,
        new FieldMapping(Sync.Match.Column, Sync.Match.Field),
        Sync.Mappings.Select(m => new FieldMapping(m.Column, m.Field)).ToList(),
        Columns);

    internal PlanRequest ToPlanRequest(bool fullResync) => new(
        Sync.Name, Model.Sql, Source, Model.PrimaryKey, Context.Match, Context.Mappings, Columns, fullResync,
        Provider.CompareMatches(Context));
}

/// <summary>How to run.</summary>
/// <param name="FullResync">Send every row again, not only the changes.</param>
/// <param name="AllowMassDelete">Let a mirror run delete more than its max_deletes guard.</param>
public sealed record RunOptions(bool FullResync = false, bool AllowMassDelete = false)
{
    /// <summary>
    /// A graceful stop: when signalled, no new batch is sent, the batches in flight finish and are committed, and the
    /// run is recorded as cancelled. The run's own cancellation token stays the hard stop, which also aborts requests in
    /// flight (they stay in doubt for the next run).
    /// </summary>
    public CancellationToken Stop { get; init; }
}

/// <summary>The phases of a run, in order.</summary>
public enum RunPhase
{
    /// <summary>Checking the sync: model columns, destination rules, credentials and schema.</summary>
    Resolving,

    /// <summary>Diffing the model against the ledger.</summary>
    Planning,

    /// <summary>Settling what an earlier, interrupted run left in doubt.</summary>
    Settling,

    /// <summary>Sending batches and committing each acknowledged one.</summary>
    Delivering,
}

/// <summary>
/// Where a run is, reported after each phase starts and after each committed batch: what it plans to send and what
/// happened so far, with the counts' meanings of <see cref="RunCounts"/>.
/// </summary>
public sealed record RunProgress(
    RunPhase Phase,
    long Planned,
    long Sent,
    long Delivered,
    long Deleted,
    long Rejected,
    long NotFound,
    long Skipped,
    long Batches,
    DeliveryEstimate? Pacing = null)
{
    /// <summary>Planned records that have an outcome.</summary>
    public long Done => Delivered + Deleted + Rejected + NotFound + Skipped;
}

/// <summary>
/// The outcome of a run: its history record and, when it failed, why; <see cref="Problems"/> holds every
/// configuration problem when the sync could not be resolved.
/// </summary>
public sealed record RunOutcome(RunRecord Record, ErrorCategory? ErrorCategory, IReadOnlyList<ConfigProblem>? Problems = null)
{
    public bool Succeeded => Record.Status == RunStatus.Succeeded;
}

/// <summary>The warnings a run can raise (warnings.md).</summary>
public static class RunWarnings
{
    public const string Failed = "run-failed";
    public const string RejectedRows = "rejected-rows";
    public const string EmptyModel = "empty-model";
    public const string MirrorGuard = "mirror-guard";
    public const string RowCountChange = "row-count-change";
    public const string NotSucceeded = "not-succeeded";

    /// <summary>How many runs back the warnings that compare with earlier runs read the history.</summary>
    public const int HistoryDepth = EarlierRuns.Depth;

    /// <summary>What a warning of <paramref name="run"/> means in numbers, judged against the sync's history (newest first).</summary>
    public static string Describe(string warning, SyncConfig sync, RunRecord run, IReadOnlyList<RunRecord> history) =>
        RunWarningPolicy.Describe(warning, sync, run, EarlierRuns.From(history, run.RunId));

    /// <summary>
    /// Whether the sync's <c>not_succeeded_hours</c> is exceeded at <paramref name="now"/> without a run (a sync that does
    /// not run any more): its description when it is, else null. A sync that never ran, or whose latest run succeeded, is not.
    /// </summary>
    public static string? NotSucceededAt(SyncConfig sync, IReadOnlyList<RunRecord> history, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(sync);
        ArgumentNullException.ThrowIfNull(history);
        if (sync.Warnings.NotSucceededFor is not { } limit || history.Count == 0 || history[0].Status == RunStatus.Succeeded)
            return null;
        var earlier = new EarlierRuns(now, history.FirstOrDefault(r => r.Status == RunStatus.Succeeded), history[^1].StartedAt);
        return now - earlier.NotSucceededSince > limit ? RunWarningPolicy.Describe(NotSucceeded, sync, history[0], earlier) : null;
    }
}

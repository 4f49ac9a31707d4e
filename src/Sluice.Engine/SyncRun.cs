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
public sealed record RunOptions(bool FullResync = false, bool AllowMassDelete = false);

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
}

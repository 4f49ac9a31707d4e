using Sluice.Core.Configuration;
using Sluice.Core.Destinations;
using Sluice.Core.Models;
using Sluice.Core.Sources;
using Sluice.Core.Planning;
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
        Sync.Name, Model.Sql, Source, Model.PrimaryKey, Context.Match, Context.Mappings, Columns, fullResync);
}

/// <summary>How to run.</summary>
/// <param name="FullResync">Send every row again, not only the changes.</param>
/// <param name="AllowMassDelete">Let a mirror run delete more than its max_deletes guard.</param>
public sealed record RunOptions(bool FullResync = false, bool AllowMassDelete = false);

/// <summary>Where a run is: the phase and how many records of the planned ones have been handled.</summary>
public sealed record RunProgress(string Phase, long Planned, long Done);

/// <summary>The outcome of a run: its history record and, when it failed, why.</summary>
public sealed record RunOutcome(RunRecord Record, ErrorCategory? ErrorCategory)
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
}

using Sluice.Core.Destinations;
using Sluice.Core.Models;
using Sluice.Core.Planning;

namespace Sluice.Engine;

/// <summary>
/// What a run of a sync will do with its plan: the operation rows are sent with, how many rows it sends and deletes,
/// and whether the mirror guard or the empty-model rule holds the deletes back. <c>sluice plan</c>, <c>sluice run</c>
/// and the server all read it from here.
/// </summary>
/// <param name="Totals">The plan's counts against the ledger.</param>
/// <param name="Operation">How added (and, when sent, changed) rows are written.</param>
/// <param name="SendsChanged">Whether changed rows are sent (insert mode sends them only where a change creates a record).</param>
/// <param name="ToSend">Rows the run sends.</param>
/// <param name="ToDelete">Records the run deletes (mirror), before the guard.</param>
/// <param name="DeleteAllowance">How many deletes max_deletes allows for this ledger.</param>
/// <param name="GuardTrips">The mirror guard stops this run (more deletes than allowed, without --allow-mass-delete).</param>
/// <param name="EmptyModel">The model returned no rows, so a mirror deletes nothing.</param>
public sealed record RunPlan(
    PlanTotals Totals,
    RecordOperation Operation,
    bool SendsChanged,
    long ToSend,
    long ToDelete,
    long DeleteAllowance,
    bool GuardTrips,
    bool EmptyModel)
{
    public static RunPlan For(SyncRunRequest request, PlanTotals totals, RunOptions options)
    {
        var sync = request.Sync;
        var sendsChanged = sync.Mode != SyncMode.Insert || request.Provider.InsertCreatesChangedRows;
        var operation = sync.Mode switch
        {
            SyncMode.Insert => RecordOperation.Create,
            SyncMode.Update => RecordOperation.Update,
            _ => RecordOperation.Upsert,
        };
        var mirror = sync.Mode == SyncMode.Mirror;
        // An empty model is far more often a broken query than a real wish to delete everything.
        var emptyModel = mirror && totals.ModelRows == 0 && totals.Removed + totals.InDoubtRemoved > 0;
        // Records whose write was in doubt when a run died are deleted too: they may exist, and they left the model.
        var deletes = mirror && !emptyModel ? totals.Removed + totals.InDoubtRemoved : 0;
        var allowed = sync.MaxDeletes.AllowedFor(totals.LedgerSize);
        var trips = mirror && totals.Removed > allowed && !emptyModel && !options.AllowMassDelete;
        var plan = new RunPlan(totals, operation, sendsChanged, totals.Added + (sendsChanged ? totals.Changed : 0), deletes, allowed, trips,
            emptyModel);
        return plan with { Estimate = plan.ToSend + plan.ToDelete > 0 ? request.Destination.Estimate(request.Context, plan.Counts) : null };
    }

    /// <summary>How long the destination's limits make this delivery take at the least, when they dominate.</summary>
    public DeliveryEstimate? Estimate { get; init; }

    /// <summary>The plan's counts by operation, for the destination to pick its transport.</summary>
    public PlanCounts Counts => new(
        Operation == RecordOperation.Create ? ToSend : 0,
        Operation == RecordOperation.Update ? ToSend : 0,
        Operation == RecordOperation.Upsert ? ToSend : 0,
        ToDelete);
}

using Sluice.Core.Destinations;
using Sluice.Core.Planning;
using Sluice.Core.State;

namespace Sluice.Engine;

/// <summary>The counts of a run as it goes, updated by concurrent batches.</summary>
internal sealed class RunTally
{
    public long Sent;
    public long LookedUp;
    public long Delivered;
    public long Deleted;
    public long Rejected;
    public long NotFound;
    public long Skipped;
    public long Batches;
    private PlanTotals? _plan;

    public long Planned { get; set; }

    /// <summary>The destination's limits that set the run's pace, when they do.</summary>
    public DeliveryEstimate? Pacing { get; set; }

    public bool HasPlan => _plan is not null;

    public void FromPlan(PlanTotals totals) => _plan = totals;

    public RunProgress Progress(RunPhase phase) => new(phase, Planned, Interlocked.Read(ref Sent), Interlocked.Read(ref Delivered),
        Interlocked.Read(ref Deleted), Interlocked.Read(ref Rejected), Interlocked.Read(ref NotFound), Interlocked.Read(ref Skipped),
        Interlocked.Read(ref Batches), Pacing);

    public RunCounts ToCounts()
    {
        var invalid = (_plan?.NullKeys ?? 0) + (_plan?.DuplicateRows ?? 0) + (_plan?.DuplicateMatches ?? 0);
        return new RunCounts
        {
            ModelRows = _plan?.ModelRows ?? 0,
            Added = _plan?.Added ?? 0,
            Changed = _plan?.Changed ?? 0,
            Removed = _plan?.Removed ?? 0,
            Unchanged = _plan?.Unchanged ?? 0,
            InvalidKeys = invalid,
            Planned = Planned,
            Sent = Sent,
            LookedUp = LookedUp,
            Delivered = Delivered,
            Deleted = Deleted,
            Rejected = Rejected + invalid,
            NotFound = NotFound,
            Skipped = Skipped,
        };
    }
}

using Sluice.Core.Destinations;

namespace Sluice.Core.State;

/// <summary>How a run ended.</summary>
public enum RunStatus
{
    Running,
    Succeeded,
    Failed,

    /// <summary>Its process died (killed or crashed) before it finished; found so when its sync was next claimed, or its process found gone.</summary>
    Interrupted,

    /// <summary>It was cancelled (Ctrl+C, a stopping host): acknowledged batches were committed, the rest waits for the next run.</summary>
    Cancelled,
}

/// <summary>
/// The counts of one run, with one meaning wherever they are shown (README, "Counts"). The plan's: model rows, added,
/// changed, removed, unchanged, invalid keys. The delivery's: <see cref="Planned"/> (what the run meant to send or
/// delete), <see cref="Sent"/> (records that went out in a request), and what became of them: delivered, deleted,
/// rejected (by the destination or by Sluice's checks, invalid key rows included), not found, skipped;
/// <see cref="LookedUp"/>: records whose existence the destination checked first (update mode).
/// </summary>
public sealed record RunCounts
{
    public long ModelRows { get; init; }
    public long Added { get; init; }
    public long Changed { get; init; }
    public long Removed { get; init; }
    public long Unchanged { get; init; }
    public long InvalidKeys { get; init; }
    public long Planned { get; init; }
    public long Sent { get; init; }
    public long LookedUp { get; init; }
    public long Delivered { get; init; }
    public long Deleted { get; init; }

    /// <summary>Rows not delivered because they were refused: by the destination, or by Sluice (null and duplicate keys).</summary>
    public long Rejected { get; init; }

    public long NotFound { get; init; }
    public long Skipped { get; init; }
}

/// <summary>One run of one sync, as kept in run history. Holds no row values and no secrets.</summary>
public sealed record RunRecord(
    long RunId,
    string Sync,
    DateTime StartedAt,
    DateTime? FinishedAt,
    RunStatus Status,
    bool FullResync,
    RunCounts Counts,
    IReadOnlyList<string> Warnings,
    string? Error)
{
    public TimeSpan? Duration => FinishedAt - StartedAt;
}

/// <summary>A row the destination or validation refused, with the reason; planned again next run.</summary>
public sealed record RejectedRow(string Sync, long RunId, string Key, string Outcome, string? Code, string Reason, DateTime At);

/// <summary>
/// What the ledger learns from one acknowledged record. <paramref name="Created"/>: the record was created by
/// this write (insert mode), so its id is remembered as one of the key's known records. <paramref name="MatchHash"/>: the
/// planner's hash of the match value delivered (<see cref="Planning.ChangeRow.MatchHash"/>), null when unknown.
/// </summary>
public readonly record struct LedgerEntry(string Key, ulong Hash, string? DestinationId, bool Deleted = false, bool Created = false,
    ulong? MatchHash = null);

/// <summary>
/// One batch of one run: the unit that is recorded in doubt, sent and committed. Batches order by run, then number
/// (a later write of a key supersedes an earlier one); number 0 is a run's settling of what an earlier run left.
/// </summary>
public readonly record struct BatchId(long RunId, int Number) : IComparable<BatchId>
{
    public int CompareTo(BatchId other) => (RunId, Number).CompareTo((other.RunId, other.Number));

    public override string ToString() => $"{RunId}/{Number}";
}

/// <summary>A write about to be sent: in doubt until its batch is committed.</summary>
public readonly record struct InDoubtWrite(string Key, RecordOperation Operation, string? MatchValue, ulong Hash);

/// <summary>
/// An insert that was in flight when a run stopped: it may have been created. <paramref name="DestinationId"/>,
/// <paramref name="LedgerHash"/>: what the ledger holds for the key; <paramref name="KnownIds"/>: the ids of the records
/// the ledger already knows for this key (earlier versions), which are not this insert.
/// </summary>
public sealed record InDoubtCreate(string Key, string? MatchValue, ulong Hash, string? DestinationId, ulong? LedgerHash,
    IReadOnlyList<string> KnownIds);

namespace Sluice.State;

/// <summary>How a run ended.</summary>
public enum RunStatus
{
    Running,
    Succeeded,
    Failed,
}

/// <summary>The counts of one run. "Planned" is what the run meant to send; the rest is what happened.</summary>
public sealed record RunCounts
{
    public long ModelRows { get; init; }
    public long Added { get; init; }
    public long Changed { get; init; }
    public long Removed { get; init; }
    public long Unchanged { get; init; }
    public long InvalidKeys { get; init; }
    public long Planned { get; init; }
    public long Delivered { get; init; }
    public long Deleted { get; init; }
    public long Rejected { get; init; }
    public long NotFound { get; init; }
    public long Skipped { get; init; }

    /// <summary>Records handed to the destination (delivered, deleted, rejected, not found or skipped by it).</summary>
    public long Sent => Delivered + Deleted + Rejected + NotFound + Skipped;
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

/// <summary>What the ledger learns from one acknowledged record.</summary>
public readonly record struct LedgerEntry(string Key, ulong Hash, string? DestinationId, bool Deleted = false);

/// <summary>An insert written down before it was sent, to reconcile after a crash.</summary>
public sealed record InsertIntent(string Key, string? MatchValue, ulong Hash);

namespace Sluice.Core.State;

/// <summary>
/// A project's state: its run history and, per sync, the ledger of what was delivered. Several processes may share
/// one store (CLI commands, server workers): a sync is claimed before it is planned or run, so two never change one
/// ledger at once, and the history is written in short transactions, so it can be read while syncs run. The embedded
/// store keeps it in DuckDB files under <c>.sluice/</c>; a shared database implements the same contract.
/// </summary>
public interface IStateStore : IAsyncDisposable
{
    /// <summary>Where the state is, for messages (a path or a redacted address; never a secret).</summary>
    string Location { get; }

    /// <summary>Every run with its counts, warnings and rejected rows.</summary>
    IRunHistory Runs { get; }

    /// <summary>The syncs paused because a part of them is broken, shared by every process of the state.</summary>
    ISyncPauses Pauses { get; }

    /// <summary>
    /// Claims <paramref name="sync"/> for the caller until the returned ledger is disposed: no other process, and no
    /// other caller in this one, can claim it meanwhile. Throws <see cref="SyncBusyException"/> naming the holder when
    /// it is claimed already, <see cref="StateException"/> when the state cannot be used. A claim held by a process that
    /// died is released with it.
    /// </summary>
    Task<ISyncLedger> ClaimAsync(string sync, CancellationToken ct = default);
}

/// <summary>
/// The history of runs. Writing a run's start marks the sync's earlier runs still "running" as interrupted: call it
/// while holding the sync's claim, which proves their process is gone.
/// </summary>
public interface IRunHistory
{
    /// <summary>Records a run starting now, held by this process; returns its id (increasing).</summary>
    Task<long> StartRunAsync(string sync, bool fullResync, CancellationToken ct = default);

    /// <summary>Adds refused rows to a run (they are kept until the sync's next finished run).</summary>
    Task AddRejectedAsync(string sync, long runId, IReadOnlyList<RejectedRow> rows, CancellationToken ct = default);

    /// <summary>Records how a run ended, with its counts, warnings and error.</summary>
    Task FinishRunAsync(long runId, RunStatus status, RunCounts counts, IReadOnlyList<string> warnings, string? error,
        CancellationToken ct = default);

    /// <summary>The latest runs, newest first, of one sync or all (<paramref name="sync"/> null).</summary>
    Task<IReadOnlyList<RunRecord>> HistoryAsync(string? sync, int limit = 50, CancellationToken ct = default);

    /// <summary>One run by its id, or null when history has no such run.</summary>
    Task<RunRecord?> GetRunAsync(long runId, CancellationToken ct = default);

    /// <summary>
    /// Adds a warning to a finished run's warnings (once: a warning it has already is left alone), for a warning raised
    /// after the run by a check of its own, so that the next run compares with it as with the run's own warnings.
    /// True when this call added it; false when the run had it already, is still running or does not exist.
    /// </summary>
    Task<bool> AddWarningAsync(long runId, string warning, CancellationToken ct = default);

    /// <summary>The rejected rows of the sync's latest run that had any, in key order.</summary>
    Task<IReadOnlyList<RejectedRow>> RejectedAsync(string sync, int limit = 1000, CancellationToken ct = default);
}

/// <summary>
/// A sync paused because a part of it is broken: the part (<c>source</c>, <c>model</c>, <c>destination credentials</c>),
/// what is wrong with it, since when (UTC), the run that found it, and the latest check that found it still broken.
/// </summary>
public sealed record PauseRecord(string Sync, string Part, string Reason, DateTime Since, long? RunId, DateTime? CheckedAt);

/// <summary>
/// The paused syncs (<c>sluice serve</c>'s automatic pause), kept in the state so that every worker of a shared state
/// sees the same pauses: a sync paused by one is skipped by all, and resumed once for all. Each call is one short
/// transaction; of several processes resuming one sync at once, one is told it did.
/// </summary>
public interface ISyncPauses
{
    /// <summary>Every paused sync, in name order.</summary>
    Task<IReadOnlyList<PauseRecord>> ListAsync(CancellationToken ct = default);

    /// <summary>
    /// Pauses <paramref name="sync"/> now, or, when it is paused already, records the part, reason and run found now and
    /// keeps when it was paused. True when this call paused it.
    /// </summary>
    Task<bool> PauseAsync(string sync, string part, string reason, long? runId, CancellationToken ct = default);

    /// <summary>
    /// Records a check that found the paused sync still broken, now: the part it names (the paused part stays when it
    /// names none) and why. False when the sync is not paused (any more).
    /// </summary>
    Task<bool> StillBrokenAsync(string sync, string? part, string reason, CancellationToken ct = default);

    /// <summary>Resumes <paramref name="sync"/>: true when this call removed its pause, false when it was not paused.</summary>
    Task<bool> ResumeAsync(string sync, CancellationToken ct = default);
}

/// <summary>
/// A claimed sync's ledger: what was delivered (key, hash of the values, destination id), the writes in doubt (sent or
/// about to be, not yet committed) and the ids of records created in insert mode. Every write is recorded in doubt
/// before it is sent and leaves that list only in the transaction that commits its answer, so a process killed at any
/// point loses nothing acknowledged and leaves what it sent in doubt for the next run to settle.
/// </summary>
public interface ISyncLedger : IAsyncDisposable
{
    string Sync { get; }

    /// <summary>The number of records the ledger holds.</summary>
    Task<long> SizeAsync(CancellationToken ct = default);

    /// <summary>
    /// Records a batch's writes as in doubt before it is sent. A key keeps the entries of earlier writes (of runs that
    /// died) until one of its writes is acknowledged: a refused resend says nothing of what the earlier one left.
    /// </summary>
    Task MarkInDoubtAsync(BatchId batch, IReadOnlyCollection<InDoubtWrite> writes, CancellationToken ct = default);

    /// <summary>
    /// Commits one answered batch atomically: its acknowledged records enter the ledger, and its writes leave the in-doubt
    /// list (with every earlier write of an acknowledged key), except <paramref name="stillInDoubt"/> (keys the destination
    /// gave no answer for: they may have landed).
    /// </summary>
    Task CommitAsync(BatchId batch, IReadOnlyList<LedgerEntry> delivered, IReadOnlyCollection<string> stillInDoubt,
        CancellationToken ct = default);

    /// <summary>The number of writes in doubt.</summary>
    Task<long> InDoubtCountAsync(CancellationToken ct = default);

    /// <summary>The creates in doubt, with what the ledger knows of each key (its record and earlier versions).</summary>
    Task<IReadOnlyList<InDoubtCreate>> ReadInDoubtCreatesAsync(CancellationToken ct = default);

    /// <summary>
    /// Settles creates in doubt once the destination was asked about them: commits the ones it had created, and removes
    /// every key in <paramref name="settled"/> from the in-doubt list, atomically.
    /// </summary>
    Task SettleCreatesAsync(BatchId batch, IReadOnlyList<LedgerEntry> created, IReadOnlyCollection<string> settled,
        CancellationToken ct = default);

    /// <summary>
    /// The ledger as it stands, streamed: the latest entry of every key delivered and not deleted (acknowledged batches
    /// folded in). With <see cref="ReadInDoubtAsync"/> and <see cref="ReadCreatedIdsAsync"/>, what a planner of another
    /// store copies to plan against, and what a migration copies to another store.
    /// </summary>
    IAsyncEnumerable<LedgerRecord> ReadLedgerAsync(CancellationToken ct = default);

    /// <summary>Every write in doubt, earlier writes of a key included, streamed.</summary>
    IAsyncEnumerable<InDoubtRecord> ReadInDoubtAsync(CancellationToken ct = default);

    /// <summary>The ids of the records created in insert mode, per key, streamed.</summary>
    IAsyncEnumerable<CreatedId> ReadCreatedIdsAsync(CancellationToken ct = default);
}

/// <summary>
/// One key of a ledger: the hash of what was delivered, the destination's id, when, and the hash of the match value
/// delivered (null in entries written before Sluice kept it).
/// </summary>
public readonly record struct LedgerRecord(string Key, ulong Hash, string? DestinationId, DateTime DeliveredAt, ulong? MatchHash = null);

/// <summary>A write in doubt with its batch.</summary>
public readonly record struct InDoubtRecord(BatchId Batch, InDoubtWrite Write);

/// <summary>The id of a record created for a key in insert mode.</summary>
public readonly record struct CreatedId(string Key, string DestinationId);

/// <summary>The state cannot be opened or used (damaged, locked, full, read-only): the message says which file and what to do.</summary>
public sealed class StateException : Exception
{
    public StateException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}

/// <summary>A sync is claimed by another process or caller; the message names the holder and what to do.</summary>
public sealed class SyncBusyException : Exception
{
    public SyncBusyException(string sync, string message, Exception? inner = null)
        : base(message, inner) => Sync = sync;

    public string Sync { get; }
}

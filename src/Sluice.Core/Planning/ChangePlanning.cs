using Sluice.Core.Destinations;
using Sluice.Core.Models;
using Sluice.Core.Sources;
using Sluice.Core.State;

namespace Sluice.Core.Planning;

/// <summary>What to plan: a sync's model, its key, and the columns whose values are delivered.</summary>
/// <param name="Sync">The sync's name (its ledger).</param>
/// <param name="ModelSql">The model's query, run on the source.</param>
/// <param name="Source">The model's source; DuckDB-attachable sources are diffed in place, others are streamed.</param>
/// <param name="PrimaryKey">The model's primary key column.</param>
/// <param name="Match">The match column and destination identifier (hashed: a changed match is a change).</param>
/// <param name="Mappings">The mapped columns (only these, with the match, make a row "changed").</param>
/// <param name="Columns">The model's columns as the source describes them.</param>
/// <param name="FullResync">Treat every row in the ledger as changed (send everything again).</param>
/// <param name="MatchComparison">How the destination compares match values: two model rows whose values compare equal so
/// would be merged into one record, and all but one are rejected.</param>
/// <param name="ForDelivery">The plan is delivered by this process (a run), not only shown: a planner sharing the process's
/// memory with delivery plans within a smaller budget.</param>
public sealed record PlanRequest(
    string Sync,
    string ModelSql,
    ISource Source,
    string PrimaryKey,
    FieldMapping Match,
    IReadOnlyList<FieldMapping> Mappings,
    IReadOnlyList<ModelColumn> Columns,
    bool FullResync = false,
    MatchComparison MatchComparison = MatchComparison.Exact,
    bool ForDelivery = false)
{
    /// <summary>Whether the match is the primary key itself: then two rows never share a match value.</summary>
    public bool MatchIsKey => string.Equals(Match.Column, PrimaryKey, StringComparison.OrdinalIgnoreCase);
}

/// <summary>How a destination finds a record by its match value (declared by its provider).</summary>
public enum MatchComparison
{
    /// <summary>The value's text as it is ("Ann" and "ann" are two records).</summary>
    Exact,

    /// <summary>The value's text without regard to case ("Ann@x.com" and "ann@x.com" are one record).</summary>
    IgnoreCase,
}

/// <summary>
/// A model row not sent because another row with a different key has the same match value (as the destination compares
/// them): the destination would merge both into one record. <paramref name="WinnerKey"/> is the row Sluice delivers.
/// </summary>
public sealed record DuplicateMatch(string Key, string MatchValue, string WinnerKey);

/// <summary>
/// What a plan found, against the ledger. <see cref="InDoubt"/>: rows planned because a write of theirs was in doubt
/// (already counted as added, changed or removed); <see cref="InDoubtRemoved"/>: keys the ledger doesn't hold whose write
/// was in doubt and that left the model (a mirror deletes them too); <see cref="DuplicateMatches"/>: rows not sent because
/// another row with another key has their match value (not counted as added, changed or unchanged).
/// </summary>
public sealed record PlanTotals(
    long ModelRows,
    long Added,
    long Changed,
    long Removed,
    long Unchanged,
    long NullKeys,
    long DuplicateKeys,
    long DuplicateRows,
    long LedgerSize,
    long InDoubt = 0,
    long InDoubtRemoved = 0,
    long DuplicateMatches = 0);

/// <summary>
/// A row to send: its key, whether it was added or changed, the values, and what the ledger knows: the record's id
/// and, in insert mode, the ids of every record created for this key (its earlier versions). <paramref name="MatchHash"/>:
/// the planner's hash of the match value as the destination compares it, kept in the ledger (null when the value is).
/// </summary>
public sealed record ChangeRow(string Key, bool Added, object? MatchValue, object?[] Values, ulong Hash, string? DestinationId,
    IReadOnlyList<string> KnownIds, ulong? MatchHash = null);

/// <summary>
/// A record to delete because its key left the model: one the ledger holds, or one whose write was in doubt when a
/// run died (it may exist; only its match value is known).
/// </summary>
public sealed record RemovedRow(string Key, string? DestinationId, string? MatchValue);

/// <summary>
/// Diffs a model against its sync's ledger. The embedded planner does it inside DuckDB; a source that can diff where its
/// data lives (a warehouse) may bring its own.
/// </summary>
public interface IChangePlanner
{
    /// <summary>
    /// Plans a sync against its claimed <paramref name="ledger"/> (read as it is now; the plan is used while the claim is
    /// held): throws <see cref="SourceException"/> when the model cannot be read.
    /// </summary>
    Task<IChangePlan> PlanAsync(PlanRequest request, ISyncLedger ledger, CancellationToken ct = default);

    /// <summary>
    /// The sync's ledger where this planner diffs (a warehouse keeps it in its own schema), opened while the state store's
    /// claim on the sync is held; the run plans against it and commits to it. Null: the state store's ledger.
    /// </summary>
    Task<ISyncLedger?> OpenLedgerAsync(string sync, CancellationToken ct = default) => Task.FromResult<ISyncLedger?>(null);

    /// <summary>
    /// Whether this planner plans the sync (asked before <see cref="OpenLedgerAsync"/>, with the state store's claimed
    /// ledger, so that a planner that chooses can keep to the ledger that already holds the sync's deliveries); false:
    /// the engine's own planner plans it against <paramref name="stateLedger"/>.
    /// </summary>
    Task<bool> PlansAsync(string sync, ISyncLedger stateLedger, CancellationToken ct = default) => Task.FromResult(true);
}

/// <summary>
/// A computed plan: its totals, and the rows it holds, streamed (a plan can hold millions). Held until disposed;
/// its streams are read one at a time.
/// </summary>
public interface IChangePlan : IAsyncDisposable
{
    PlanRequest Request { get; }

    PlanTotals Totals { get; }

    /// <summary>
    /// Streams the added and changed rows, values aligned with the mappings. With <paramref name="limit"/>, the first
    /// ones in key order (samples).
    /// </summary>
    IAsyncEnumerable<ChangeRow> ReadChangesAsync(bool includeAdded, bool includeChanged, int? limit = null, CancellationToken ct = default);

    /// <summary>
    /// Streams the records whose keys left the model, in key order: the ledger's, and with <paramref name="includeInDoubt"/>
    /// those whose write was in doubt but that the ledger doesn't hold.
    /// </summary>
    IAsyncEnumerable<RemovedRow> ReadRemovedAsync(int? limit = null, bool includeInDoubt = true, CancellationToken ct = default);

    /// <summary>The keys the model holds more than once (with how many times), and the null key's row count (key null).</summary>
    IAsyncEnumerable<(string? Key, long Count)> ReadInvalidKeysAsync(CancellationToken ct = default);

    /// <summary>The rows not sent because another row holds their match value, in key order.</summary>
    IAsyncEnumerable<DuplicateMatch> ReadDuplicateMatchesAsync(CancellationToken ct = default);
}

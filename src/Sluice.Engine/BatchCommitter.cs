using Sluice.Core.Destinations;
using Sluice.Core.State;
using Sluice.Engine.Telemetry;

namespace Sluice.Engine;

/// <summary>
/// Turns one answered batch into what the state keeps: acknowledged records for the ledger, refused ones for the
/// run's rejected rows, unanswered ones left in doubt; commits the ledger's part in one transaction, and counts them.
/// Rejected rows reach the run's history every few batches and at the end (<see cref="FlushAsync"/>): a process killed
/// in between loses only those rows from history, not the rows themselves (they were not committed, so the next run
/// plans them again).
/// </summary>
internal sealed class BatchCommitter(ISyncLedger ledger, IRunHistory runs, long runId, RunTally tally)
{
    private const int FlushEveryBatches = 10;
    private const int FlushAtRows = 5_000;
    private readonly Lock _gate = new();
    private List<RejectedRow> _rejected = [];
    private int _batchesSinceFlush;

    private string Sync => ledger.Sync;

    /// <summary>Commits one answered batch; returns how many of its rows were acknowledged and how many refused.</summary>
    public async Task<(long Delivered, long Rejected)> CommitAsync(BatchId batchId, PendingBatch batch, IReadOnlyList<RecordResult> results,
        CancellationToken ct)
    {
        long sent = 0, lookedUp = 0, delivered = 0, deleted = 0, skipped = 0, notFound = 0, refused = 0;
        var sync = Sync;
        var entries = new List<LedgerEntry>(batch.Count);
        var rejected = new List<RejectedRow>();
        var answered = new HashSet<string>(StringComparer.Ordinal);
        foreach (var result in results)
        {
            if (!batch.TryGet(result.Key, out var record, out var hash, out var matchHash) || !answered.Add(result.Key))
                continue;
            if (result.Sent)
                sent++;
            if (result.LookedUp)
                lookedUp++;
            var created = record.Operation == RecordOperation.Create;
            switch (result.Outcome)
            {
                case RecordOutcome.Delivered or RecordOutcome.NotFound when record.Operation == RecordOperation.Delete:
                    // Gone either way: a record already deleted by someone else is as deleted as ours.
                    entries.Add(new LedgerEntry(result.Key, 0, null, Deleted: true));
                    deleted++;
                    break;
                case RecordOutcome.Delivered:
                    entries.Add(new LedgerEntry(result.Key, hash, result.DestinationId ?? record.DestinationId, Created: created, MatchHash: matchHash));
                    delivered++;
                    break;
                case RecordOutcome.Skipped:
                    entries.Add(new LedgerEntry(result.Key, hash, result.DestinationId ?? record.DestinationId, Created: created, MatchHash: matchHash));
                    skipped++;
                    break;
                case RecordOutcome.NotFound:
                    rejected.Add(new RejectedRow(sync, runId, result.Key, "not_found", result.Code ?? "NOT_FOUND",
                        result.Reason ?? "no matching record in the destination", default));
                    notFound++;
                    break;
                default:
                    rejected.Add(new RejectedRow(sync, runId, result.Key, "rejected", result.Code,
                        result.Reason ?? "rejected by the destination", default));
                    refused++;
                    break;
            }
        }
        // A row without an answer may have landed: it stays in doubt, and counts as sent.
        var unanswered = batch.Records.Where(r => !answered.Contains(r.Key)).Select(r => r.Key).ToList();
        foreach (var key in unanswered)
        {
            rejected.Add(new RejectedRow(sync, runId, key, "rejected", "NO_RESULT",
                "the destination returned no result for this row; it is sent again next run", default));
            refused++;
            sent++;
        }
        // Counted before the commit, as the rows were sent whatever the ledger does next.
        Interlocked.Add(ref tally.Sent, sent);
        Interlocked.Add(ref tally.LookedUp, lookedUp);
        Interlocked.Add(ref tally.Delivered, delivered);
        Interlocked.Add(ref tally.Deleted, deleted);
        Interlocked.Add(ref tally.Skipped, skipped);
        Interlocked.Add(ref tally.NotFound, notFound);
        Interlocked.Add(ref tally.Rejected, refused);
        Rows.Batch(sync, sent, delivered, deleted, refused, notFound);
        await ledger.CommitAsync(batchId, entries, unanswered, ct);
        Interlocked.Increment(ref tally.Batches);
        bool flush;
        lock (_gate)
        {
            _rejected.AddRange(rejected);
            flush = _rejected.Count >= FlushAtRows || (++_batchesSinceFlush >= FlushEveryBatches && _rejected.Count > 0);
        }
        if (flush)
            await FlushAsync(ct);
        return (delivered + deleted + skipped, refused + notFound);
    }

    /// <summary>Writes the rejected rows not yet in the run's history.</summary>
    public async Task FlushAsync(CancellationToken ct)
    {
        List<RejectedRow> rows;
        lock (_gate)
        {
            (rows, _rejected, _batchesSinceFlush) = (_rejected, [], 0);
        }
        await runs.AddRejectedAsync(Sync, runId, rows, ct);
    }
}

/// <summary>A batch being delivered, with the hash of each record's values for the ledger.</summary>
internal sealed class PendingBatch(int capacity)
{
    private readonly List<DeliveryRecord> _records = new(capacity);
    private readonly Dictionary<string, (DeliveryRecord Record, ulong Hash, ulong? MatchHash)> _byKey = new(capacity, StringComparer.Ordinal);

    public IReadOnlyList<DeliveryRecord> Records => _records;

    public int Count => _records.Count;

    public void Add(DeliveryRecord record, ulong hash, ulong? matchHash = null)
    {
        _records.Add(record);
        _byKey[record.Key] = (record, hash, matchHash);
    }

    public ulong HashOf(string key) => _byKey[key].Hash;

    public bool TryGet(string key, out DeliveryRecord record, out ulong hash, out ulong? matchHash)
    {
        var found = _byKey.TryGetValue(key, out var entry);
        (record, hash, matchHash) = (entry.Record, entry.Hash, entry.MatchHash);
        return found;
    }
}

using Sluice.Core.Destinations;
using Sluice.Core.Models;

namespace Sluice.Engine.Tests.Support;

/// <summary>What goes wrong in one run, decided by the test before the run starts.</summary>
/// <param name="CrashAtWrite">The write call (0-based) during which the process "dies", or null.</param>
/// <param name="AppliedBeforeCrash">How many of that call's records land before it dies (clamped to the batch).</param>
/// <param name="CrashInReconcile">The process dies while asking which interrupted inserts were created.</param>
/// <param name="UnansweredEvery">Every n-th record of each batch lands but gets no result (0: never).</param>
/// <param name="RejectKeys">Keys the destination refuses this run (nothing lands for them).</param>
internal sealed record RunFaults(
    int? CrashAtWrite = null,
    int AppliedBeforeCrash = 0,
    bool CrashInReconcile = false,
    int UnansweredEvery = 0,
    IReadOnlySet<string>? RejectKeys = null);

/// <summary>The process died at this point: nothing after it is answered.</summary>
internal sealed class ProcessDiedException() : Exception("the process died (simulated)");

/// <summary>
/// A destination that behaves like the real ones where crashes matter: writes land before their answer returns,
/// so a "crash" can leave applied-but-unanswered writes behind. Records are kept in creation order with their
/// match value, like Salesforce (several records per match value in insert mode) or Actito/Iterable (one per key).
/// </summary>
internal sealed class CrashingDestination : IDestination, IDestinationProvider
{
    private readonly object _gate = new();
    private readonly List<StoredRecord> _records = [];
    private long _nextId;
    private int _writes;

    public CrashingDestination(bool insertCreatesChangedRows, int batchSize = 3)
    {
        InsertCreatesChangedRows = insertCreatesChangedRows;
        BatchSize = batchSize;
    }

    public int BatchSize { get; }

    /// <summary>How many times a run asked the destination to let an earlier run's writes finish.</summary>
    public int SettleCalls { get; private set; }

    /// <summary>The faults of the coming run; set by the test before each run.</summary>
    public RunFaults Faults { get; set; } = new();

    public string Type => "crashing";

    public IReadOnlyList<OptionSpec> Options => [];

    public IReadOnlySet<SyncMode> Modes { get; } = new HashSet<SyncMode>(Enum.GetValues<SyncMode>());

    public bool InsertCreatesChangedRows { get; }

    /// <summary>The records now in the destination, oldest first.</summary>
    public IReadOnlyList<StoredRecord> Records
    {
        get
        {
            lock (_gate) return [.. _records];
        }
    }

    /// <summary>Records that exist before Sluice runs (update mode needs them).</summary>
    public void Seed(string match, object?[] values)
    {
        lock (_gate) _records.Add(new StoredRecord($"seed{++_nextId}", match, values, Seeded: true));
    }

    public IReadOnlyList<SyncProblem> CheckSync(DestinationSettings settings, SyncContext sync) => [];

    public IDestination Create(DestinationSettings settings, DestinationServices services) => this;

    public Task<IReadOnlyList<SyncProblem>> CheckAsync(SyncContext sync, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<SyncProblem>>([]);

    public Task<IDestinationWriter> OpenAsync(SyncContext sync, PlanCounts plan, CancellationToken cancellationToken)
    {
        _writes = 0;
        return Task.FromResult<IDestinationWriter>(new Writer(this));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private RecordResult Apply(DeliveryRecord record)
    {
        var match = record.MatchValue?.ToString() ?? "";
        lock (_gate)
        {
            var existing = _records.FindLastIndex(r => r.Match == match);
            switch (record.Operation)
            {
                case RecordOperation.Create when InsertCreatesChangedRows || existing < 0:
                    var id = $"id{++_nextId}";
                    _records.Add(new StoredRecord(id, match, record.Values));
                    return RecordResult.Delivered(record.Key, id);
                case RecordOperation.Create:
                    return RecordResult.Skipped(record.Key, _records[existing].Id, "already exists");
                case RecordOperation.Update when existing < 0:
                    return RecordResult.NotFound(record.Key);
                case RecordOperation.Update or RecordOperation.Upsert when existing >= 0:
                    _records[existing] = _records[existing] with { Values = record.Values };
                    return RecordResult.Delivered(record.Key, _records[existing].Id);
                case RecordOperation.Upsert:
                    var newId = $"id{++_nextId}";
                    _records.Add(new StoredRecord(newId, match, record.Values));
                    return RecordResult.Delivered(record.Key, newId);
                case RecordOperation.Delete:
                    // By id when the ledger has one, else by match value (an in-doubt create it never learned the id of).
                    var index = record.DestinationId is { } known ? _records.FindIndex(r => r.Id == known) : existing;
                    if (index < 0)
                        return RecordResult.NotFound(record.Key);
                    _records.RemoveAt(index);
                    return RecordResult.Delivered(record.Key);
                default:
                    throw new InvalidOperationException(record.Operation.ToString());
            }
        }
    }

    private sealed class Writer(CrashingDestination d) : IDestinationWriter
    {
        public int BatchSize => d.BatchSize;

        public int MaxConcurrency => 1;

        public async Task<IReadOnlyList<RecordResult>> WriteAsync(DeliveryBatch batch, CancellationToken cancellationToken)
        {
            await Task.Yield();
            var faults = d.Faults;
            var call = d._writes++;
            var dies = faults.CrashAtWrite == call;
            var results = new List<RecordResult>();
            for (var i = 0; i < batch.Records.Count; i++)
            {
                var record = batch.Records[i];
                if (dies && i >= faults.AppliedBeforeCrash)
                    break;
                if (faults.RejectKeys?.Contains(record.Key) == true)
                {
                    results.Add(RecordResult.Rejected(record.Key, "refused by the test", "TEST_REJECT"));
                    continue;
                }
                var result = d.Apply(record);
                if (faults.UnansweredEvery == 0 || (i + 1) % faults.UnansweredEvery != 0)
                    results.Add(result);
            }
            if (dies)
                throw new ProcessDiedException();
            return results;
        }

        public Task SettleInFlightAsync(CancellationToken cancellationToken)
        {
            d.SettleCalls++;
            return Task.CompletedTask;
        }

        /// <summary>As Salesforce is asked: the newest record with the match value that is none of the known ones.</summary>
        public async Task<IReadOnlyList<RecordResult>> ReconcileAsync(DeliveryBatch batch, CancellationToken cancellationToken)
        {
            await Task.Yield();
            if (d.Faults.CrashInReconcile)
                throw new ProcessDiedException();
            var records = d.Records;
            return batch.Records.Select(r =>
            {
                var known = new HashSet<string>(r.KnownIds ?? []);
                if (r.DestinationId is { } id)
                    known.Add(id);
                var match = r.MatchValue?.ToString() ?? "";
                var found = records.LastOrDefault(s => s.Match == match && (!d.InsertCreatesChangedRows || !known.Contains(s.Id)));
                return found is null ? RecordResult.NotFound(r.Key) : RecordResult.Delivered(r.Key, found.Id);
            }).ToList();
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

/// <summary>A record in the <see cref="CrashingDestination"/>.</summary>
internal sealed record StoredRecord(string Id, string Match, object?[] Values, bool Seeded = false);

using System.Collections.Concurrent;
using Sluice.Core.Destinations;
using Sluice.Core.Models;

namespace Sluice.Engine.Tests.Support;

/// <summary>
/// A destination that keeps its records in memory and remembers every operation it was sent, so tests
/// can compare what a run sent with what DESIGN.md says it must. It can be told to reject some keys.
/// </summary>
internal sealed class CollectingDestination : IDestination, IDestinationProvider
{
    private long _nextId;

    public CollectingDestination(bool insertCreatesChangedRows = false, int batchSize = 7, int concurrency = 3)
    {
        InsertCreatesChangedRows = insertCreatesChangedRows;
        BatchSize = batchSize;
        Concurrency = concurrency;
    }

    public int BatchSize { get; }

    public int Concurrency { get; }

    /// <summary>Records in the destination, by match value.</summary>
    public ConcurrentDictionary<string, (string Id, object?[] Values)> Records { get; } = new();

    /// <summary>Every operation received, in the order batches completed.</summary>
    public ConcurrentQueue<(RecordOperation Operation, string Key)> Received { get; } = new();

    /// <summary>Keys to reject (with a reason) instead of delivering.</summary>
    public ConcurrentDictionary<string, string> RejectKeys { get; } = new();

    /// <summary>When set, fails the run after this many batches (as a service outage would).</summary>
    public int? FailAfterBatches { get; set; }

    /// <summary>Match values the destination "created" before a crash, found again by ReconcileAsync.</summary>
    public ConcurrentDictionary<string, string> Existing { get; } = new();

    private int _batches;

    public string Type => "collecting";

    public IReadOnlyList<OptionSpec> Options => [];

    public IReadOnlySet<SyncMode> Modes { get; } = new HashSet<SyncMode>(Enum.GetValues<SyncMode>());

    public bool InsertCreatesChangedRows { get; }

    public IReadOnlyList<SyncProblem> CheckSync(DestinationSettings settings, SyncContext sync) => [];

    public IDestination Create(DestinationSettings settings, DestinationServices services) => this;

    public Task<IReadOnlyList<SyncProblem>> CheckAsync(SyncContext sync, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<SyncProblem>>([]);

    public Task<IDestinationWriter> OpenAsync(SyncContext sync, PlanCounts plan, CancellationToken cancellationToken) =>
        Task.FromResult<IDestinationWriter>(new Writer(this));

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    public void ClearReceived() => Received.Clear();

    private sealed class Writer(CollectingDestination d) : IDestinationWriter
    {
        public int BatchSize => d.BatchSize;

        public int MaxConcurrency => d.Concurrency;

        public async Task<IReadOnlyList<RecordResult>> WriteAsync(DeliveryBatch batch, CancellationToken cancellationToken)
        {
            await Task.Yield();
            if (d.FailAfterBatches is { } limit && Interlocked.Increment(ref d._batches) > limit)
                throw new DeliveryException(ErrorCategory.Connection, "the test destination went away");
            var results = new List<RecordResult>();
            foreach (var record in batch.Records)
            {
                d.Received.Enqueue((record.Operation, record.Key));
                if (d.RejectKeys.TryGetValue(record.Key, out var reason))
                {
                    results.Add(RecordResult.Rejected(record.Key, reason, "TEST_REJECT"));
                    continue;
                }
                var match = record.MatchValue?.ToString() ?? "";
                switch (record.Operation)
                {
                    case RecordOperation.Create:
                        var id = $"id{Interlocked.Increment(ref d._nextId)}";
                        d.Records[match + "#" + id] = (id, record.Values);
                        results.Add(RecordResult.Delivered(record.Key, id));
                        break;
                    case RecordOperation.Update:
                        if (d.Records.TryGetValue(match, out var existing))
                        {
                            d.Records[match] = (existing.Id, record.Values);
                            results.Add(RecordResult.Delivered(record.Key, existing.Id));
                        }
                        else
                        {
                            results.Add(RecordResult.NotFound(record.Key));
                        }
                        break;
                    case RecordOperation.Upsert:
                        var upserted = d.Records.AddOrUpdate(match, _ => ($"id{Interlocked.Increment(ref d._nextId)}", record.Values),
                            (_, old) => (old.Id, record.Values));
                        results.Add(RecordResult.Delivered(record.Key, upserted.Id));
                        break;
                    case RecordOperation.Delete:
                        var gone = d.Records.FirstOrDefault(p => p.Value.Id == record.DestinationId);
                        results.Add(gone.Key is null ? RecordResult.NotFound(record.Key) : RecordResult.Delivered(record.Key));
                        if (gone.Key is not null)
                            d.Records.TryRemove(gone.Key, out _);
                        break;
                }
            }
            return results;
        }

        public Task<IReadOnlyList<RecordResult>> ReconcileAsync(DeliveryBatch batch, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<RecordResult>>(batch.Records
                .Select(r => d.Existing.TryGetValue(r.MatchValue?.ToString() ?? "", out var id)
                    ? RecordResult.Delivered(r.Key, id)
                    : RecordResult.NotFound(r.Key))
                .ToList());

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

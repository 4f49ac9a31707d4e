using Sluice.Core.Destinations;
using Sluice.Core.Models;
using Sluice.Destinations.Tests.Support;
using Sluice.Emulators.Iterable;

namespace Sluice.Destinations.Iterable.Tests.Support;

/// <summary>Builds syncs, settings, destinations and batches the way the engine would.</summary>
internal static class TestSync
{
    public const string ApiKey = "it-test-key-0123456789";

    public static Task<IterableEmulator> StartEmulatorAsync(Action<IterableEmulatorOptions>? configure = null)
    {
        // The emulator's rate limits run on the same simulated clock as the destination's pacing and retries.
        var options = new IterableEmulatorOptions { ApiKey = ApiKey, TimeProvider = new SimulatedTime() };
        configure?.Invoke(options);
        return IterableEmulator.StartAsync(options, TestContext.Current.CancellationToken);
    }

    public static DestinationSettings Settings(Uri? baseUrl, params (string Key, string Value)[] extra)
    {
        var values = new List<(string, string)> { (IterableOptionNames.ApiKey, ApiKey) };
        if (baseUrl is not null)
            values.Add((IterableOptionNames.BaseUrl, baseUrl.ToString()));
        foreach (var (key, value) in extra)
        {
            values.RemoveAll(v => v.Item1 == key);
            values.Add((key, value));
        }
        return DestinationSettings.From("iterable", "iterable", values.ToArray());
    }

    /// <summary>Services on the emulator's simulated clock: pacing, backoff and Retry-After waits pass without being waited out.</summary>
    public static DestinationServices Services(IterableEmulator iterable, CapturedLogs? logs = null) => Clock(iterable).Services(logs);

    /// <summary>Services on a simulated clock of their own (no emulator involved).</summary>
    public static DestinationServices Services(CapturedLogs? logs = null) => new SimulatedTime().Services(logs);

    public static SimulatedTime Clock(IterableEmulator iterable) => (SimulatedTime)iterable.TimeProvider;

    /// <summary>A sync matching by <paramref name="matchField"/> (column <c>id</c>), mapping each column to the field of the same name.</summary>
    public static SyncContext Sync(SyncMode mode, string matchField, params (string Column, ValueKind Kind)[] columns) =>
        SyncMapped(mode, matchField, columns.Select(c => (c.Column, c.Column, c.Kind)).ToArray());

    public static SyncContext SyncMapped(SyncMode mode, string matchField, params (string Column, string Field, ValueKind Kind)[] mappings)
    {
        var matchKind = ValueKind.Text;
        var columns = new List<ModelColumn> { new("id", matchKind, "VARCHAR") };
        columns.AddRange(mappings.Select(m => new ModelColumn(m.Column, m.Kind, m.Kind.ToString().ToUpperInvariant())));
        return new SyncContext("test-sync", mode, ModelKind.User, new FieldMapping("id", matchField),
            mappings.Select(m => new FieldMapping(m.Column, m.Field)).ToArray(), columns);
    }

    public static DeliveryBatch Batch(SyncContext sync, IEnumerable<DeliveryRecord> records) => new(sync.Mappings, records.ToArray());

    public static DeliveryRecord Upsert(string id, params object?[] values) => new(id, RecordOperation.Upsert, id, values, null);

    public static DeliveryRecord Update(string id, string? destinationId, params object?[] values) =>
        new(id, RecordOperation.Update, id, values, destinationId);

    /// <summary>Feeds records to a writer like the engine: batches of BatchSize, at most MaxConcurrency at once.</summary>
    public static async Task<List<RecordResult>> DeliverAllAsync(IDestinationWriter writer, SyncContext sync, IReadOnlyList<DeliveryRecord> records)
    {
        var batches = records.Chunk(writer.BatchSize).Select(chunk => Batch(sync, chunk)).ToList();
        var results = new List<RecordResult>();
        var gate = new object();
        await Parallel.ForEachAsync(batches,
            new ParallelOptions { MaxDegreeOfParallelism = writer.MaxConcurrency, CancellationToken = TestContext.Current.CancellationToken },
            async (batch, ct) =>
            {
                var batchResults = await writer.WriteAsync(batch, ct);
                Assert.Equal(batch.Records.Count, batchResults.Count);
                Assert.Equal(batch.Records.Select(r => r.Key).Order(), batchResults.Select(r => r.Key).Order());
                lock (gate)
                    results.AddRange(batchResults);
            });
        return results;
    }

    public static async Task<(IDestination Destination, IDestinationWriter Writer)> OpenAsync(
        IterableEmulator iterable, DestinationSettings settings, SyncContext sync, DestinationServices? services = null)
    {
        var destination = new IterableDestinationProvider().Create(settings, services ?? Services(iterable));
        var writer = await destination.OpenAsync(sync, new PlanCounts(0, 0, 0, 0), TestContext.Current.CancellationToken);
        return (destination, writer);
    }
}

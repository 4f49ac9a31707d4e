using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Sluice.Core.Destinations;
using Sluice.Core.Planning;
using Sluice.Core.State;
using Sluice.Core.Telemetry;
using Sluice.Engine.Telemetry;

namespace Sluice.Engine;

/// <summary>
/// Streams a plan's rows into batches and delivers them, as many at once as the destination allows: each batch is
/// recorded in doubt before it is sent and committed as soon as its answer returns. One batch failing, or a graceful
/// stop, stops new batches; those in flight finish and are committed.
/// </summary>
internal sealed class DeliveryPipeline(ISyncLedger ledger, long runId, BatchCommitter committer, RunTally tally,
    IProgress<RunProgress>? progress)
{
    /// <param name="graceful">Stops new batches; those in flight finish, then <see cref="OperationCanceledException"/>.</param>
    /// <param name="ct">Stops everything, requests in flight included.</param>
    public async Task RunAsync(IChangePlan plan, RunPlan runPlan, IDestinationWriter writer, SyncContext context, InsertSettlement settlement,
        CancellationToken graceful, CancellationToken ct)
    {
        var batchSize = Math.Max(1, writer.BatchSize);
        var concurrency = Math.Max(1, writer.MaxConcurrency);
        var channel = Channel.CreateBounded<PendingBatch>(new BoundedChannelOptions(concurrency) { SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct, graceful);
        Exception? failure = null;
        var batchNumber = 0;

        var producer = Task.Run(() => ProduceAsync(plan, runPlan, settlement, batchSize, channel.Writer, stop.Token), CancellationToken.None);

        async Task ConsumeAsync()
        {
            try
            {
                await foreach (var batch in channel.Reader.ReadAllAsync(stop.Token))
                {
                    var batchId = new BatchId(runId, Interlocked.Increment(ref batchNumber));
                    using var span = RunTelemetry.Phase("sluice.batch")?.SetTag(SluiceTelemetry.Tags.BatchRows, batch.Count);
                    // Once sent, a write may land even if its answer never comes back: it is in doubt until committed.
                    await ledger.MarkInDoubtAsync(batchId,
                        batch.Records.Select(r => new InDoubtWrite(r.Key, r.Operation, Format(r.MatchValue), batch.HashOf(r.Key))).ToList(), ct);
                    // In-flight batches finish even when another batch failed: only new ones stop.
                    var results = await writer.WriteAsync(new DeliveryBatch(context.Mappings, batch.Records), ct);
                    var (delivered, rejected) = await committer.CommitAsync(batchId, batch, results, ct);
                    span?.SetTag(SluiceTelemetry.Tags.BatchDelivered, delivered).SetTag(SluiceTelemetry.Tags.BatchRejected, rejected);
                    progress?.Report(tally.Progress(RunPhase.Delivering));
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                // Another batch failed; this consumer stops taking new batches.
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref failure, e, null);
                await stop.CancelAsync();
            }
        }

        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(ConsumeAsync, CancellationToken.None)));
        await stop.CancelAsync();
        await producer;
        if (failure is not null)
            ExceptionDispatchInfo.Capture(failure).Throw();
        if (channel.Reader.Completion is { IsFaulted: true } completion)
            ExceptionDispatchInfo.Capture(completion.Exception!.InnerException!).Throw();
        ct.ThrowIfCancellationRequested();
        // Stopped before every batch was taken: the run is cancelled, and the rest goes next run.
        if (!channel.Reader.Completion.IsCompletedSuccessfully)
            graceful.ThrowIfCancellationRequested();
    }

    private static async Task ProduceAsync(IChangePlan plan, RunPlan runPlan, InsertSettlement settlement, int batchSize,
        ChannelWriter<PendingBatch> channel, CancellationToken ct)
    {
        try
        {
            var batch = new PendingBatch(batchSize);
            async ValueTask AddAsync(DeliveryRecord record, ulong hash, ulong? matchHash = null)
            {
                batch.Add(record, hash, matchHash);
                if (batch.Count < batchSize)
                    return;
                await channel.WriteAsync(batch, ct);
                batch = new PendingBatch(batchSize);
            }

            var operation = runPlan.Operation;
            await foreach (var row in plan.ReadChangesAsync(true, runPlan.SendsChanged, ct: ct))
            {
                if (settlement.Skip(row.Key, row.Hash))
                    continue;
                var knownIds = operation == RecordOperation.Create ? settlement.KnownIds(row.Key, row.KnownIds) : null;
                await AddAsync(new DeliveryRecord(row.Key, operation, row.MatchValue, row.Values,
                    settlement.DestinationId(row.Key, row.DestinationId), knownIds), row.Hash, row.MatchHash);
            }
            if (runPlan.ToDelete > 0)
            {
                await foreach (var removed in plan.ReadRemovedAsync(ct: ct))
                    await AddAsync(new DeliveryRecord(removed.Key, RecordOperation.Delete, removed.MatchValue, [], removed.DestinationId), 0);
            }
            if (batch.Count > 0)
                await channel.WriteAsync(batch, ct);
            channel.TryComplete();
        }
        catch (Exception e)
        {
            channel.TryComplete(e);
        }
    }

    private static string? Format(object? value) => value switch
    {
        null => null,
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };
}

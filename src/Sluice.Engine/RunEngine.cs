using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sluice.Core.Configuration;
using Sluice.Core.Destinations;
using Sluice.Core.Models;
using Sluice.Core.Sources;
using Sluice.Core.Planning;
using Sluice.State;

namespace Sluice.Engine;

/// <summary>
/// Runs syncs: plan against the ledger, deliver the changes in batches (as many at once as the
/// destination allows), commit each acknowledged batch to the ledger as soon as it returns, record
/// the run and raise its warnings. The CLI, the server's scheduler and the tests all drive this one step.
/// </summary>
public sealed class RunEngine
{
    private readonly StateStore _store;
    private readonly Planner _planner;
    private readonly IRunNotifier? _notifier;
    private readonly ILogger _logger;

    public RunEngine(StateStore store, IRunNotifier? notifier = null, ILoggerFactory? loggerFactory = null)
    {
        _store = store;
        _planner = new Planner(store);
        _notifier = notifier;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<RunEngine>();
    }

    /// <summary>Plans a sync without sending anything (what <c>sluice plan</c> shows).</summary>
    public Task<Plan> PlanAsync(SyncRunRequest request, RunOptions options, CancellationToken ct = default) =>
        _planner.PlanAsync(request.ToPlanRequest(options.FullResync), ct);

    public async Task<RunOutcome> RunAsync(
        SyncRunRequest request, RunOptions options, IProgress<RunProgress>? progress = null, CancellationToken ct = default)
    {
        var sync = request.Sync;
        var runId = await _store.StartRunAsync(sync.Name, options.FullResync, ct);
        var tally = new Tally();
        var warnings = new List<string>();
        string? error = null;
        ErrorCategory? category = null;
        try
        {
            progress?.Report(new RunProgress("planning", 0, 0));
            await using var plan = await PlanAsync(request, options, ct);
            await DeliverAsync(request, options, runId, plan, tally, warnings, progress, ct);
        }
        catch (RunStoppedException e)
        {
            (error, category) = (e.Message, e.Category);
        }
        catch (DeliveryException e)
        {
            (error, category) = (e.Message, e.Category);
        }
        catch (SourceException e)
        {
            (error, category) = (e.Message, ErrorCategory.Connection);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            (error, category) = ("The run was cancelled. Acknowledged batches were committed; the rest is sent next run.", ErrorCategory.Timeout);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _logger.LogError(e, "Run {RunId} of sync {Sync} failed", runId, sync.Name);
            (error, category) = ($"Unexpected error: {e.GetType().Name}: {e.Message}", ErrorCategory.Destination);
        }

        await _store.CompactAsync(sync.Name, CancellationToken.None);
        var counts = tally.ToCounts();
        var status = error is null ? RunStatus.Succeeded : RunStatus.Failed;
        RaiseWarnings(sync, status, tally.Planned > 0 || tally.HasPlan, counts, warnings);
        await _store.FinishRunAsync(runId, status, counts, warnings, error, CancellationToken.None);
        var record = (await _store.HistoryAsync(sync.Name, 2, CancellationToken.None)).ToList();
        if (_notifier is not null)
            await NotifyAsync(sync, record[0], record.Count > 1 ? record[1] : null);
        return new RunOutcome(record[0], category);
    }

    private async Task DeliverAsync(SyncRunRequest request, RunOptions options, long runId, Plan plan, Tally tally,
        List<string> warnings, IProgress<RunProgress>? progress, CancellationToken ct)
    {
        var sync = request.Sync;
        var totals = plan.Totals;
        tally.FromPlan(totals);
        await RecordInvalidKeysAsync(request, runId, plan, ct);

        var sendChanged = sync.Mode != SyncMode.Insert || request.Provider.InsertCreatesChangedRows;
        var operation = sync.Mode switch
        {
            SyncMode.Insert => RecordOperation.Create,
            SyncMode.Update => RecordOperation.Update,
            _ => RecordOperation.Upsert,
        };
        var deletes = PlanDeletes(request, options, totals, warnings);
        var toSend = totals.Added + (sendChanged ? totals.Changed : 0);
        tally.Planned = toSend + deletes;

        var createsInDoubt = await _store.ReadInDoubtCreatesAsync(sync.Name, ct);
        if (tally.Planned == 0 && createsInDoubt.Count == 0)
            return;

        var planCounts = new PlanCounts(
            operation == RecordOperation.Create ? toSend : 0,
            operation == RecordOperation.Update ? toSend : 0,
            operation == RecordOperation.Upsert ? toSend : 0,
            deletes);
        var context = request.Context;
        await using var writer = await request.Destination.OpenAsync(context, planCounts, ct);
        if (totals.InDoubt + totals.InDoubtRemoved + createsInDoubt.Count > 0)
            await writer.SettleInFlightAsync(ct);
        var settled = await SettleCreatesAsync(sync.Name, runId, writer, context, createsInDoubt, ct);

        var batchSize = Math.Max(1, writer.BatchSize);
        var concurrency = Math.Max(1, writer.MaxConcurrency);
        var channel = Channel.CreateBounded<PendingBatch>(new BoundedChannelOptions(concurrency)
        {
            SingleWriter = true,
        });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Exception? failure = null;
        long batchNumber = 0;

        var producer = Task.Run(async () =>
        {
            try
            {
                var batch = new PendingBatch(batchSize);
                async ValueTask AddAsync(DeliveryRecord record, ulong hash)
                {
                    batch.Add(record, hash);
                    if (batch.Count < batchSize)
                        return;
                    await channel.Writer.WriteAsync(batch, stop.Token);
                    batch = new PendingBatch(batchSize);
                }

                await foreach (var row in plan.ReadChangesAsync(true, sendChanged, ct: stop.Token))
                {
                    if (settled.Skip(row.Key, row.Hash))
                        continue;
                    var knownIds = operation == RecordOperation.Create ? settled.KnownIds(row.Key, row.KnownIds) : null;
                    await AddAsync(new DeliveryRecord(row.Key, operation, row.MatchValue, row.Values,
                        settled.DestinationId(row.Key, row.DestinationId), knownIds), row.Hash);
                }
                if (deletes > 0)
                {
                    await foreach (var removed in plan.ReadRemovedAsync(ct: stop.Token))
                        await AddAsync(new DeliveryRecord(removed.Key, RecordOperation.Delete, removed.MatchValue, [], removed.DestinationId), 0);
                }
                if (batch.Count > 0)
                    await channel.Writer.WriteAsync(batch, stop.Token);
                channel.Writer.TryComplete();
            }
            catch (Exception e)
            {
                channel.Writer.TryComplete(e);
            }
        }, CancellationToken.None);

        async Task ConsumeAsync()
        {
            try
            {
                await foreach (var batch in channel.Reader.ReadAllAsync(stop.Token))
                {
                    var seq = runId * 10_000_000 + Interlocked.Increment(ref batchNumber);
                    // Once sent, a write may land even if its answer never comes back: it is in doubt until committed.
                    await _store.MarkInDoubtAsync(sync.Name, runId, seq,
                        batch.Records.Select(r => new InDoubtWrite(r.Key, r.Operation, Format(r.MatchValue), batch.HashOf(r.Key))).ToList(), ct);
                    // In-flight batches finish even when another batch failed: only new ones stop.
                    var results = await writer.WriteAsync(new DeliveryBatch(context.Mappings, batch.Records), ct);
                    await CommitAsync(sync.Name, runId, seq, batch, results, tally, ct);
                    progress?.Report(new RunProgress("delivering", tally.Planned, tally.Done));
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
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        if (channel.Reader.Completion is { IsFaulted: true } completion)
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(completion.Exception!.InnerException!).Throw();
        ct.ThrowIfCancellationRequested();
    }

    /// <summary>How many removed records a mirror run deletes, after its guard and the empty-model rule.</summary>
    private static long PlanDeletes(SyncRunRequest request, RunOptions options, PlanTotals totals, List<string> warnings)
    {
        var sync = request.Sync;
        if (sync.Mode != SyncMode.Mirror || totals.Removed + totals.InDoubtRemoved == 0)
            return 0;
        if (totals.ModelRows == 0)
        {
            // An empty model is far more often a broken query than a real wish to delete everything.
            if (!warnings.Contains(RunWarnings.EmptyModel))
                warnings.Add(RunWarnings.EmptyModel);
            return 0;
        }
        var allowed = sync.MaxDeletes.AllowedFor(totals.LedgerSize);
        if (totals.Removed > allowed && !options.AllowMassDelete)
        {
            warnings.Add(RunWarnings.MirrorGuard);
            throw new RunStoppedException(ErrorCategory.Configuration,
                $"Mirror guard: this run would delete {totals.Removed:N0} of the {totals.LedgerSize:N0} records Sluice delivered " +
                $"to '{sync.Destination}', more than max_deletes allows ({sync.MaxDeletes} = {allowed:N0}). Nothing was sent or deleted. " +
                $"Check the model '{sync.Model}' first (`sluice plan {sync.Name}` lists the deletes); if they are intended, run again " +
                "with --allow-mass-delete, or raise max_deletes for this sync in sluice.yaml.");
        }
        // Records whose write was in doubt when a run died are deleted too: they may exist, and they left the model.
        return totals.Removed + totals.InDoubtRemoved;
    }

    private async Task RecordInvalidKeysAsync(SyncRunRequest request, long runId, Plan plan, CancellationToken ct)
    {
        if (plan.Totals.NullKeys == 0 && plan.Totals.DuplicateKeys == 0)
            return;
        var pk = request.Model.PrimaryKey;
        var rows = new List<RejectedRow>();
        await foreach (var (key, count) in plan.ReadInvalidKeysAsync(ct))
        {
            rows.Add(key is null
                ? new RejectedRow(request.Sync.Name, runId, "", "invalid", "NULL_PRIMARY_KEY",
                    $"{count} row(s) of model '{request.Model.Name}' have a null primary key '{pk}'; they are not sent. Fix the model so every row has a {pk}.", default)
                : new RejectedRow(request.Sync.Name, runId, key, "invalid", "DUPLICATE_PRIMARY_KEY",
                    $"primary key '{pk}' = '{key}' appears in {count} rows of model '{request.Model.Name}'; none of them is sent until it is unique.", default));
        }
        await _store.CommitAsync(request.Sync.Name, runId, null, [], rows, [], ct);
    }

    /// <summary>
    /// After a run died with inserts in flight: asks the destination which of them it created (telling them apart from
    /// the key's earlier records by id), commits those, and settles the rest as not created. An insert the destination
    /// could not answer for stays in doubt and is not sent again this run.
    /// </summary>
    private async Task<SettledCreates> SettleCreatesAsync(string sync, long runId, IDestinationWriter writer,
        SyncContext context, IReadOnlyList<InDoubtCreate> creates, CancellationToken ct)
    {
        var settled = new SettledCreates();
        foreach (var chunk in creates.Chunk(Math.Max(1, writer.BatchSize)))
        {
            var records = chunk.Select(c => new DeliveryRecord(c.Key, RecordOperation.Create, c.MatchValue, [], c.DestinationId, c.KnownIds)).ToList();
            var results = await writer.ReconcileAsync(new DeliveryBatch(context.Mappings, records), ct);
            var byKey = chunk.ToDictionary(c => c.Key, StringComparer.Ordinal);
            var entries = new List<LedgerEntry>();
            var answered = new List<string>();
            foreach (var result in results)
            {
                if (!byKey.TryGetValue(result.Key, out var create) || settled.IsSettled(result.Key))
                    continue;
                switch (result.Outcome)
                {
                    case RecordOutcome.Delivered:
                        entries.Add(new LedgerEntry(result.Key, create.Hash, result.DestinationId, Created: true));
                        settled.Created(create, result.DestinationId);
                        answered.Add(result.Key);
                        break;
                    case RecordOutcome.NotFound:
                        settled.NotCreated(create);
                        answered.Add(result.Key);
                        break;
                }
            }
            foreach (var create in chunk.Where(c => !settled.IsSettled(c.Key)))
                settled.Unsettled(create.Key);
            await _store.SettleCreatesAsync(sync, runId * 10_000_000, entries, answered, ct);
        }
        if (creates.Count > 0)
        {
            _logger.LogInformation("Reconciled {Count} interrupted inserts of {Sync}: {Found} had been created, {Open} still in doubt",
                creates.Count, sync, settled.CreatedCount, settled.UnsettledCount);
        }
        return settled;
    }

    private async Task CommitAsync(string sync, long runId, long seq, PendingBatch batch, IReadOnlyList<RecordResult> results,
        Tally tally, CancellationToken ct)
    {
        var entries = new List<LedgerEntry>(batch.Count);
        var rejected = new List<RejectedRow>();
        var answered = new HashSet<string>(StringComparer.Ordinal);
        foreach (var result in results)
        {
            if (!batch.TryGet(result.Key, out var record, out var hash) || !answered.Add(result.Key))
                continue;
            var isDelete = record.Operation == RecordOperation.Delete;
            switch (result.Outcome)
            {
                case RecordOutcome.Delivered when isDelete:
                case RecordOutcome.NotFound when isDelete:
                    // Gone either way: a record already deleted by someone else is as deleted as ours.
                    entries.Add(new LedgerEntry(result.Key, 0, null, Deleted: true));
                    Interlocked.Increment(ref tally.Deleted);
                    break;
                case RecordOutcome.Delivered:
                    entries.Add(new LedgerEntry(result.Key, hash, result.DestinationId ?? record.DestinationId,
                        Created: record.Operation == RecordOperation.Create));
                    Interlocked.Increment(ref tally.Delivered);
                    break;
                case RecordOutcome.Skipped:
                    entries.Add(new LedgerEntry(result.Key, hash, result.DestinationId ?? record.DestinationId,
                        Created: record.Operation == RecordOperation.Create));
                    Interlocked.Increment(ref tally.Skipped);
                    break;
                case RecordOutcome.NotFound:
                    rejected.Add(new RejectedRow(sync, runId, result.Key, "not_found", result.Code ?? "NOT_FOUND",
                        result.Reason ?? "no matching record in the destination", default));
                    Interlocked.Increment(ref tally.NotFound);
                    break;
                default:
                    rejected.Add(new RejectedRow(sync, runId, result.Key, "rejected", result.Code,
                        result.Reason ?? "rejected by the destination", default));
                    Interlocked.Increment(ref tally.Rejected);
                    break;
            }
        }
        // A row without an answer may have landed: it stays in doubt.
        var unanswered = batch.Records.Where(r => !answered.Contains(r.Key)).Select(r => r.Key).ToList();
        foreach (var key in unanswered)
        {
            rejected.Add(new RejectedRow(sync, runId, key, "rejected", "NO_RESULT",
                "the destination returned no result for this row; it is sent again next run", default));
            Interlocked.Increment(ref tally.Rejected);
        }
        await _store.CommitAsync(sync, runId, seq, entries, rejected, unanswered, ct);
    }

    private static void RaiseWarnings(SyncConfig sync, RunStatus status, bool planned, RunCounts counts, List<string> warnings)
    {
        var config = sync.Warnings;
        if (status == RunStatus.Failed && config.OnFailure)
            warnings.Add(RunWarnings.Failed);
        if (config.RejectedRowsPercent is { } threshold && counts.Planned > 0 &&
            100.0 * (counts.Rejected + counts.NotFound) / counts.Planned > threshold)
            warnings.Add(RunWarnings.RejectedRows);
        if (planned && counts.ModelRows == 0 && config.OnEmptyModel && !warnings.Contains(RunWarnings.EmptyModel))
            warnings.Add(RunWarnings.EmptyModel);
        if (!config.OnEmptyModel)
            warnings.Remove(RunWarnings.EmptyModel);
        if (!config.OnMirrorGuard)
            warnings.Remove(RunWarnings.MirrorGuard);
    }

    private async Task NotifyAsync(SyncConfig sync, RunRecord run, RunRecord? previous)
    {
        var before = previous?.Warnings ?? [];
        var raised = run.Warnings.Except(before).ToList();
        var cleared = before.Except(run.Warnings).ToList();
        if (raised.Count == 0 && cleared.Count == 0)
            return;
        try
        {
            await _notifier!.NotifyAsync(sync, run, raised, cleared, CancellationToken.None);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException)
        {
            _logger.LogWarning("Could not send the warnings of sync {Sync}: {Message}", sync.Name, e.Message);
        }
    }

    private static string? Format(object? value) => value switch
    {
        null => null,
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    /// <summary>A batch being delivered, with the hash of each record's values for the ledger.</summary>
    private sealed class PendingBatch(int capacity)
    {
        private readonly List<DeliveryRecord> _records = new(capacity);
        private readonly Dictionary<string, (DeliveryRecord Record, ulong Hash)> _byKey = new(capacity, StringComparer.Ordinal);

        public IReadOnlyList<DeliveryRecord> Records => _records;

        public int Count => _records.Count;

        public void Add(DeliveryRecord record, ulong hash)
        {
            _records.Add(record);
            _byKey[record.Key] = (record, hash);
        }

        public ulong HashOf(string key) => _byKey[key].Hash;

        public bool TryGet(string key, out DeliveryRecord record, out ulong hash)
        {
            var found = _byKey.TryGetValue(key, out var entry);
            (record, hash) = (entry.Record, entry.Hash);
            return found;
        }
    }

    /// <summary>What the settling of creates in doubt found, consulted while the run's rows are read.</summary>
    private sealed class SettledCreates
    {
        private readonly Dictionary<string, (ulong Hash, string? Id)> _created = new(StringComparer.Ordinal);
        private readonly Dictionary<string, ulong?> _notCreated = new(StringComparer.Ordinal);
        private readonly HashSet<string> _unsettled = new(StringComparer.Ordinal);

        public int CreatedCount => _created.Count;

        public int UnsettledCount => _unsettled.Count;

        public bool IsSettled(string key) => _created.ContainsKey(key) || _notCreated.ContainsKey(key);

        public void Created(InDoubtCreate create, string? id) => _created[create.Key] = (create.Hash, id);

        public void NotCreated(InDoubtCreate create) => _notCreated[create.Key] = create.LedgerHash;

        public void Unsettled(string key) => _unsettled.Add(key);

        /// <summary>
        /// Whether a planned row is not to be sent: its insert is still in doubt, or the destination now holds its values
        /// (the version in doubt was created, or it wasn't and the model is back to what the ledger held: the plan,
        /// read before the settling, counted it as changed only because it was in doubt).
        /// </summary>
        public bool Skip(string key, ulong hash) =>
            _unsettled.Contains(key)
            || (_created.TryGetValue(key, out var created) && created.Hash == hash)
            || (_notCreated.TryGetValue(key, out var ledger) && ledger == hash);

        /// <summary>The record the ledger now holds for the key (the plan was read before the settling).</summary>
        public string? DestinationId(string key, string? planned) => _created.TryGetValue(key, out var c) && c.Id is not null ? c.Id : planned;

        /// <summary>The key's known records, with the one the settling just found.</summary>
        public IReadOnlyList<string> KnownIds(string key, IReadOnlyList<string> planned) =>
            _created.TryGetValue(key, out var c) && c.Id is not null ? [.. planned, c.Id] : planned;
    }

    /// <summary>Counts updated by concurrent batches.</summary>
    private sealed class Tally
    {
        public long Delivered;
        public long Deleted;
        public long Rejected;
        public long NotFound;
        public long Skipped;
        private PlanTotals? _plan;

        public long Planned { get; set; }

        public long Done => Interlocked.Read(ref Delivered) + Interlocked.Read(ref Deleted) + Interlocked.Read(ref Rejected)
            + Interlocked.Read(ref NotFound) + Interlocked.Read(ref Skipped);

        public void FromPlan(PlanTotals totals) => _plan = totals;

        public bool HasPlan => _plan is not null;

        public RunCounts ToCounts() => new()
        {
            ModelRows = _plan?.ModelRows ?? 0,
            Added = _plan?.Added ?? 0,
            Changed = _plan?.Changed ?? 0,
            Removed = _plan?.Removed ?? 0,
            Unchanged = _plan?.Unchanged ?? 0,
            InvalidKeys = (_plan?.NullKeys ?? 0) + (_plan?.DuplicateRows ?? 0),
            Planned = Planned,
            Delivered = Delivered,
            Deleted = Deleted,
            Rejected = Rejected,
            NotFound = NotFound,
            Skipped = Skipped,
        };
    }
}

/// <summary>A run stopped on purpose (mirror guard...), with the message users see.</summary>
public sealed class RunStoppedException(ErrorCategory category, string message) : Exception(message)
{
    public ErrorCategory Category { get; } = category;
}

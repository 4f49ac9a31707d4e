using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sluice.Core.Configuration;
using Sluice.Core.Destinations;
using Sluice.Core.Planning;
using Sluice.Core.Sources;
using Sluice.Core.State;
using Sluice.Engine.Telemetry;
using Sluice.State;

namespace Sluice.Engine;

/// <summary>
/// Runs syncs: claim the sync, resolve it, plan against its ledger, settle what an interrupted run left in doubt,
/// deliver the changes (<see cref="DeliveryPipeline"/>), record the run with its counts and warnings, and notify. Every
/// run is recorded, whatever stops it once the sync is claimed. The CLI, the server's scheduler and the tests all drive
/// this one step; the state and the planner are the host's (<see cref="IStateStore"/>, <see cref="IChangePlanner"/>).
/// </summary>
public sealed class RunEngine
{
    private readonly IStateStore _state;
    private readonly IChangePlanner _planner;
    private readonly IRunNotifier? _notifier;
    private readonly ILogger _logger;

    /// <param name="state">The project's state: run history and the claimed syncs' ledgers.</param>
    /// <param name="notifier">Where warnings go; none when null.</param>
    /// <param name="loggerFactory">Logs of the engine.</param>
    /// <param name="planner">The planner for sources that bring none (<see cref="ISource.Planner"/>); the embedded one when null.</param>
    public RunEngine(IStateStore state, IRunNotifier? notifier = null, ILoggerFactory? loggerFactory = null, IChangePlanner? planner = null)
    {
        _state = state;
        _planner = planner ?? new Planner();
        _notifier = notifier;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<RunEngine>();
    }

    /// <summary>
    /// Plans a sync without sending anything (what <c>sluice plan</c> shows), holding its claim until the plan is disposed.
    /// Throws <see cref="SyncBusyException"/> while another process runs it.
    /// </summary>
    public async Task<IChangePlan> PlanAsync(SyncRunRequest request, RunOptions options, CancellationToken ct = default)
    {
        var claim = await _state.ClaimAsync(request.Sync.Name, ct);
        ISyncLedger? own = null;
        try
        {
            own = await OwnLedgerAsync(request, claim, ct);
            return new ClaimedPlan(await PlanAsync(request, own, claim, options, ct), own is null ? [claim] : [own, claim]);
        }
        catch
        {
            if (own is not null)
                await own.DisposeAsync();
            await claim.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The ledger of the source's planner when it plans the sync and keeps its own (a warehouse's), or null: the
    /// claimed one is the sync's.
    /// </summary>
    private static async Task<ISyncLedger?> OwnLedgerAsync(SyncRunRequest request, ISyncLedger claim, CancellationToken ct) =>
        request.Source.Planner is { } planner && await planner.PlansAsync(request.Sync.Name, claim, ct)
            ? await planner.OpenLedgerAsync(request.Sync.Name, ct)
            : null;

    /// <summary>The source's planner plans against the ledger it opened; any other sync is the engine planner's, on the claim.</summary>
    private Task<IChangePlan> PlanAsync(SyncRunRequest request, ISyncLedger? own, ISyncLedger claim, RunOptions options, CancellationToken ct) =>
        (own is not null ? request.Source.Planner! : _planner).PlanAsync(request.ToPlanRequest(options.FullResync) with { ForDelivery = true }, own ?? claim, ct);

    /// <summary>Runs a sync already resolved.</summary>
    public Task<RunOutcome> RunAsync(
        SyncRunRequest request, RunOptions options, IProgress<RunProgress>? progress = null, CancellationToken ct = default) =>
        RunAsync(request.Sync, _ => Task.FromResult(request), options, progress, ct);

    /// <summary>
    /// Runs a sync, resolving it (<see cref="SyncResolver.ResolveAsync"/>) as the run's first step, so that a run
    /// stopped by its configuration, its credentials or an unreachable destination is recorded like any other.
    /// </summary>
    /// Throws <see cref="SyncBusyException"/> (nothing recorded: the holder's run is) while another process runs it.
    public async Task<RunOutcome> RunAsync(SyncConfig sync, Func<CancellationToken, Task<SyncRunRequest>> resolve, RunOptions options,
        IProgress<RunProgress>? progress = null, CancellationToken ct = default)
    {
        await using var claim = await _state.ClaimAsync(sync.Name, ct);
        var runId = await _state.Runs.StartRunAsync(sync.Name, options.FullResync, ct);
        using var telemetry = new RunTelemetry(sync, runId, options.FullResync, _logger);
        var tally = new RunTally();
        var warnings = new List<string>();
        RunFailure? failure = null;
        // Before delivery nothing is in flight at the destination, so a graceful stop cancels like a hard one.
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(ct, options.Stop);
        var stop = stopping.Token;
        try
        {
            progress?.Report(tally.Progress(RunPhase.Resolving));
            SyncRunRequest request;
            using (RunTelemetry.Phase("sluice.check"))
                request = await resolve(stop);
            telemetry.Resolved(request.Provider.Type);
            progress?.Report(tally.Progress(RunPhase.Planning));
            await using var own = await OwnLedgerAsync(request, claim, stop);
            var ledger = own ?? claim;
            IChangePlan plan;
            using (RunTelemetry.Phase("sluice.plan"))
                plan = await PlanAsync(request, own, claim, options, stop);
            await using (plan)
            {
                using var deliver = RunTelemetry.Phase("sluice.deliver");
                await DeliverAsync(request, options, ledger, runId, plan, tally, telemetry, warnings, progress, stop, ct);
            }
        }
        catch (Exception e) when (RunFailure.From(e, stop) is { } known)
        {
            failure = known;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _logger.LogError(e, "Run {RunId} of sync {Sync} failed", runId, sync.Name);
            failure = new RunFailure(ErrorCategory.Destination, $"Unexpected error: {e.GetType().Name}: {e.Message}");
        }

        var counts = tally.ToCounts();
        var status = failure switch
        {
            null => RunStatus.Succeeded,
            { Category: ErrorCategory.Cancelled } => RunStatus.Cancelled,
            _ => RunStatus.Failed,
        };
        var earlier = EarlierRuns.From(await _state.Runs.HistoryAsync(sync.Name, EarlierRuns.Depth, CancellationToken.None), runId);
        RunWarningPolicy.Apply(sync, status, tally.Planned > 0 || tally.HasPlan, counts, earlier, warnings);
        await _state.Runs.FinishRunAsync(runId, status, counts, warnings, failure?.Message, CancellationToken.None);
        var record = (await _state.Runs.HistoryAsync(sync.Name, 2, CancellationToken.None)).ToList();
        telemetry.Finished(record[0], failure?.Category);
        if (_notifier is not null)
            await NotifyAsync(sync, record[0], record.Count > 1 ? record[1] : null, earlier);
        return new RunOutcome(record[0], failure?.Category, failure?.Problems);
    }

    private async Task DeliverAsync(SyncRunRequest request, RunOptions options, ISyncLedger ledger, long runId, IChangePlan plan, RunTally tally,
        RunTelemetry telemetry, List<string> warnings, IProgress<RunProgress>? progress, CancellationToken stop, CancellationToken ct)
    {
        var sync = request.Sync;
        var totals = plan.Totals;
        tally.FromPlan(totals);
        await RecordInvalidKeysAsync(request, runId, plan, stop);
        telemetry.Invalid(totals.NullKeys + totals.DuplicateRows);

        var runPlan = RunPlan.For(request, totals, options);
        if (runPlan.EmptyModel)
            warnings.Add(RunWarnings.EmptyModel);
        if (runPlan.GuardTrips)
        {
            warnings.Add(RunWarnings.MirrorGuard);
            throw new RunStoppedException(ErrorCategory.Configuration,
                $"Mirror guard: this run would delete {totals.Removed:N0} of the {totals.LedgerSize:N0} records Sluice delivered " +
                $"to '{sync.Destination}', more than max_deletes allows ({sync.MaxDeletes} = {runPlan.DeleteAllowance:N0}). Nothing was sent or deleted. " +
                $"Check the model '{sync.Model}' first (`sluice plan {sync.Name}` lists the deletes); if they are intended, run again " +
                "with --allow-mass-delete, or raise max_deletes for this sync in sluice.yaml.");
        }
        tally.Planned = runPlan.ToSend + runPlan.ToDelete;
        tally.Pacing = runPlan.Estimate;
        telemetry.Planned(tally.Planned);
        if (runPlan.Estimate is { } paced)
            _logger.LogInformation("Sync {Sync} is paced by its destination's limits: {Pacing}", sync.Name, paced.ToString());

        var createsInDoubt = await ledger.ReadInDoubtCreatesAsync(ct);
        if (tally.Planned == 0 && createsInDoubt.Count == 0)
            return;

        var context = request.Context;
        await using var writer = await request.Destination.OpenAsync(context, runPlan.Counts, stop);
        if (totals.InDoubt + totals.InDoubtRemoved + createsInDoubt.Count > 0)
        {
            progress?.Report(tally.Progress(RunPhase.Settling));
            await writer.SettleInFlightAsync(ct);
        }
        var settlement = await InsertSettlement.SettleAsync(ledger, new BatchId(runId, 0), writer, context, createsInDoubt, _logger, stop);
        progress?.Report(tally.Progress(RunPhase.Delivering));
        var committer = new BatchCommitter(ledger, _state.Runs, runId, tally);
        try
        {
            await new DeliveryPipeline(ledger, runId, committer, tally, progress).RunAsync(plan, runPlan, writer, context, settlement, stop, ct);
        }
        finally
        {
            await committer.FlushAsync(CancellationToken.None);
        }
    }

    private async Task RecordInvalidKeysAsync(SyncRunRequest request, long runId, IChangePlan plan, CancellationToken ct)
    {
        if (plan.Totals.NullKeys == 0 && plan.Totals.DuplicateKeys == 0 && plan.Totals.DuplicateMatches == 0)
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
        var match = request.Sync.Match;
        await foreach (var dup in plan.ReadDuplicateMatchesAsync(ct))
        {
            rows.Add(new RejectedRow(request.Sync.Name, runId, dup.Key, "invalid", "DUPLICATE_MATCH_VALUE",
                $"Row key {dup.Key} has the same {match.Field} '{dup.MatchValue}' (column '{match.Column}') as row key {dup.WinnerKey}, " +
                "which Sluice delivers; the destination would merge them into one record. It is not sent until its value is unique " +
                "in the model.", default));
        }
        await _state.Runs.AddRejectedAsync(request.Sync.Name, runId, rows, ct);
    }

    private async Task NotifyAsync(SyncConfig sync, RunRecord run, RunRecord? previous, EarlierRuns earlier)
    {
        var before = previous?.Warnings ?? [];
        var raised = run.Warnings.Except(before).ToList();
        var cleared = before.Except(run.Warnings).ToList();
        if (raised.Count == 0 && cleared.Count == 0)
            return;
        var details = raised.ToDictionary(w => w, w => RunWarningPolicy.Describe(w, sync, run, earlier));
        try
        {
            await _notifier!.NotifyAsync(new RunNotice(sync, run, raised, cleared, details), CancellationToken.None);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException)
        {
            _logger.LogWarning("Could not send the warnings of sync {Sync}: {Message}", sync.Name, e.Message);
        }
    }

    /// <summary>Why a run stopped, as history records it: a category and a message users can act on.</summary>
    private sealed record RunFailure(ErrorCategory Category, string Message, IReadOnlyList<ConfigProblem>? Problems = null)
    {
        public static RunFailure? From(Exception e, CancellationToken ct) => e switch
        {
            // Ctrl+C mid-request surfaces as the destination's timeout: the user cancelled, say so.
            OperationCanceledException or DeliveryException { Category: ErrorCategory.Timeout } when ct.IsCancellationRequested => new(ErrorCategory.Cancelled,
                "The run was cancelled. Acknowledged batches were committed; the rest is sent next run."),
            ConfigException c => new(ErrorCategory.Configuration, string.Join(" ", c.Problems.Select(p => p.Hint is null ? p.Message : $"{p.Message} {p.Hint}")),
                c.Problems),
            RunStoppedException s => new(s.Category, s.Message),
            DeliveryException d => new(d.Category, d.Message),
            SourceException s => new(ErrorCategory.Source, s.Message),
            StateException s => new(ErrorCategory.State, s.Message),
            _ => null,
        };
    }
}

/// <summary>A plan that holds its sync's claim: disposing it releases both.</summary>
internal sealed class ClaimedPlan(IChangePlan plan, IReadOnlyList<ISyncLedger> ledgers) : IChangePlan
{
    public PlanRequest Request => plan.Request;

    public PlanTotals Totals => plan.Totals;

    public IAsyncEnumerable<ChangeRow> ReadChangesAsync(bool includeAdded, bool includeChanged, int? limit = null, CancellationToken ct = default) =>
        plan.ReadChangesAsync(includeAdded, includeChanged, limit, ct);

    public IAsyncEnumerable<RemovedRow> ReadRemovedAsync(int? limit = null, bool includeInDoubt = true, CancellationToken ct = default) =>
        plan.ReadRemovedAsync(limit, includeInDoubt, ct);

    public IAsyncEnumerable<(string? Key, long Count)> ReadInvalidKeysAsync(CancellationToken ct = default) => plan.ReadInvalidKeysAsync(ct);

    public IAsyncEnumerable<DuplicateMatch> ReadDuplicateMatchesAsync(CancellationToken ct = default) => plan.ReadDuplicateMatchesAsync(ct);

    public async ValueTask DisposeAsync()
    {
        await plan.DisposeAsync();
        // A planner's own ledger first, the state store's claim last: the sync stays claimed until both are closed.
        foreach (var ledger in ledgers)
            await ledger.DisposeAsync();
    }
}

/// <summary>A run stopped on purpose (mirror guard...), with the message users see.</summary>
public sealed class RunStoppedException(ErrorCategory category, string message) : Exception(message)
{
    public ErrorCategory Category { get; } = category;
}

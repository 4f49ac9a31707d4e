using Sluice.Core.Configuration;
using Sluice.Core.Models;
using Sluice.Core.State;
using Sluice.Engine;
using Sluice.Server.Api;
using Sluice.Server.Scheduling;

namespace Sluice.Server;

/// <summary>What the API and the UI read: syncs with their last and next runs, runs, rejected rows, plans.</summary>
public sealed class ServerQueries(ProjectHost project, IStateStore state, SyncRunner runner, SyncScheduler scheduler, SyncHealth health,
    ServerOptions options)
{
    /// <summary>How many rejected rows of a run are read for paging and search.</summary>
    public const int RejectedLimit = 100_000;

    public ProjectConfig Project => project.Current;

    public async Task<IReadOnlyList<SyncView>> SyncsAsync(CancellationToken ct)
    {
        var views = new List<SyncView>();
        var pauses = await health.PausesAsync(ct);
        foreach (var sync in project.Current.Syncs.Values.OrderBy(s => s.Name, StringComparer.Ordinal))
            views.Add(await ViewAsync(sync, pauses, ct));
        return views;
    }

    public async Task<SyncView?> SyncAsync(string name, CancellationToken ct) =>
        project.Current.Syncs.TryGetValue(name, out var sync) ? await ViewAsync(sync, await health.PausesAsync(ct), ct) : null;

    private async Task<SyncView> ViewAsync(SyncConfig sync, PauseSnapshot pauses, CancellationToken ct)
    {
        var history = await state.Runs.HistoryAsync(sync.Name, 2, ct);
        var live = runner.ActiveFor(sync.Name);
        var running = live?.RunId is { } liveId ? history.FirstOrDefault(r => r.RunId == liveId) : null;
        var last = history.FirstOrDefault(r => r.Status != RunStatus.Running && r.RunId != running?.RunId);
        return new SyncView(sync.Name, sync.Model, sync.Destination, sync.Mode.ToString().ToLowerInvariant(), sync.Schedule.ToString(),
            await scheduler.NextRunAsync(sync.Name, ct), last is null ? null : RunView.From(last),
            running is null ? null : RunView.From(running, live), scheduler.ScheduleProblems.GetValueOrDefault(sync.Name),
            pauses.Of(sync.Name) is { } pause ? PauseView.From(pause) : null);
    }

    public async Task<IReadOnlyList<RunView>> RunsAsync(string sync, int limit, CancellationToken ct)
    {
        var live = runner.ActiveFor(sync);
        return (await state.Runs.HistoryAsync(sync, limit, ct)).Select(r => RunView.From(r, live)).ToList();
    }

    public async Task<RunView?> RunAsync(long runId, CancellationToken ct)
    {
        var record = await state.Runs.GetRunAsync(runId, ct);
        return record is null ? null : RunView.From(record, runner.ActiveById(runId));
    }

    /// <summary>
    /// The warnings in force: those of each sync's latest finished run (the engine tells people when a run starts or
    /// clears one, against the run before), each since the first run of the unbroken streak that has it, with its numbers.
    /// </summary>
    public async Task<IReadOnlyList<WarningView>> WarningsAsync(string? only, CancellationToken ct)
    {
        var views = new List<WarningView>();
        var now = options.Time.GetUtcNow().UtcDateTime;
        foreach (var sync in project.Current.Syncs.Values.Where(s => only is null || s.Name == only).OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            var history = (await state.Runs.HistoryAsync(sync.Name, RunWarnings.HistoryDepth, ct))
                .SkipWhile(r => r.Status == RunStatus.Running).ToList();
            if (history.Count == 0)
                continue;
            var latest = history[0];
            foreach (var warning in latest.Warnings)
            {
                var first = history.TakeWhile(r => r.Warnings.Contains(warning)).Last();
                var detail = warning == RunWarnings.NotSucceeded
                    ? RunWarnings.NotSucceededAt(sync, history, now) ?? RunWarnings.Describe(warning, sync, latest, history)
                    : RunWarnings.Describe(warning, sync, latest, history);
                views.Add(new WarningView(sync.Name, warning, RunView.Utc(first.FinishedAt ?? first.StartedAt), first.RunId, latest.RunId, detail));
            }
        }
        return views;
    }

    /// <summary>
    /// A page of the run's rejected rows. History keeps the rejected rows of a sync's latest run that had any (they are
    /// sent again by the next run), so an older run's rows are gone: the page says so.
    /// </summary>
    public async Task<RejectedPage> RejectedAsync(RunView run, int page, int pageSize, string? key, CancellationToken ct)
    {
        var rows = (await state.Runs.RejectedAsync(run.Sync, RejectedLimit, ct)).Where(r => r.RunId == run.RunId).ToList();
        string? note = null;
        if (rows.Count == 0 && run.Counts.Rejected + run.Counts.NotFound > 0)
            note = "This run's rejected rows are no longer kept: history keeps those of the sync's latest run that had any.";
        if (!string.IsNullOrEmpty(key))
            rows = rows.Where(r => r.Key.Contains(key, StringComparison.OrdinalIgnoreCase)).ToList();
        var slice = rows.Skip((page - 1) * pageSize).Take(pageSize)
            .Select(r => new RejectedView(r.Key, r.Outcome, r.Code, r.Reason, RunView.Utc(r.At))).ToList();
        return new RejectedPage(run.RunId, run.Sync, page, pageSize, rows.Count, string.IsNullOrEmpty(key) ? null : key, slice, note);
    }

    /// <summary>Plans the sync as <c>sluice plan</c> does; throws <see cref="ConfigException"/> or <see cref="SyncBusyException"/>.</summary>
    public async Task<PlanView> PlanAsync(SyncConfig sync, bool fullResync, int samples, CancellationToken ct)
    {
        var current = project.Current;
        await using var resolver = new SyncResolver(current, options.Catalog, options.Services);
        var request = await resolver.ResolveAsync(sync, checkDestination: false, ct);
        var runOptions = new RunOptions(fullResync);
        await using var plan = await new RunEngine(state).PlanAsync(request, runOptions, ct);
        var t = plan.Totals;
        var runPlan = RunPlan.For(request, t, runOptions);
        var sampleRows = new List<PlanSample>();
        await foreach (var row in plan.ReadChangesAsync(true, true, samples, ct))
            sampleRows.Add(new PlanSample(row.Added ? "added" : "changed", row.Key));
        var deletes = new List<string>();
        if (sync.Mode == SyncMode.Mirror)
        {
            await foreach (var row in plan.ReadRemovedAsync(Math.Max(samples, 20), ct: ct))
                deletes.Add(row.Key);
        }
        return new PlanView(sync.Name, sync.Mode.ToString().ToLowerInvariant(), t.ModelRows, t.Added, t.Changed, t.Removed, t.Unchanged,
            t.NullKeys, t.DuplicateKeys, runPlan.ToSend, runPlan.ToDelete, t.LedgerSize, runPlan.GuardTrips, runPlan.Estimate?.ToString(),
            sampleRows, deletes);
    }
}

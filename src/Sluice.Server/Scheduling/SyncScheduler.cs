using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Quartz;
using Sluice.Core.Configuration;
using Sluice.Core.State;
using Sluice.Engine;
using Sluice.State.Postgres;

namespace Sluice.Server.Scheduling;

/// <summary>
/// Puts the project's schedules into Quartz: one durable job per sync (key: the sync's name), with one trigger for an
/// interval (simple, repeating) or a cron (Unix five fields, in the sync's schedule_timezone); `after` and manual
/// syncs have a job and no trigger. Misfires run once: an interval fires now and goes on, a cron fires once and
/// proceeds. With the in-memory store (embedded state) Quartz forgets everything when the process ends, so the
/// slot missed while no server ran is read from run history at start (<see cref="ScheduleMath"/>). The clustered
/// ADO.NET store (PostgreSQL state, several workers) keeps triggers and their misfires itself; this class then only
/// adds, replaces and removes what differs from sluice.yaml, comparing with the store under a lock all workers take.
/// </summary>
public sealed class SyncScheduler : IHostedService
{
    public const string Group = "syncs";

    private readonly ISchedulerFactory _factory;
    private readonly ProjectHost _project;
    private readonly SyncRunner _runner;
    private readonly IStateStore _state;
    private readonly ServerOptions _options;
    private readonly ILogger<SyncScheduler> _logger;
    private readonly SemaphoreSlim _applying = new(1, 1);
    private IScheduler? _scheduler;

    /// <summary>Whether Quartz's store is the clustered one on the PostgreSQL state (shared with other workers).</summary>
    private bool Clustered => _state is PostgresState;

    public SyncScheduler(ISchedulerFactory factory, ProjectHost project, SyncRunner runner, IStateStore state, ServerOptions options,
        ILogger<SyncScheduler> logger)
    {
        _factory = factory;
        _project = project;
        _runner = runner;
        _state = state;
        _options = options;
        _logger = logger;
    }

    /// <summary>Problems of schedules Quartz could not take (shown with the sync), by sync name.</summary>
    public IReadOnlyDictionary<string, string> ScheduleProblems => _problems;

    private readonly ConcurrentDictionary<string, string> _problems = new(StringComparer.Ordinal);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _scheduler = await _factory.GetScheduler(cancellationToken);
        await ApplyAsync(_project.Current, startup: true, cancellationToken);
        _runner.Finished += OnFinished;
        _project.Changed += OnChanged;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _runner.Finished -= OnFinished;
        _project.Changed -= OnChanged;
        return Task.CompletedTask;
    }

    /// <summary>The next time Quartz fires the sync's schedule, or null (manual, after, or none left).</summary>
    public async Task<DateTimeOffset?> NextRunAsync(string sync, CancellationToken ct)
    {
        if (_scheduler is null)
            return null;
        return (await ScheduleTriggersAsync(_scheduler, new JobKey(sync, Group), ct)).Select(t => t.NextFireTimeUtc).Min();
    }

    private void OnChanged(ProjectConfig project) => _ = ApplyInBackgroundAsync(project);

    private async Task ApplyInBackgroundAsync(ProjectConfig project)
    {
        try
        {
            await ApplyAsync(project, startup: false, CancellationToken.None);
        }
        catch (SchedulerException e)
        {
            _logger.LogError("Could not apply the new schedules: {Message}", e.Message);
        }
    }

    private void OnFinished(RunOutcome outcome)
    {
        if (!outcome.Succeeded || _scheduler is null)
            return;
        foreach (var next in ScheduleMath.Dependents(_project.Current, outcome.Record.Sync))
            _ = TriggerAsync(next, $"after {outcome.Record.Sync}");
    }

    private async Task TriggerAsync(string sync, string reason)
    {
        try
        {
            await _scheduler!.TriggerJob(new JobKey(sync, Group), new JobDataMap { [SyncJob.ReasonKey] = reason }, CancellationToken.None);
        }
        catch (SchedulerException e)
        {
            _logger.LogWarning("Could not start sync {Sync} ({Reason}): {Message}", sync, reason, e.Message);
        }
    }

    /// <summary>
    /// Makes Quartz's store hold exactly the project's syncs and schedules, comparing with what the store holds (with
    /// the clustered store another worker may have applied the same change already): unchanged schedules keep their
    /// triggers. Workers of one PostgreSQL state apply in turn, under the state's lock.
    /// </summary>
    internal async Task ApplyAsync(ProjectConfig project, bool startup, CancellationToken ct)
    {
        var scheduler = _scheduler ?? throw new InvalidOperationException("The scheduler is not started.");
        await _applying.WaitAsync(ct);
        try
        {
            await using var turn = _state is PostgresState shared ? await shared.LockSchedulesAsync(ct) : null;
            foreach (var gone in (await scheduler.GetJobKeys(GroupMatcher<JobKey>.GroupEquals(Group), ct)).Where(k => !project.Syncs.ContainsKey(k.Name)))
            {
                await scheduler.DeleteJob(gone, ct);
                _problems.TryRemove(gone.Name, out _);
            }
            var now = _options.Time.GetUtcNow();
            foreach (var sync in project.Syncs.Values)
            {
                if (!await IsAppliedAsync(scheduler, sync, ct))
                    await ScheduleAsync(scheduler, sync, startup, now, ct);
            }
        }
        finally
        {
            _applying.Release();
        }
    }

    private static string Describe(SyncConfig sync) => $"sync {sync.Name}: {sync.Schedule}";

    /// <summary>Whether the store holds the sync's job for its schedule and, when it is timed, its trigger.</summary>
    private async Task<bool> IsAppliedAsync(IScheduler scheduler, SyncConfig sync, CancellationToken ct)
    {
        if (await scheduler.GetJobDetail(new JobKey(sync.Name, Group), ct) is not { } job || job.Description != Describe(sync))
            return false;
        if (!ScheduleMath.IsTimed(sync.Schedule) || _problems.ContainsKey(sync.Name))
            return true;
        return await ScheduleTriggersAsync(scheduler, new JobKey(sync.Name, Group), ct) is [var trigger] && trigger.Key.Equals(TriggerKeyOf(sync));
    }

    /// <summary>The job's schedule triggers (group <see cref="Group"/>; not the one-off triggers of `after` and missed slots).</summary>
    private static async Task<List<ITrigger>> ScheduleTriggersAsync(IScheduler scheduler, JobKey job, CancellationToken ct) =>
        (await scheduler.GetTriggersOfJob(job, ct)).Where(t => t.Key.Group == Group).ToList();

    /// <summary>
    /// The key of the sync's trigger for its schedule: the sync's name and a hash of the schedule. A new schedule is a
    /// new trigger, never the old one replaced in place: with the clustered store, another worker may hold the old one
    /// acquired for its next firing, and firing it would write it back over a trigger of the same key (the old schedule
    /// then ran on, beside or instead of the new one). A deleted trigger is not fired.
    /// </summary>
    private static TriggerKey TriggerKeyOf(SyncConfig sync)
    {
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Describe(sync))))[..12];
        return new TriggerKey($"{sync.Name}#{hash}", Group);
    }

    private async Task ScheduleAsync(IScheduler scheduler, SyncConfig sync, bool startup, DateTimeOffset now, CancellationToken ct)
    {
        // RequestRecovery: when a clustered worker dies mid-run, another one runs the sync again at once (the engine
        // settles what the dead run left in doubt).
        var job = JobBuilder.Create<SyncJob>().WithIdentity(sync.Name, Group).StoreDurably().RequestRecovery()
            .WithDescription(Describe(sync)).Build();
        _problems.TryRemove(sync.Name, out _);
        if (!ScheduleMath.IsTimed(sync.Schedule))
        {
            await scheduler.DeleteJob(job.Key, ct);
            await scheduler.AddJob(job, AddJobOptions.Replacing, ct);
            return;
        }

        var last = (await _state.Runs.HistoryAsync(sync.Name, 1, ct)).FirstOrDefault() is { } run
            ? new DateTimeOffset(DateTime.SpecifyKind(run.StartedAt, DateTimeKind.Utc))
            : (DateTimeOffset?)null;
        var first = ScheduleMath.FirstFiring(sync.Schedule, last, now) ?? now;
        IScheduleBuilder builder;
        try
        {
            builder = sync.Schedule switch
            {
                IntervalSchedule interval => SimpleScheduleBuilder.Create().WithInterval(interval.Every).RepeatForever()
                    .WithMisfireInstruction(SimpleTriggerMisfireInstruction.NowWithExistingCount),
                CronSchedule cron => CronScheduleBuilder.Create(cron.Expression, CronFormat.Unix).InTimeZone(cron.TimeZone)
                    .WithMisfireInstruction(CronTriggerMisfireInstruction.FireAndProceed),
                _ => throw new InvalidOperationException($"Unexpected schedule {sync.Schedule}."),
            };
        }
        catch (FormatException e)
        {
            _problems[sync.Name] = $"The scheduler cannot read the schedule '{sync.Schedule}' ({e.Message}); the sync runs only when asked.";
            _logger.LogWarning("Sync {Sync}: {Problem}", sync.Name, _problems[sync.Name]);
            await scheduler.DeleteJob(job.Key, ct);
            await scheduler.AddJob(job, AddJobOptions.Replacing, ct);
            return;
        }

        var trigger = TriggerBuilder.Create(_options.Time).WithIdentity(TriggerKeyOf(sync)).ForJob(job.Key).WithDescription(Describe(sync))
            .StartAt(sync.Schedule is CronSchedule ? now : first)
            .WithSchedule(builder).Build();
        await scheduler.ScheduleJob(job, trigger, ScheduleJobOptions.Replacing, ct);
        foreach (var old in (await ScheduleTriggersAsync(scheduler, job.Key, ct)).Where(t => !t.Key.Equals(trigger.Key)))
            await scheduler.UnscheduleJob(old.Key, ct);
        _logger.LogInformation("Sync {Sync}: its schedule {Schedule} is applied, first firing {First:yyyy-MM-dd HH:mm:ss.fff} UTC", sync.Name, sync.Schedule,
            sync.Schedule is CronSchedule ? sync.Schedule.NextAfter(now) : trigger.StartTimeUtc);
        // A persistent store kept the trigger while no worker ran, and Quartz's misfire handling fires it once: only
        // the in-memory store needs history to find the slot it missed.
        if (startup && !Clustered && sync.Schedule is CronSchedule && ScheduleMath.MissedSlot(sync.Schedule, last, now))
        {
            _logger.LogInformation("Sync {Sync} missed its slot of {Schedule} while no server ran: it runs once now", sync.Name, sync.Schedule);
            await TriggerAsync(sync.Name, "missed slot");
        }
    }
}

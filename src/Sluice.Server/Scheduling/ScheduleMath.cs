using Sluice.Core.Configuration;

namespace Sluice.Server.Scheduling;

/// <summary>
/// The scheduling decisions that are Sluice's rather than Quartz's: where a sync's schedule starts when the server
/// starts (from its last run in history), whether a slot was missed while no server ran, and which syncs run after
/// which. Pure functions of the schedule, the history and the time, so that they are tested on a fake clock.
/// </summary>
public static class ScheduleMath
{
    /// <summary>Whether the schedule fires on its own (interval or cron).</summary>
    public static bool IsTimed(Schedule schedule) => schedule is IntervalSchedule or CronSchedule;

    /// <summary>
    /// Whether a slot came due since <paramref name="lastStart"/> (the sync's last run) and no run took it, because no
    /// server was running. A sync never run on an interval is due at once; one on a cron waits for its first slot.
    /// However many slots were missed, the answer is one run.
    /// </summary>
    public static bool MissedSlot(Schedule schedule, DateTimeOffset? lastStart, DateTimeOffset now) => schedule switch
    {
        IntervalSchedule => lastStart is not { } last || schedule.NextAfter(last) <= now,
        CronSchedule => lastStart is { } last && schedule.NextAfter(last) is { } due && due <= now,
        _ => false,
    };

    /// <summary>
    /// When the schedule's first firing in this server is: for an interval, one interval after the last run (now, when
    /// that passed); for a cron, its next slot after now. A missed slot (<see cref="MissedSlot"/>) runs now in addition
    /// for a cron; an interval restarts its rhythm from that run.
    /// </summary>
    public static DateTimeOffset? FirstFiring(Schedule schedule, DateTimeOffset? lastStart, DateTimeOffset now) => schedule switch
    {
        IntervalSchedule => MissedSlot(schedule, lastStart, now) ? now : schedule.NextAfter(lastStart!.Value),
        CronSchedule => schedule.NextAfter(now),
        _ => null,
    };

    /// <summary>The syncs scheduled <c>after</c> <paramref name="sync"/>, in name order.</summary>
    public static IReadOnlyList<string> Dependents(ProjectConfig project, string sync) =>
        project.Syncs.Values.Where(s => s.Schedule is AfterSchedule a && a.Sync == sync)
            .Select(s => s.Name).Order(StringComparer.Ordinal).ToList();
}

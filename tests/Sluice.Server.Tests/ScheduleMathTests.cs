using Cronos;
using Microsoft.Extensions.Time.Testing;
using Sluice.Core.Configuration;
using Sluice.Server.Scheduling;

namespace Sluice.Server.Tests;

public sealed class ScheduleMathTests
{
    private static readonly FakeTimeProvider Clock = new(new DateTimeOffset(2026, 3, 28, 10, 0, 0, TimeSpan.Zero));

    private static CronSchedule Cron(string expression, string zone = "UTC") =>
        new(expression, CronExpression.Parse(expression), TimeZoneInfo.FindSystemTimeZoneById(zone));

    [Fact]
    public void An_interval_never_run_is_due_at_once_and_one_run_recently_waits_for_its_interval()
    {
        var time = new FakeTimeProvider(Clock.GetUtcNow());
        var every = new IntervalSchedule(TimeSpan.FromMinutes(15));
        var now = time.GetUtcNow();

        Assert.True(ScheduleMath.MissedSlot(every, null, now));
        Assert.Equal(now, ScheduleMath.FirstFiring(every, null, now));

        var last = now - TimeSpan.FromMinutes(5);
        Assert.False(ScheduleMath.MissedSlot(every, last, now));
        Assert.Equal(last + TimeSpan.FromMinutes(15), ScheduleMath.FirstFiring(every, last, now));
    }

    [Fact]
    public void After_a_long_downtime_an_interval_runs_once_now_not_once_per_missed_slot()
    {
        var time = new FakeTimeProvider(Clock.GetUtcNow());
        var every = new IntervalSchedule(TimeSpan.FromMinutes(10));
        var last = time.GetUtcNow();
        time.Advance(TimeSpan.FromHours(5)); // 30 slots missed
        var now = time.GetUtcNow();

        Assert.True(ScheduleMath.MissedSlot(every, last, now));
        Assert.Equal(now, ScheduleMath.FirstFiring(every, last, now));
    }

    [Fact]
    public void A_cron_missed_while_down_runs_once_and_then_keeps_its_own_slots()
    {
        var time = new FakeTimeProvider(Clock.GetUtcNow());
        var daily = Cron("0 6 * * *");
        var last = time.GetUtcNow(); // 10:00, after today's 06:00
        time.Advance(TimeSpan.FromDays(3) + TimeSpan.FromHours(1)); // three 06:00 slots passed
        var now = time.GetUtcNow();

        Assert.True(ScheduleMath.MissedSlot(daily, last, now));
        // The schedule itself resumes at its next slot; the missed one is a single run now (SyncScheduler).
        Assert.Equal(new DateTimeOffset(2026, 4, 1, 6, 0, 0, TimeSpan.Zero), ScheduleMath.FirstFiring(daily, last, now));
    }

    [Fact]
    public void A_cron_never_run_waits_for_its_first_slot_and_one_run_since_its_last_slot_is_not_missed()
    {
        var time = new FakeTimeProvider(Clock.GetUtcNow());
        var daily = Cron("0 6 * * *");
        var now = time.GetUtcNow();

        Assert.False(ScheduleMath.MissedSlot(daily, null, now));
        Assert.False(ScheduleMath.MissedSlot(daily, now - TimeSpan.FromHours(3), now)); // ran at 07:00, after 06:00
        Assert.True(ScheduleMath.MissedSlot(daily, now - TimeSpan.FromHours(5), now)); // ran at 05:00, before 06:00
        Assert.Equal(new DateTimeOffset(2026, 3, 29, 6, 0, 0, TimeSpan.Zero), ScheduleMath.FirstFiring(daily, null, now));
    }

    [Fact]
    public void A_cron_follows_its_time_zone_across_a_daylight_saving_change()
    {
        // Europe/Brussels moves from UTC+1 to UTC+2 on 2026-03-29 at 02:00.
        var time = new FakeTimeProvider(Clock.GetUtcNow());
        var brussels = Cron("0 6 * * *", "Europe/Brussels");
        var now = time.GetUtcNow();

        Assert.Equal(new DateTimeOffset(2026, 3, 29, 4, 0, 0, TimeSpan.Zero), ScheduleMath.FirstFiring(brussels, null, now));
        time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(new DateTimeOffset(2026, 3, 30, 4, 0, 0, TimeSpan.Zero), ScheduleMath.FirstFiring(brussels, null, time.GetUtcNow()));
        Assert.Equal(new DateTimeOffset(2026, 3, 28, 5, 0, 0, TimeSpan.Zero),
            ScheduleMath.FirstFiring(brussels, null, new DateTimeOffset(2026, 3, 27, 12, 0, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void Manual_and_after_schedules_never_fire_on_their_own()
    {
        var now = Clock.GetUtcNow();
        foreach (var schedule in new Schedule[] { Schedule.Manual, new AfterSchedule("first") })
        {
            Assert.False(ScheduleMath.IsTimed(schedule));
            Assert.False(ScheduleMath.MissedSlot(schedule, null, now));
            Assert.Null(ScheduleMath.FirstFiring(schedule, now - TimeSpan.FromDays(9), now));
        }
    }

    [Fact]
    public void The_syncs_scheduled_after_a_sync_are_found_by_name()
    {
        var project = ProjectLoader.Load(WriteProject(), Support.ServerProject.Catalog(), new Dictionary<string, string?>
        {
            ["ITERABLE_API_KEY"] = "k",
            ["ITERABLE_BASE_URL"] = "http://127.0.0.1:9",
        });

        Assert.Equal(["b", "c"], ScheduleMath.Dependents(project, "a"));
        Assert.Equal(["d"], ScheduleMath.Dependents(project, "c"));
        Assert.Empty(ScheduleMath.Dependents(project, "d"));
    }

    private static string WriteProject()
    {
        var directory = Path.Combine(Path.GetTempPath(), "sluice-server-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "sluice.yaml"), $"""
            sources:
              warehouse: {"{"} type: duckdb, path: warehouse.duckdb {"}"}
            models:
              customers:
                source: warehouse
                kind: user
                primary_key: customer_id
                sql: select 1 as customer_id, 'a@b.c' as email, 'x' as first_name
            destinations:
              iterable: {"{"} type: iterable, api_key: "${"{"}ITERABLE_API_KEY{"}"}", base_url: "${"{"}ITERABLE_BASE_URL{"}"}" {"}"}
            syncs:
            {Sync("a", "every 1h")}{Sync("b", "after a")}{Sync("c", "after a")}{Sync("d", "after c")}
            """);
        return directory;
    }

    private static string Sync(string name, string schedule) => Support.ServerProject.Sync(name, schedule);
}

using Microsoft.Extensions.Time.Testing;
using Sluice.Core.State;
using Sluice.Server.Scheduling;
using Sluice.Server.Tests.Support;
using Sluice.State;

namespace Sluice.Server.Tests;

/// <summary>The schedules run by Quartz in a real server, against the real emulator.</summary>
public sealed class SchedulerTests
{
    [Fact]
    public async Task An_interval_due_at_start_runs_and_the_sync_scheduled_after_it_runs_when_it_succeeds()
    {
        await using var project = await ServerProject.CreateAsync(
            ServerProject.Sync("first", "every 1h") + ServerProject.Sync("second", "after first") + ServerProject.Sync("alone", "manual"));
        await project.StartAsync();

        var second = await project.WaitForHistoryAsync("second", runs => runs.Any(r => r.Status == RunStatus.Succeeded));
        var first = await project.Service<IStateStore>().Runs.HistoryAsync("first");

        var run = Assert.Single(first);
        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.True(Assert.Single(second).StartedAt >= run.FinishedAt);
        Assert.Empty(await project.Service<IStateStore>().Runs.HistoryAsync("alone"));
        var next = await project.Service<SyncScheduler>().NextRunAsync("first", default);
        Assert.NotNull(next);
        Assert.True(next > new DateTimeOffset(DateTime.SpecifyKind(run.StartedAt, DateTimeKind.Utc)), $"next run {next} is not after the run of {run.StartedAt:O}");
        Assert.Null(await project.Service<SyncScheduler>().NextRunAsync("second", default));
        // One name for every server (Quartz 4 keeps schedulers per container, so the servers of one test process do not collide).
        Assert.Equal("sluice", (await project.Service<Quartz.ISchedulerFactory>().GetScheduler()).SchedulerName);
    }

    [Fact]
    public async Task A_cron_slot_missed_while_no_server_ran_runs_once_not_once_per_slot()
    {
        await using var project = await ServerProject.CreateAsync(ServerProject.Sync("nightly", "0 3 * * *"));
        // History says the sync last ran four days ago: four 03:00 slots passed since.
        var then = new FakeTimeProvider(TimeProvider.System.GetUtcNow() - TimeSpan.FromDays(4));
        await using (var state = await EmbeddedState.OpenAsync(project.Directory, then))
        {
            await using var claim = await state.ClaimAsync("nightly");
            var id = await state.Runs.StartRunAsync("nightly", false);
            await state.Runs.FinishRunAsync(id, RunStatus.Succeeded, new RunCounts(), [], null);
        }
        await project.StartAsync();

        var runs = await project.WaitForHistoryAsync("nightly", r => r.Count == 2 && r[0].Status != RunStatus.Running);
        Assert.Equal(RunStatus.Succeeded, runs[0].Status);
        // The cron itself waits for its next 03:00.
        var next = await project.Service<SyncScheduler>().NextRunAsync("nightly", default);
        Assert.Equal(3, next!.Value.UtcDateTime.Hour);
        Assert.True(next > new DateTimeOffset(DateTime.SpecifyKind(runs[0].FinishedAt!.Value, DateTimeKind.Utc)));
        Assert.Equal(2, (await project.Service<IStateStore>().Runs.HistoryAsync("nightly")).Count);
    }

    [Fact]
    public async Task Stopping_the_server_mid_run_lets_the_batch_in_flight_commit_records_it_cancelled_and_the_next_run_sends_the_rest()
    {
        await using var project = await ServerProject.CreateAsync(ServerProject.Sync("customers", "manual"), customers: 60, batchSize: 5);
        await project.StartAsync();
        project.Emulator.Faults.Latency = TimeSpan.FromMilliseconds(400);

        var runId = await project.RunNowAsync("customers");
        // Wait until at least one batch is committed, then stop the server as Ctrl+C or SIGTERM would.
        while ((await project.GetJsonAsync($"/api/runs/{runId}"))["progress"]?["delivered"]?.GetValue<long>() is not > 0)
            await Task.Delay(20, TestContext.Current.CancellationToken);
        await project.Server!.StopAsync();

        var state = project.Service<IStateStore>();
        var stopped = Assert.Single(await state.Runs.HistoryAsync("customers"));
        Assert.Equal(RunStatus.Cancelled, stopped.Status);
        Assert.InRange(stopped.Counts.Delivered, 1, 50);
        // The batch in flight when the stop came finished and was committed: what the run counts delivered is exactly
        // what Iterable holds, and nothing is left in doubt for the next run to settle.
        Assert.Equal(stopped.Counts.Delivered, project.Emulator.UserCount);
        Assert.Equal(0, await InDoubtAsync(project, "customers"));

        // A new server on the same project finishes the job (settling what the stop left in doubt): nothing is lost.
        await project.Server.DisposeAsync();
        project.Emulator.Faults.Latency = TimeSpan.Zero;
        await project.StartAsync();
        var rest = await project.WaitForRunAsync(await project.RunNowAsync("customers"));
        Assert.Equal("succeeded", rest["status"]!.GetValue<string>());
        Assert.Equal(52, project.Emulator.UserCount); // 60 less the 8 refused emails
        // The ledger holds every delivered row: what a next run would send is only the refused rows, again.
        var plan = await project.GetJsonAsync("/api/syncs/customers/plan");
        Assert.Equal(8, plan["to_send"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_second_server_on_an_embedded_project_is_refused_and_told_to_use_the_postgres_state_for_several_workers()
    {
        await using var project = await ServerProject.CreateAsync(ServerProject.Sync("customers", "every 1h"));
        await project.StartAsync();

        // Its schedule lives in memory: a second server would run every slot again.
        var refused = await Assert.ThrowsAsync<StateException>(() => project.StartAsync());
        Assert.Contains("Another `sluice serve` is running on", refused.Message, StringComparison.Ordinal);
        Assert.Contains("PostgreSQL", refused.Message, StringComparison.Ordinal);

        // The lock goes with the server: a new one starts once it is gone.
        await project.Server!.DisposeAsync();
        await project.StartAsync();
        Assert.NotNull(await project.Service<SyncScheduler>().NextRunAsync("customers", default));
    }

    private static async Task<long> InDoubtAsync(ServerProject project, string sync)
    {
        await using var ledger = await project.Service<IStateStore>().ClaimAsync(sync);
        return await ledger.InDoubtCountAsync();
    }
}

using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using Sluice.Core.State;
using Sluice.EndToEnd.Tests.Support;
using Sluice.State.Postgres;

namespace Sluice.EndToEnd.Tests;

/// <summary>
/// The automatic pause, `after`, cron and reloads with two real workers on one PostgreSQL state: what one worker
/// decides (a pause, a resume, a new schedule) holds for both, once.
/// </summary>
public sealed partial class ClusteredServeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_sync_paused_by_one_worker_is_paused_on_both_runs_on_neither_and_resumes_once_when_its_key_is_fixed()
    {
        var (project, url) = await ProjectAsync([("broken", "every 5s"), ("follower", "after broken")], customers: 3);
        await using var _ = project;
        var env = Path.Combine(project.Directory, ".env");
        var good = await File.ReadAllTextAsync(env, Ct);
        await File.WriteAllTextAsync(env, good.Replace($"ITERABLE_API_KEY={IterableProject.ApiKey}", "ITERABLE_API_KEY=a-revoked-key", StringComparison.Ordinal), Ct);
        await using var a = Worker.Start(project.Directory, watch: true, checkSeconds: 1);
        await using var b = Worker.Start(project.Directory, watch: true, checkSeconds: 1);
        await using var state = await PostgresState.OpenAsync(url);

        // The interval is due at once; the run fails on the key and pauses the sync, and both workers show it paused.
        foreach (var worker in new[] { a, b })
        {
            var view = await WaitForSyncAsync(worker, "broken", v => v["paused"] is JsonObject);
            Assert.Equal("destination credentials", view["paused"]!["part"]!.GetValue<string>());
            Assert.Contains("API key", view["paused"]!["reason"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.DoesNotContain("a-revoked-key", view.ToJsonString(), StringComparison.Ordinal);
            Assert.Equal("broken", (await SyncViewAsync(worker, "follower"))["paused"]!["upstream"]!.GetValue<string>());
        }
        var pause = Assert.Single(await state.Pauses.ListAsync(Ct));

        // Its schedule fires on, on either worker, and each firing is skipped: no run starts while it is paused.
        const string skipped = "Sync broken is paused (destination credentials broken): this schedule run is skipped";
        while (a.Lines(skipped).Count + b.Lines(skipped).Count < 3)
            await Task.Delay(100, Ct);
        var whilePaused = await state.Runs.HistoryAsync("broken", 100, Ct);
        Assert.True(whilePaused.All(r => r.StartedAt <= pause.Since),
            $"a run started while the sync was paused (since {pause.Since:HH:mm:ss.fff}): {Describe(whilePaused, a, b)}");
        Assert.All(whilePaused, r => Assert.Equal(RunStatus.Failed, r.Status));
        Assert.Empty(await state.Runs.HistoryAsync("follower", 100, Ct));
        Assert.NotNull(Assert.Single(await state.Pauses.ListAsync(Ct)).CheckedAt);

        // The key is fixed: both workers reload .env, a check passes, and the sync is resumed once, by one of them.
        await File.WriteAllTextAsync(env, good, Ct);
        foreach (var worker in new[] { a, b })
            await WaitForSyncAsync(worker, "broken", v => v["paused"] is null);
        using (var wait = new CancellationTokenSource(TimeSpan.FromMinutes(1)))
        {
            while (!(await state.Runs.HistoryAsync("follower", 100, Ct)).Any(r => r.Status == RunStatus.Succeeded))
                await Task.Delay(100, wait.Token);
        }
        Assert.Null((await SyncViewAsync(a, "follower"))["paused"]);
        await a.StopAsync();
        await b.StopAsync();

        var resumed = a.Lines("Sync broken resumed").Concat(b.Lines("Sync broken resumed")).ToList();
        Assert.True(resumed.Count == 1, $"resumed {resumed.Count} times: {string.Join(" | ", resumed)}");
        Assert.Contains("its check passed", resumed[0], StringComparison.Ordinal);
        var missedSlot = a.Lines("of sync broken (resumed)").Concat(b.Lines("of sync broken (resumed)")).ToList();
        Assert.True(missedSlot.Count <= 1, $"the missed slot ran {missedSlot.Count} times: {string.Join(" | ", missedSlot)}");
        var runs = await state.Runs.HistoryAsync("broken", 100, Ct);
        Assert.Contains(runs, r => r.Status == RunStatus.Succeeded);
        Assert.Empty(await state.Pauses.ListAsync(Ct));
    }

    [Fact]
    public async Task Two_workers_run_after_once_per_upstream_success_a_cron_once_per_slot_and_apply_a_schedule_edit_once()
    {
        var (project, url) = await ProjectAsync([("up", "every 5s"), ("down", "after up"), ("tick", "* * * * *")], customers: 2);
        await using var _ = project;
        await using var a = Worker.Start(project.Directory);
        await using var b = Worker.Start(project.Directory);
        await using var state = await PostgresState.OpenAsync(url);

        async Task<int> SucceededAsync(string sync) => (await state.Runs.HistoryAsync(sync, 1000, Ct)).Count(r => r.Status == RunStatus.Succeeded);
        using (var wait = new CancellationTokenSource(TimeSpan.FromMinutes(1)))
        {
            while (await SucceededAsync("up") < 3 || await SucceededAsync("down") < 1)
                await Task.Delay(100, wait.Token);
        }

        // The interval changes while both run. It is applied by the worker that did not run the sync last, while the one
        // that did may hold its trigger for the next firing (Quartz acquires it ahead); then the other reloads too.
        await project.WriteProjectFileAsync(ProjectFile([("up", "every 8s"), ("down", "after up"), ("tick", "* * * * *")]));
        var last = (await state.Runs.HistoryAsync("up", 1, Ct))[0].RunId;
        var (holder, other) = a.RunIds().Contains(last) ? (a, b) : (b, a);
        foreach (var worker in new[] { other, holder })
        {
            using (var reload = await (await worker.ApiAsync()).PostAsync("api/reload", null, Ct))
                Assert.True(reload.IsSuccessStatusCode, $"reload: {(int)reload.StatusCode}");
            await WaitForSyncAsync(worker, "up", v => v["schedule"]!.GetValue<string>() == "every 8s");
        }
        var applied = DateTime.UtcNow;

        // Long enough for the cron's minute to come and for a few runs on the new interval.
        using (var wait = new CancellationTokenSource(TimeSpan.FromMinutes(2)))
        {
            while ((await state.Runs.HistoryAsync("tick", 10, Ct)).Count == 0 || DateTime.UtcNow < applied.AddSeconds(20))
                await Task.Delay(200, wait.Token);
        }

        // Then the upstream goes manual, and the runs it started are let finish, with the sync after it.
        await project.WriteProjectFileAsync(ProjectFile([("up", "manual"), ("down", "after up"), ("tick", "* * * * *")]));
        foreach (var worker in new[] { a, b })
        {
            using (var reload = await (await worker.ApiAsync()).PostAsync("api/reload", null, Ct))
                Assert.True(reload.IsSuccessStatusCode, $"reload: {(int)reload.StatusCode}");
        }
        foreach (var worker in new[] { a, b })
            await WaitForSyncAsync(worker, "up", v => v["schedule"]!.GetValue<string>() == "manual" && v["running"] is null);
        var manual = DateTime.UtcNow;
        using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            try
            {
                while ((await state.Runs.HistoryAsync("down", 1000, Ct)).Count(r => r.Status != RunStatus.Running) < await SucceededAsync("up"))
                    await Task.Delay(200, wait.Token);
            }
            catch (OperationCanceledException) when (wait.IsCancellationRequested)
            {
                // The assertions below say what is missing.
            }
        }
        await a.StopAsync();
        await b.StopAsync();

        var up = (await state.Runs.HistoryAsync("up", 1000, Ct)).OrderBy(r => r.RunId).ToList();
        var down = (await state.Runs.HistoryAsync("down", 1000, Ct)).OrderBy(r => r.RunId).ToList();
        var tick = (await state.Runs.HistoryAsync("tick", 1000, Ct)).OrderBy(r => r.RunId).ToList();
        var report = $"up: {Describe(up, a, b)}\ndown: {Describe(down, a, b)}\ntick: {Describe(tick, a, b)}";
        TestContext.Current.TestOutputHelper?.WriteLine($"{report}\nworker A:\n{a.Output}\nworker B:\n{b.Output}");

        // `after`: one run of down per success of up, each after one, never two at once.
        Assert.True(down.Count == up.Count(r => r.Status == RunStatus.Succeeded), $"down ran {down.Count} times for {up.Count(r => r.Status == RunStatus.Succeeded)} successes of up.\n{report}");
        Assert.All(down, r => Assert.Equal(RunStatus.Succeeded, r.Status));
        AssertNoOverlap("down", down, a, b);
        // The interval: each schedule applied once, by one worker, and its slots run once each, none once manual.
        AssertNoOverlap("up", up, a, b);
        var before = FirstFiring("up", "every 5s", a, b);
        var after = FirstFiring("up", "every 8s", a, b);
        AssertOnePerSlot("up", up.Where(r => r.StartedAt < after.UtcDateTime).ToList(), before, TimeSpan.FromSeconds(5), a, b);
        AssertOnePerSlot("up", up.Where(r => r.StartedAt >= after.UtcDateTime.AddSeconds(-1)).ToList(), after, TimeSpan.FromSeconds(8), a, b);
        Assert.True(up.Count(r => r.StartedAt > applied) >= 2, $"up ran {up.Count(r => r.StartedAt > applied)} times on its new interval.\n{report}");
        Assert.True(up.All(r => r.StartedAt < manual), $"up ran after it went manual.\n{report}");
        // The cron: one run per minute across the two workers.
        Assert.NotEmpty(tick);
        var minutes = tick.GroupBy(r => new DateTime(r.StartedAt.Ticks / TimeSpan.TicksPerMinute * TimeSpan.TicksPerMinute)).ToList();
        Assert.True(minutes.All(m => m.Count() == 1), $"tick ran more than once in a minute.\n{report}");

        // Quartz's store holds one job per sync and one trigger, the cron's: the edits left nothing behind.
        await using var c = new NpgsqlConnection(PostgresConnectionString(url));
        await c.OpenAsync(Ct);
        Assert.Equal(["down", "tick", "up"], await ReadAsync(c, "SELECT job_name FROM sluice.qrtz_job_details ORDER BY job_name"));
        Assert.Equal(["tick: sync tick: * * * * *"], await ReadAsync(c, "SELECT job_name || ': ' || description FROM sluice.qrtz_triggers ORDER BY trigger_name"));
    }

    private static async Task<List<string>> ReadAsync(NpgsqlConnection c, string sql)
    {
        await using var command = new NpgsqlCommand(sql, c);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var rows = new List<string>();
        while (await reader.ReadAsync(Ct))
            rows.Add(reader.GetString(0));
        return rows;
    }

    /// <summary>Runs that never overlap: each starts after the one before ended.</summary>
    private static void AssertNoOverlap(string sync, IReadOnlyList<RunRecord> runs, Worker a, Worker b)
    {
        var ordered = runs.OrderBy(r => r.StartedAt).ToList();
        for (var i = 1; i < ordered.Count; i++)
        {
            Assert.True(ordered[i].StartedAt >= ordered[i - 1].FinishedAt,
                $"{sync}: runs {ordered[i - 1].RunId} and {ordered[i].RunId} overlap: {Describe(ordered, a, b)}");
        }
    }

    /// <summary>
    /// Runs of an interval's slots, first firing <paramref name="first"/>: the n-th run starts no earlier than the n-th
    /// slot. A slot that comes while a run goes on runs when it ends (late, not twice), so runs may follow closely; a
    /// second firing of one slot would start a run ahead of its slot.
    /// </summary>
    private static void AssertOnePerSlot(string sync, IReadOnlyList<RunRecord> runs, DateTimeOffset first, TimeSpan interval, Worker a, Worker b)
    {
        var ordered = runs.OrderBy(r => r.StartedAt).ToList();
        // The run's start is recorded a moment after Quartz fired it, on the same clock; the margin is the clock's, not a wait.
        var margin = TimeSpan.FromMilliseconds(100);
        for (var i = 0; i < ordered.Count; i++)
        {
            var slot = first.UtcDateTime + interval * i;
            Assert.True(ordered[i].StartedAt >= slot - margin,
                $"{sync}: run {ordered[i].RunId} started at {ordered[i].StartedAt:HH:mm:ss.fff}, before slot {i + 1} ({slot:HH:mm:ss.fff}; first firing " +
                $"{first:HH:mm:ss.fff}, every {interval.TotalSeconds:0} s): a slot ran twice. {Describe(ordered, a, b)}");
        }
    }

    /// <summary>When the schedule's trigger first fires, from the log of the one worker that applied it (once, by one of the two).</summary>
    private static DateTimeOffset FirstFiring(string sync, string schedule, Worker a, Worker b)
    {
        var text = $"Sync {sync}: its schedule {schedule} is applied";
        var lines = a.Lines(text).Select(l => $"A: {l}").Concat(b.Lines(text).Select(l => $"B: {l}")).ToList();
        Assert.True(lines.Count == 1, $"{sync}: '{schedule}' was applied {lines.Count} times: {string.Join(" | ", lines)}");
        var at = FirstFiringText().Match(lines[0]);
        Assert.True(at.Success, lines[0]);
        return DateTimeOffset.ParseExact(at.Groups[1].Value, "yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"first firing (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) UTC")]
    private static partial System.Text.RegularExpressions.Regex FirstFiringText();

    /// <summary>Runs as a failure message tells them: id, worker (A, B, or ? when neither logged it), times and status.</summary>
    private static string Describe(IEnumerable<RunRecord> runs, Worker a, Worker b)
    {
        var byA = a.RunIds();
        var byB = b.RunIds();
        var text = new StringBuilder();
        foreach (var r in runs.OrderBy(r => r.RunId))
        {
            var who = byA.Contains(r.RunId) ? (byB.Contains(r.RunId) ? "A+B" : "A") : byB.Contains(r.RunId) ? "B" : "?";
            text.Append(CultureInfo.InvariantCulture, $"[{r.RunId} {who} {r.StartedAt:HH:mm:ss.fff}-{r.FinishedAt:HH:mm:ss.fff} {r.Status.ToString().ToLowerInvariant()}] ");
        }
        return text.ToString();
    }

    private static async Task<JsonObject> SyncViewAsync(Worker worker, string sync) =>
        (await (await worker.ApiAsync()).GetFromJsonAsync<JsonObject>($"api/syncs/{sync}", Ct))!;

    /// <summary>Polls a worker's view of the sync until <paramref name="done"/> holds (at most a minute; then says what it saw).</summary>
    private static async Task<JsonObject> WaitForSyncAsync(Worker worker, string sync, Func<JsonObject, bool> done)
    {
        using var wait = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var view = new JsonObject();
        try
        {
            while (true)
            {
                view = await SyncViewAsync(worker, sync);
                if (done(view))
                    return view;
                await Task.Delay(100, wait.Token);
            }
        }
        catch (OperationCanceledException) when (wait.IsCancellationRequested)
        {
            Assert.Fail($"worker {worker.Pid} never showed sync {sync} as expected; it shows {view.ToJsonString()}");
            throw;
        }
    }
}

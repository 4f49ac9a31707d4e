using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;
using Sluice.Core.State;
using Sluice.Emulators.Iterable;
using Sluice.EndToEnd.Tests.Support;
using Sluice.State.Postgres;

namespace Sluice.EndToEnd.Tests;

/// <summary>
/// Two real `sluice serve` processes on one real PostgreSQL state: Quartz's clustered store shares the schedules, so
/// every due slot runs once on one of them; a worker killed with SIGKILL mid-run has its sync run again by the other,
/// and the destination, read back through the emulator, holds the model exactly.
/// </summary>
public sealed partial class ClusteredServeTests(PostgresServer server) : IClassFixture<PostgresServer>
{
    private const string Token = "cluster-test-token-0123456789";

    /// <summary>How long the two workers run the 20 syncs: 75 s in CI; SLUICE_CLUSTER_SECONDS makes a longer campaign.</summary>
    private static TimeSpan Campaign =>
        TimeSpan.FromSeconds(int.TryParse(Environment.GetEnvironmentVariable("SLUICE_CLUSTER_SECONDS"), CultureInfo.InvariantCulture, out var s) ? s : 75);

    /// <param name="syncs">Sync names; each has a model of its own (<see cref="StampedModel"/>) of the same customers.</param>
    private Task<(IterableProject Project, string Url)> ProjectAsync(IReadOnlyList<string> syncs, string schedule, int customers,
        int batchSize = 1000, IterableEmulatorOptions? emulator = null) =>
        ProjectAsync(syncs.Select(n => (n, schedule)).ToList(), customers, batchSize, emulator);

    /// <param name="syncs">Sync names and their schedules.</param>
    private async Task<(IterableProject Project, string Url)> ProjectAsync(IReadOnlyList<(string Name, string Schedule)> syncs, int customers,
        int batchSize = 1000, IterableEmulatorOptions? emulator = null)
    {
        var project = await IterableProject.CreateAsync(options: emulator);
        var url = server.Url(await server.CreateDatabaseAsync("e2e_cluster"));
        await File.AppendAllTextAsync(Path.Combine(project.Directory, ".env"), $"DATABASE_URL={url}\n");
        await project.WriteProjectFileAsync(ProjectFile(syncs, batchSize));
        await project.WriteCustomersAsync(IterableProject.Customers(customers));
        return (project, url);
    }

    private static string ProjectFile(IReadOnlyList<(string Name, string Schedule)> syncs, int batchSize = 1000) => $$"""
            state: ${DATABASE_URL}
            sources:
              warehouse:
                type: duckdb
                path: warehouse.duckdb
            models:
            {{string.Concat(syncs.Select(s => StampedModel(s.Name)))}}
            destinations:
              iterable:
                type: iterable
                api_key: ${ITERABLE_API_KEY}
                base_url: ${ITERABLE_BASE_URL}
                batch_size: {{batchSize}}
            syncs:
            {{string.Concat(syncs.Select(s => Sync(s.Name, s.Schedule)))}}
            """;

    /// <summary>The customers with emails of their sync's own, stamped with the run's time, so each run sends every row once more.</summary>
    private static string StampedModel(string name) => $"""
          {name}:
            source: warehouse
            kind: user
            primary_key: customer_id
            sql: select customer_id, '{name}-' || cast(customer_id as varchar) || '@example.com' as email, first_name, strftime(now(), '%Y-%m-%dT%H:%M:%S.%f') as run_at from customers

        """;

    private static string Sync(string name, string schedule) => $$"""
          {{name}}:
            model: {{name}}
            destination: iterable
            mode: upsert
            match: { column: email, field: email }
            mappings:
              first_name: firstName
              run_at: runAt
            schedule: "{{schedule}}"

        """;

    [Fact]
    public async Task Two_workers_run_each_due_slot_of_20_syncs_once_with_no_overlap_and_each_runs_rows_delivered_once()
    {
        var interval = TimeSpan.FromSeconds(10);
        var names = Enumerable.Range(1, 20).Select(i => $"s{i:00}").ToList();
        var (project, url) = await ProjectAsync(names, "every 10s", customers: 3);
        await using var _ = project;

        await using var a = Worker.Start(project.Directory);
        await using var b = Worker.Start(project.Directory);
        await Task.Delay(Campaign, TestContext.Current.CancellationToken);
        await a.StopAsync();
        await b.StopAsync();

        await using var state = await PostgresState.OpenAsync(url);
        var all = new List<RunRecord>();
        var report = new StringBuilder();
        foreach (var name in names)
        {
            var runs = (await state.Runs.HistoryAsync(name, 1000)).OrderBy(r => r.StartedAt).ToList();
            all.AddRange(runs);
            report.Append(CultureInfo.InvariantCulture, $"{name}: {runs.Count} runs; ");
            Assert.All(runs, r => Assert.NotEqual(RunStatus.Running, r.Status));
            // Never two runs at once, and never two for one slot: the schedule was applied once, and the n-th run
            // started no earlier than the n-th slot (a slot that came during a run runs when it ends, late, not twice).
            AssertNoOverlap(name, runs, a, b);
            AssertOnePerSlot(name, runs, FirstFiring(name, "every 10s", a, b), interval, a, b);
            // The slots of the campaign, give or take the first (due at once) and the last (cut by the stop); a busy
            // machine may start a run late, which Quartz's misfire handling turns into one late run, not several.
            var slots = (int)(Campaign / interval);
            Assert.True(runs.Count <= slots + 1, $"{name}: {runs.Count} runs in {slots} slots: {Describe(runs, a, b)}");
            Assert.True(runs.Count >= slots / 2, $"{name}: only {runs.Count} runs in {slots} slots: {Describe(runs, a, b)}");
        }

        // Both workers ran syncs, each run was run by one of them, and each was logged by the one that ran it.
        var byA = a.RunIds();
        var byB = b.RunIds();
        TestContext.Current.TestOutputHelper?.WriteLine($"{Campaign.TotalSeconds:0} s, every {interval.TotalSeconds:0} s: worker A ran {byA.Count}, worker B {byB.Count}. {report}");
        Assert.True(byA.Count > 0 && byB.Count > 0, $"one worker did everything: {byA.Count} and {byB.Count} runs. {report}");
        Assert.True(!byA.Intersect(byB).Any(), $"runs logged by both workers: {string.Join(", ", byA.Intersect(byB))}. {report}");
        Assert.True(all.Select(r => r.RunId).Order().SequenceEqual(byA.Concat(byB).Order()),
            $"history and the workers' logs differ: history has {Describe(all, a, b)}; A logged {string.Join(", ", byA.Order())}; B logged {string.Join(", ", byB.Order())}");

        // Each run sent each of its 3 rows once: what the emulator received is what history says was delivered.
        Assert.All(all.Where(r => r.Status == RunStatus.Succeeded), r => Assert.Equal(3, r.Counts.Delivered));
        Assert.Equal(all.Sum(r => r.Counts.Delivered), project.UsersReceived);
        Assert.Equal(60, project.Emulator.UserCount);
    }

    [Fact]
    public async Task A_worker_killed_mid_run_has_its_sync_run_again_by_the_other_and_the_destination_holds_the_model_exactly()
    {
        const int customers = 4000;
        var (project, url) = await ProjectAsync(["big"], "every 1h", customers, batchSize: 50,
            emulator: new IterableEmulatorOptions { Faults = { Latency = TimeSpan.FromMilliseconds(150) } });
        await using var _ = project;
        await using var a = Worker.Start(project.Directory);
        await using var b = Worker.Start(project.Directory);

        // The sync never ran, so its interval is due at once; whichever worker took it holds its claim.
        using (var wait = new CancellationTokenSource(TimeSpan.FromMinutes(2)))
        {
            while (project.UsersReceived < 500)
                await Task.Delay(50, wait.Token);
        }
        var holder = await HolderPidAsync(url, "big");
        var (victim, survivor) = holder == a.Pid ? (a, b) : holder == b.Pid ? (b, a) : throw new InvalidOperationException($"the claim is held by pid {holder}, neither worker");
        victim.Kill();

        await using var state = await PostgresState.OpenAsync(url);
        using (var wait = new CancellationTokenSource(TimeSpan.FromMinutes(3)))
        {
            while (!(await state.Runs.HistoryAsync("big")).Any(r => r.Status == RunStatus.Succeeded))
                await Task.Delay(200, wait.Token);
        }
        project.Emulator.Faults.Latency = TimeSpan.Zero;
        await survivor.StopAsync();

        var runs = await state.Runs.HistoryAsync("big");
        Assert.Equal(2, runs.Count);
        Assert.Equal(RunStatus.Interrupted, runs[1].Status);
        Assert.Equal(RunStatus.Succeeded, runs[0].Status);
        Assert.Contains(runs[0].RunId, survivor.RunIds());

        // Read back through Iterable's own API: every row of the model, once, with the values of the run that finished it.
        Assert.Equal(customers, project.Emulator.UserCount);
        foreach (var id in new[] { 1, 2, customers / 2, customers - 1, customers })
        {
            var user = await project.GetUserAsync($"big-{id}@example.com");
            Assert.NotNull(user);
            Assert.Equal($"First{id}", user["dataFields"]!["firstName"]!.GetValue<string>());
        }
        for (var id = 1; id <= customers; id++)
            Assert.True(project.Emulator.TryGetUser($"big-{id}@example.com", out var _), $"big-{id}@example.com is missing");
        // Nothing is left in doubt and the ledger knows every row.
        await using var ledger = await state.ClaimAsync("big");
        Assert.Equal(0, await ledger.InDoubtCountAsync());
        Assert.Equal(customers, await ledger.SizeAsync());
    }

    private static async Task<int?> HolderPidAsync(string url, string sync)
    {
        await using var connection = new NpgsqlConnection(PostgresConnectionString(url));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT pid FROM sluice.claims WHERE sync = @s", connection);
        command.Parameters.AddWithValue("s", sync);
        return await command.ExecuteScalarAsync() is int pid ? pid : null;
    }

    private static string PostgresConnectionString(string url)
    {
        var uri = new Uri(url);
        var user = uri.UserInfo.Split(':');
        return new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.Port,
            Username = user[0],
            Password = Uri.UnescapeDataString(user[1]),
            Database = uri.AbsolutePath.TrimStart('/'),
        }.ConnectionString;
    }

    [GeneratedRegex(@"Run (\d+) of sync ")]
    private static partial Regex RunLine();

    [GeneratedRegex(@"web UI: (http://\S+)")]
    private static partial Regex WebUiLine();

    /// <summary>One `sluice serve` process, with what it printed collected as it goes (so its pipes never fill).</summary>
    private sealed class Worker : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly ConcurrentQueue<string> _lines = new();

        private Worker(Process process)
        {
            _process = process;
            _process.OutputDataReceived += (_, e) => Add(e.Data);
            _process.ErrorDataReceived += (_, e) => Add(e.Data);
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        public int Pid => _process.Id;

        public string Output => string.Join('\n', _lines);

        private void Add(string? line)
        {
            if (line is not null)
                _lines.Enqueue(line);
        }

        /// <param name="watch">Whether it reloads sluice.yaml and .env when they change (else POST /api/reload does).</param>
        /// <param name="checkSeconds">How often it checks its paused syncs.</param>
        public static Worker Start(string directory, bool watch = false, int checkSeconds = 60)
        {
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            string[] args = [Path.Combine(AppContext.BaseDirectory, "sluice.dll"), "serve", "--urls", "http://127.0.0.1:0", "--project", directory,
                "--check-interval", checkSeconds.ToString(CultureInfo.InvariantCulture), .. watch ? Array.Empty<string>() : ["--no-watch"]];
            foreach (var arg in args)
                info.ArgumentList.Add(arg);
            info.Environment["NO_COLOR"] = "1";
            info.Environment["SLUICE_API_TOKENS"] = Token;
            return new Worker(Process.Start(info)!);
        }

        /// <summary>Lines of what it printed that contain <paramref name="text"/>.</summary>
        public IReadOnlyList<string> Lines(string text) => _lines.Where(l => l.Contains(text, StringComparison.Ordinal)).ToList();

        /// <summary>A client of its API, once it says where it listens.</summary>
        public async Task<HttpClient> ApiAsync()
        {
            if (_api is not null)
                return _api;
            using var wait = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            while (true)
            {
                if (_lines.Select(l => WebUiLine().Match(l)).FirstOrDefault(m => m.Success) is { } m)
                {
                    _api = new HttpClient { BaseAddress = new Uri(m.Groups[1].Value) };
                    _api.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);
                    return _api;
                }
                Assert.False(_process.HasExited, $"the worker stopped before it listened:\n{Output}");
                await Task.Delay(50, wait.Token);
            }
        }

        private HttpClient? _api;

        /// <summary>The runs this worker logged as finished.</summary>
        public HashSet<long> RunIds() =>
            _lines.Select(l => RunLine().Match(l)).Where(m => m.Success).Select(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToHashSet();

        public void Kill() => _process.Kill(entireProcessTree: true);

        /// <summary>SIGTERM, as an orchestrator stops it, and waits for a clean exit.</summary>
        public async Task StopAsync()
        {
            if (_process.HasExited)
                return;
            using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
                await term.WaitForExitAsync();
            using var wait = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await _process.WaitForExitAsync(wait.Token);
            Assert.True(_process.ExitCode == 0, $"exit {_process.ExitCode}:\n{Output}");
        }

        public async ValueTask DisposeAsync()
        {
            _api?.Dispose();
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
            _process.Dispose();
        }
    }
}

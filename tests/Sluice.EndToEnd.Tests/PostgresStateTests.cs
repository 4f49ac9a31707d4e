using Sluice.Emulators.Iterable;
using Sluice.EndToEnd.Tests.Support;

namespace Sluice.EndToEnd.Tests;

/// <summary>
/// The project's state in PostgreSQL (<c>state: ${DATABASE_URL}</c>) with the real sluice binary: every command works
/// on it, two processes share it (one runs a sync, the other is told who holds it), a killed run shows as interrupted,
/// and a bad connection is explained without its password.
/// </summary>
public sealed class PostgresStateTests(PostgresServer server) : IClassFixture<PostgresServer>
{
    private const string Sync = "customers-to-iterable";

    private async Task<IterableProject> ProjectAsync(int customers, TimeSpan latency = default, string? url = null)
    {
        var project = await IterableProject.CreateAsync(options: new IterableEmulatorOptions { Faults = { Latency = latency } });
        url ??= server.Url(await server.CreateDatabaseAsync("e2e_state"));
        await File.AppendAllTextAsync(Path.Combine(project.Directory, ".env"), $"DATABASE_URL={url}\n");
        await project.WriteProjectFileAsync("state: ${DATABASE_URL}\n" + IterableProject.ProjectFile("upsert"));
        await project.WriteCustomersAsync(IterableProject.Customers(customers));
        return project;
    }

    private void NoSecret(SluiceResult result) => Assert.DoesNotContain(server.Password, result.Stdout + result.Stderr, StringComparison.Ordinal);

    [Fact]
    public async Task Run_plan_history_and_rejected_work_on_the_postgres_state_and_nothing_is_written_to_the_project_folder()
    {
        await using var project = await ProjectAsync(50);

        var first = await project.SluiceAsync("run", Sync, "--json");
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal(50, project.Emulator.UserCount);

        var customers = IterableProject.Customers(50);
        customers[0] = customers[0] with { FirstName = "Changed" };
        await project.WriteCustomersAsync(customers);
        var plan = await project.SluiceAsync("plan", Sync, "--json");
        Assert.True(plan.ExitCode == 0, plan.ToString());
        Assert.Equal(1, plan.Json["counts"]!["toSend"]!.GetValue<long>());

        var second = await project.SluiceAsync("run", "--all", "--json");
        Assert.True(second.ExitCode == 0, second.ToString());
        var history = await project.SluiceAsync("history", "--json");
        Assert.True(history.ExitCode == 0, history.ToString());
        var runs = history.Json["runs"]!.AsArray();
        Assert.Equal(2, runs.Count);
        Assert.Equal(1, runs[0]!["counts"]!["delivered"]!.GetValue<long>());
        Assert.True(runs[0]!["runId"]!.GetValue<long>() > runs[1]!["runId"]!.GetValue<long>());
        var rejected = await project.SluiceAsync("rejected", Sync);
        Assert.True(rejected.ExitCode == 0, rejected.ToString());

        Assert.False(File.Exists(Path.Combine(project.Directory, ".sluice", "state.duckdb")), "the embedded state was written next to the PostgreSQL one");
        foreach (var result in new[] { first, plan, second, history, rejected })
            NoSecret(result);
    }

    [Fact]
    public async Task Two_runs_started_together_on_one_sync_one_runs_and_the_other_names_the_holder_and_exits_1()
    {
        await using var project = await ProjectAsync(3_000, latency: TimeSpan.FromMilliseconds(100));

        var a = project.SluiceAsync("run", Sync);
        var b = project.SluiceAsync("run", Sync);
        var results = await Task.WhenAll(a, b);

        var winner = Assert.Single(results, r => r.ExitCode == 0);
        var loser = Assert.Single(results, r => r.ExitCode == 1);
        Assert.Contains($"Sync '{Sync}' is in use by ", loser.Stderr, StringComparison.Ordinal);
        Assert.Matches(@"on host \S+ \(pid \d+\)", loser.Stderr);
        Assert.DoesNotContain("   at ", loser.Stderr, StringComparison.Ordinal);
        NoSecret(loser);
        NoSecret(winner);
        Assert.Equal(3_000, project.Emulator.UserCount);
        var history = await project.SluiceAsync("history", Sync, "--json");
        Assert.Equal("succeeded", Assert.Single(history.Json["runs"]!.AsArray())!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_killed_run_shows_as_interrupted_and_the_next_run_claims_the_sync_and_finishes_it()
    {
        await using var project = await ProjectAsync(4_000, latency: TimeSpan.FromMilliseconds(100));
        using (var run = SluiceCommand.Start(project.Directory, "run", Sync))
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            while (project.UsersReceived < 500 && !run.HasExited)
                await Task.Delay(20, timeout.Token);
            Assert.False(run.HasExited, "the run finished before it could be killed");
            run.Kill(entireProcessTree: true);
            await run.WaitForExitAsync(timeout.Token);
        }

        var history = await project.SluiceAsync("history", Sync, "--json");
        Assert.True(history.ExitCode == 0, history.ToString());
        Assert.Equal("interrupted", history.Json["runs"]![0]!["status"]!.GetValue<string>());

        project.Emulator.Faults.Latency = TimeSpan.Zero;
        var next = await project.SluiceAsync("run", Sync);
        Assert.True(next.ExitCode == 0, next.ToString());
        Assert.Equal(4_000, project.Emulator.UserCount);
    }

    [Fact]
    public async Task A_refused_login_or_an_unreachable_server_is_explained_at_the_state_line_without_the_password()
    {
        var database = await server.CreateDatabaseAsync("e2e_state");
        var wrong = server.Url(database).Replace(Uri.EscapeDataString(server.Password), "not-the-password-123", StringComparison.Ordinal);
        await using (var project = await ProjectAsync(5, url: wrong))
        {
            var run = await project.SluiceAsync("run", Sync);
            Assert.Equal(1, run.ExitCode);
            Assert.Contains("sluice.yaml:1:8: state: PostgreSQL at 127.0.0.1:", run.Stderr, StringComparison.Ordinal);
            Assert.Contains("refused the login", run.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("not-the-password-123", run.Stderr + run.Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", run.Stderr, StringComparison.Ordinal);
        }
        await using (var project = await ProjectAsync(5, url: $"postgres://sluice:{server.Password}@127.0.0.1:1/{database}"))
        {
            var history = await project.SluiceAsync("history");
            Assert.Equal(1, history.ExitCode);
            Assert.Contains("cannot reach PostgreSQL at 127.0.0.1:1/", history.Stderr, StringComparison.Ordinal);
            NoSecret(history);
        }
    }
    [Fact]
    public async Task State_migrate_copies_the_embedded_history_and_ledger_so_the_next_plan_on_postgres_sends_nothing()
    {
        await using var project = await IterableProject.CreateAsync();
        await project.WriteCustomersAsync(IterableProject.Customers(40));
        var embedded = await project.SluiceAsync("run", Sync);
        Assert.True(embedded.ExitCode == 0, embedded.ToString());
        var url = server.Url(await server.CreateDatabaseAsync("e2e_migrate"));

        var migrate = await project.SluiceAsync("state", "migrate", "--to", url);
        Assert.True(migrate.ExitCode == 0, migrate.ToString());
        Assert.Contains("history: 1 run(s), 0 rejected row(s)", migrate.Stdout, StringComparison.Ordinal);
        Assert.Contains($"{Sync}: 40 ledger record(s), 0 write(s) in doubt, 0 created id(s)", migrate.Stdout, StringComparison.Ordinal);
        NoSecret(migrate);

        var again = await project.SluiceAsync("state", "migrate", "--to", url);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains($"already holds the ledger of '{Sync}'. Nothing was copied. Run with --force", again.Stderr, StringComparison.Ordinal);
        NoSecret(again);
        var forced = await project.SluiceAsync("state", "migrate", "--to", url, "--force");
        Assert.True(forced.ExitCode == 0, forced.ToString());

        await File.AppendAllTextAsync(Path.Combine(project.Directory, ".env"), $"DATABASE_URL={url}\n");
        await project.WriteProjectFileAsync("state: ${DATABASE_URL}\n" + IterableProject.ProjectFile("upsert"));
        var plan = await project.SluiceAsync("plan", Sync, "--json");
        Assert.True(plan.ExitCode == 0, plan.ToString());
        Assert.Equal(0, plan.Json["counts"]!["toSend"]!.GetValue<long>());
        var history = await project.SluiceAsync("history", Sync, "--json");
        Assert.Equal("succeeded", Assert.Single(history.Json["runs"]!.AsArray())!["status"]!.GetValue<string>());
    }
}

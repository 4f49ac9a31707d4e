using Sluice.EndToEnd.Tests.Support;

namespace Sluice.EndToEnd.Tests;

/// <summary>`sluice run --all` with one destination's key wrong: every sync runs or is reported, in one table.</summary>
public sealed class CliRunAllTests
{
    private static string Project(string badSync) => $$"""
        sources:
          warehouse: { type: duckdb, path: warehouse.duckdb }
        models:
          customers:
            source: warehouse
            kind: user
            primary_key: customer_id
            sql: select customer_id, email, first_name from customers
        destinations:
          good: { type: iterable, api_key: "${ITERABLE_API_KEY}", base_url: "${ITERABLE_BASE_URL}" }
          bad: { type: iterable, api_key: "${WRONG_API_KEY}", base_url: "${ITERABLE_BASE_URL}" }
        syncs:
          a-first: { model: customers, destination: good, mode: upsert, match: { column: email, field: email }, mappings: { first_name: firstName } }
          {{badSync}}: { model: customers, destination: bad, mode: upsert, match: { column: email, field: email }, mappings: { first_name: firstName } }
          c-last: { model: customers, destination: good, mode: upsert, match: { column: email, field: email }, mappings: { first_name: firstName } }
        """;

    [Fact]
    public async Task Every_sync_runs_or_is_reported_in_one_summary_and_the_exit_code_is_1()
    {
        await using var project = await IterableProject.CreateAsync();
        await project.WriteProjectFileAsync(Project("b-wrong-key"));
        await File.AppendAllTextAsync(Path.Combine(project.Directory, ".env"), "WRONG_API_KEY=not-the-key\n");
        await project.WriteCustomersAsync(IterableProject.Customers(30));

        var run = await project.SluiceAsync("run", "--all");

        Assert.True(run.ExitCode == 1, run.ToString());
        var lines = run.Stdout.Split('\n');
        Assert.Single(lines, l => l.StartsWith("sync ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("a-first ", StringComparison.Ordinal) && l.Contains("succeeded", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("b-wrong-key ", StringComparison.Ordinal) && l.Contains("failed", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("c-last ", StringComparison.Ordinal) && l.Contains("succeeded", StringComparison.Ordinal));
        Assert.Contains("b-wrong-key failed (bad credentials):", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("1 of 3 syncs did not succeed: b-wrong-key.", run.Stdout, StringComparison.Ordinal);
        Assert.Equal(30, project.Emulator.UserCount);

        var json = await project.SluiceAsync("run", "--all", "--json");
        Assert.Equal(1, json.ExitCode);
        Assert.Equal(3, json.Json["runs"]!.AsArray().Count);
    }

    [Fact]
    public async Task A_sync_another_process_holds_is_reported_and_the_others_still_run()
    {
        await using var project = await IterableProject.CreateAsync();
        await project.WriteProjectFileAsync(Project("b-held"));
        await File.AppendAllTextAsync(Path.Combine(project.Directory, ".env"), "WRONG_API_KEY=not-the-key\n");
        await project.WriteCustomersAsync(IterableProject.Customers(30));
        Assert.Equal(1, (await project.SluiceAsync("run", "--all")).ExitCode);
        // This test process holds b-held's ledger open, as another `sluice` running it would.
        await using (var holder = new DuckDB.NET.Data.DuckDBConnection($"Data Source={Path.Combine(project.Directory, ".sluice", "syncs", "b-held.duckdb")}"))
        {
            await holder.OpenAsync();
            await project.WriteCustomersAsync(IterableProject.Customers(35));

            var run = await project.SluiceAsync("run", "--all");

            Assert.True(run.ExitCode == 1, run.ToString());
            var lines = run.Stdout.Split('\n');
            Assert.Contains(lines, l => l.StartsWith("b-held ", StringComparison.Ordinal) && (l.Contains("not run", StringComparison.Ordinal) || l.Contains("failed", StringComparison.Ordinal)));
            Assert.True(run.Stderr.Contains("error: b-held did not run:", StringComparison.Ordinal) ||
                lines.Any(l => l.StartsWith("b-held failed", StringComparison.Ordinal)), run.ToString());
            Assert.Contains(lines, l => l.StartsWith("c-last ", StringComparison.Ordinal) && l.Contains("succeeded", StringComparison.Ordinal));
            Assert.Equal(35, project.Emulator.UserCount);
        }
    }
}

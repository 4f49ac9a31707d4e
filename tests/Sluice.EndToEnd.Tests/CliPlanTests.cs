using DuckDB.NET.Data;
using Sluice.EndToEnd.Tests.Support;

namespace Sluice.EndToEnd.Tests;

/// <summary>What `plan`, `run` and `rejected` print: samples of each kind, ISO dates, keys in numeric order, 80 columns.</summary>
public sealed class CliPlanTests
{
    private const string Sync = "customers-to-iterable-with-a-longer-name";

    /// <summary>The Iterable project with a date column mapped, and a sync name long enough to crowd 80 columns.</summary>
    private static string ProjectFile => $$"""
        sources:
          warehouse: { type: duckdb, path: warehouse.duckdb }
        models:
          customers:
            source: warehouse
            kind: user
            primary_key: customer_id
            sql: select customer_id, email, first_name, plan, seats, DATE '2022-01-04' + CAST(customer_id AS INTEGER) AS signup from customers
        destinations:
          iterable: { type: iterable, api_key: "${ITERABLE_API_KEY}", base_url: "${ITERABLE_BASE_URL}" }
        syncs:
          {{Sync}}:
            model: customers
            destination: iterable
            mode: upsert
            match: { column: email, field: email }
            mappings: { first_name: firstName, plan: plan, seats: seats, signup: signupDay }
        """;

    private static async Task<IterableProject> CreateAsync(int customers)
    {
        var project = await IterableProject.CreateAsync();
        await project.WriteProjectFileAsync(ProjectFile);
        await project.WriteCustomersAsync(IterableProject.Customers(customers));
        return project;
    }

    [Fact]
    public async Task Plan_samples_show_up_to_n_of_each_kind()
    {
        await using var project = await CreateAsync(50);
        Assert.Equal(0, (await project.SluiceAsync("run", Sync)).ExitCode);
        var customers = IterableProject.Customers(55);
        for (var i = 0; i < 41; i++)
            customers[i] = customers[i] with { Plan = "enterprise" };
        await project.WriteCustomersAsync(customers);

        var plan = await project.SluiceAsync("plan", Sync, "--samples", "2", "--json");

        Assert.True(plan.ExitCode == 0, plan.ToString());
        var kinds = plan.Json["samples"]!.AsArray().Select(s => s!["kind"]!.GetValue<string>()).ToList();
        Assert.Equal(["added", "added", "changed", "changed"], kinds);
        var text = await project.SluiceAsync("plan", Sync, "--samples", "2");
        Assert.Contains("sample rows (up to 2 of each kind)", text.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dates_are_iso_8601_and_numeric_keys_sort_as_numbers()
    {
        await using var project = await CreateAsync(12);
        var plan = await project.SluiceAsync("plan", Sync, "--samples", "12");
        Assert.True(plan.ExitCode == 0, plan.ToString());
        Assert.Contains("2022-01-05", plan.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("01/05/2022", plan.Stdout, StringComparison.Ordinal);
        var keys = plan.Stdout.Split('\n').SkipWhile(l => !l.StartsWith("sample rows", StringComparison.Ordinal))
            .Where(l => l.StartsWith("added ", StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(Enumerable.Range(1, 12).Select(i => (long)i), keys);

        // Every email invalid: rejected lists keys 1, 2, ... 10, 11, 12 (not 1, 10, 11, 12, 2).
        await project.WriteCustomersAsync(IterableProject.Customers(12).Select(c => c with { Email = $"bad{c.Id}" }));
        Assert.Equal(0, (await project.SluiceAsync("run", Sync)).ExitCode);
        var rejected = await project.SluiceAsync("rejected", Sync);
        var listed = rejected.Stdout.Split('\n').Skip(1).TakeWhile(l => l.Length > 0 && char.IsDigit(l[0]))
            .Select(l => long.Parse(l.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(Enumerable.Range(1, 12).Select(i => (long)i), listed);
        Assert.Matches(@"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", rejected.Stdout);
    }

    [Fact]
    public async Task At_80_columns_the_run_and_plan_tables_split_no_name_and_no_number()
    {
        await using var project = await CreateAsync(1_500);
        var plan = await CliRunner.RunAsync(project.Directory, 80, "plan", Sync, "--samples", "3");
        Assert.True(plan.ExitCode == 0, plan.ToString());
        var lines = plan.Stdout.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var counts = lines.SkipWhile(l => !l.StartsWith("count", StringComparison.Ordinal)).TakeWhile(l => l.Length > 0 && !l.StartsWith("sample", StringComparison.Ordinal)).ToList();
        Assert.Contains(counts, l => l.StartsWith("model rows", StringComparison.Ordinal) && l.EndsWith("1,500", StringComparison.Ordinal));
        Assert.Contains(counts, l => l.StartsWith("to send", StringComparison.Ordinal) && l.EndsWith("1,500", StringComparison.Ordinal));
        var samples = lines.SkipWhile(l => !l.StartsWith("sample rows", StringComparison.Ordinal)).Skip(1)
            .TakeWhile(l => l.StartsWith("kind", StringComparison.Ordinal) || l.StartsWith("added", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, samples.Count);
        Assert.All(counts.Concat(samples), l => Assert.True(l.Length <= 80, $"{l.Length} columns: {l}"));
        Assert.Contains(samples, l => l.Contains(" c1@example.com ", StringComparison.Ordinal) || l.EndsWith(" c1@example.com", StringComparison.Ordinal));

        var run = await CliRunner.RunAsync(project.Directory, 80, "run", Sync);
        Assert.True(run.ExitCode == 0, run.ToString());
        var table = run.Stdout.Split('\n').Select(l => l.TrimEnd('\r')).TakeWhile(l => !l.StartsWith($"{Sync}:", StringComparison.Ordinal)).ToList();
        Assert.StartsWith("sync ", table[0], StringComparison.Ordinal);
        Assert.StartsWith($"{Sync} ", table[1], StringComparison.Ordinal);
        Assert.Contains(" 1,500", table[1], StringComparison.Ordinal);
        Assert.All(table.Where(l => !l.StartsWith('(')), l => Assert.True(l.Length <= 80, $"{l.Length} columns: {l}"));
    }

    [Fact]
    public async Task A_warehouse_another_process_writes_is_one_message_naming_the_file_and_the_lock()
    {
        await using var project = await CreateAsync(5);
        var warehouse = Path.Combine(project.Directory, "warehouse.duckdb");
        // This test process holds the file open for writing, as a loading job would.
        await using var writer = new DuckDBConnection($"Data Source={warehouse}");
        await writer.OpenAsync();

        foreach (var args in new[] { new[] { "plan", Sync }, ["run", Sync], ["validate", "--offline"] })
        {
            var result = await project.SluiceAsync(args);
            var all = result.Stdout + result.Stderr;
            Assert.True(result.ExitCode != 0, result.ToString());
            Assert.Equal(1, CountOf(all, "is locked by another process"));
            Assert.Contains(warehouse, all, StringComparison.Ordinal);
            Assert.DoesNotContain("Check the model's SQL", all, StringComparison.Ordinal);
        }
    }

    private static int CountOf(string text, string part) => (text.Length - text.Replace(part, "", StringComparison.Ordinal).Length) / part.Length;
}

using System.Text.RegularExpressions;
using Sluice.EndToEnd.Tests.Support;
using Sluice.Notifications.Tests.Support;

namespace Sluice.EndToEnd.Tests;

/// <summary>Every run is recorded, whatever stops it, and its counts read the same in every output.</summary>
public sealed partial class RunRecordTests
{
    [Fact]
    public async Task A_run_refused_at_the_credential_check_is_in_history_and_fires_its_on_failure_webhook()
    {
        await using var project = await IterableProject.CreateAsync();
        await project.WriteCustomersAsync(IterableProject.Customers(5));
        await using var receiver = WebhookReceiver.Start();
        await project.WriteProjectFileAsync(IterableProject.ProjectFile("upsert") + $$"""

                warnings:
                  on_failure: true
                  notify: [team]
            notifications:
              team:
                webhook: {{receiver.Url}}
            """);
        var env = Path.Combine(project.Directory, ".env");
        await File.WriteAllTextAsync(env, (await File.ReadAllTextAsync(env)).Replace(IterableProject.ApiKey, "wrong-key", StringComparison.Ordinal));

        var run = await project.SluiceAsync("run", "customers-to-iterable");
        var history = await project.SluiceAsync("history", "customers-to-iterable", "--json");

        Assert.Equal(1, run.ExitCode);
        var record = history.Json["runs"]![0]!;
        Assert.Equal("failed", record["status"]!.GetValue<string>());
        Assert.Contains("key", record["error"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
        var posted = Assert.Single(receiver.Bodies);
        Assert.Contains("run-failed", posted, StringComparison.Ordinal);
        Assert.Contains("customers-to-iterable", posted, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rejected_rows_warning_states_its_numbers()
    {
        await using var project = await IterableProject.CreateAsync();
        var customers = IterableProject.Customers(10);
        customers[3] = customers[3] with { Email = "not-an-email" };
        await project.WriteCustomersAsync(customers);
        await using var receiver = WebhookReceiver.Start();
        await project.WriteProjectFileAsync(IterableProject.ProjectFile("upsert") + $$"""

                warnings:
                  rejected_rows_percent: 5
                  notify: [team]
            notifications:
              team:
                webhook: {{receiver.Url}}
            """);

        var run = await project.SluiceAsync("run", "customers-to-iterable");

        Assert.Equal(0, run.ExitCode);
        var posted = Assert.Single(receiver.Bodies);
        Assert.Contains("rejected-rows", posted, StringComparison.Ordinal);
        Assert.Contains("1 of the 10 rows it planned were rejected or not found (10%", posted, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_run_stopped_by_its_configuration_is_in_history_and_still_lists_every_problem()
    {
        await using var project = await IterableProject.CreateAsync();
        await project.WriteCustomersAsync(IterableProject.Customers(5));
        await project.WriteProjectFileAsync(IterableProject.ProjectFile("upsert").Replace("first_name: firstName", "frist_name: firstName", StringComparison.Ordinal));

        var run = await project.SluiceAsync("run", "customers-to-iterable");
        var history = await project.SluiceAsync("history", "--json");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("frist_name", run.Stderr, StringComparison.Ordinal);
        var record = history.Json["runs"]![0]!;
        Assert.Equal("failed", record["status"]!.GetValue<string>());
        Assert.Contains("frist_name", record["error"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_same_runs_counts_read_the_same_in_run_history_json_and_rejected()
    {
        await using var project = await IterableProject.CreateAsync();
        var customers = IterableProject.Customers(40);
        customers[3] = customers[3] with { Email = "not-an-email" };
        customers.Add(customers[10] with { Note = "a second row for key 11" });
        await project.WriteCustomersAsync(customers);

        var run = await project.SluiceAsync("run", "customers-to-iterable");
        var history = await project.SluiceAsync("history", "customers-to-iterable", "--json");
        var historyTable = await project.SluiceAsync("history", "customers-to-iterable");
        var rejected = await project.SluiceAsync("rejected", "customers-to-iterable", "--json");
        var rejectedTable = await project.SluiceAsync("rejected", "customers-to-iterable");

        var counts = history.Json["runs"]![0]!["counts"]!;
        var expected = counts["rejected"]!.GetValue<long>();
        // The bad email is refused by Iterable; key 11's two rows are refused by Sluice.
        Assert.Equal(3, expected);
        Assert.Equal(expected, rejected.Json["rejected"]!.GetValue<long>());
        Assert.Equal(counts["sent"]!.GetValue<long>(), counts["delivered"]!.GetValue<long>() + 1);
        // The run's summary table: sync, status, planned, sent, rejected, not found, time.
        var runRow = TableRow(run.Stdout, cells => cells[1] == "succeeded");
        Assert.Equal(counts["planned"]!.GetValue<long>().ToString("N0"), runRow[2]);
        Assert.Equal(counts["sent"]!.GetValue<long>().ToString("N0"), runRow[3]);
        Assert.Equal(expected.ToString("N0"), runRow[4]);
        // history's table: run, sync, started, status, planned, delivered, deleted, rejected, not found, ...
        Assert.Equal(expected.ToString("N0"), TableRow(historyTable.Stdout, cells => cells[0] == history.Json["runs"]![0]!["runId"]!.ToString())[7]);
        Assert.Contains($"{expected:N0} rejected", rejectedTable.Stdout, StringComparison.Ordinal);
    }

    /// <summary>The cells of the first table row that <paramref name="matches"/>: bordered, or plain text aligned with spaces (no terminal).</summary>
    private static string[] TableRow(string table, Func<string[], bool> matches)
    {
        var row = table.Split('\n')
            .Select(l => CellSeparator().IsMatch(l)
                ? l.Split(['│', '|'], StringSplitOptions.TrimEntries).Where((_, i) => i > 0).SkipLast(1).ToArray()
                : PlainSeparator().Split(l.Trim()))
            .FirstOrDefault(cells => cells.Length > 1 && matches(cells));
        Assert.True(row is not null, $"no such table row in:\n{table}");
        return row;
    }

    [GeneratedRegex("[│|]")]
    private static partial Regex CellSeparator();

    [GeneratedRegex(" {2,}")]
    private static partial Regex PlainSeparator();
}

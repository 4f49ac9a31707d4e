using System.Text.Json.Nodes;
using Sluice.Emulators.Iterable;
using Sluice.EndToEnd.Tests.Support;

namespace Sluice.EndToEnd.Tests;

/// <summary>The `sluice` binary against the Iterable emulator, as a user runs it.</summary>
public sealed class IterableSyncTests
{
    private static long Count(SluiceResult run, string name) => run.Json["runs"]![0]!["counts"]![name]!.GetValue<long>();

    [Fact]
    public async Task The_first_run_delivers_every_row_and_iterable_holds_their_values()
    {
        await using var project = await IterableProject.CreateAsync();
        await project.WriteCustomersAsync(IterableProject.Customers(300));

        var run = await project.SluiceAsync("run", "customers-to-iterable", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(300, Count(run, "delivered"));
        Assert.Equal(300, project.Emulator.UserCount);
        var user = await project.GetUserAsync("c42@example.com");
        Assert.NotNull(user);
        var fields = user["dataFields"]!.AsObject();
        Assert.Equal("First42", fields["firstName"]!.GetValue<string>());
        Assert.Equal("pro", fields["plan"]!.GetValue<string>());
        Assert.Equal(42, fields["seats"]!.GetValue<long>());
        Assert.False(fields.ContainsKey("note"));
    }

    [Fact]
    public async Task The_next_run_sends_only_the_changed_and_added_rows()
    {
        await using var project = await IterableProject.CreateAsync();
        var customers = IterableProject.Customers(200);
        await project.WriteCustomersAsync(customers);
        Assert.Equal(0, (await project.SluiceAsync("run", "customers-to-iterable")).ExitCode);
        var before = project.UsersReceived;

        customers[9] = customers[9] with { Plan = "enterprise" };
        customers[99] = customers[99] with { FirstName = "Renamed" };
        customers.Add(new Customer(1000, "new@example.com", "New", "free", 1));
        await project.WriteCustomersAsync(customers);
        var plan = await project.SluiceAsync("plan", "customers-to-iterable", "--json");
        var run = await project.SluiceAsync("run", "customers-to-iterable", "--json");

        Assert.Equal(0, plan.ExitCode);
        Assert.Equal(1, plan.Json["counts"]!["added"]!.GetValue<long>());
        Assert.Equal(2, plan.Json["counts"]!["changed"]!.GetValue<long>());
        Assert.Equal(3, plan.Json["counts"]!["toSend"]!.GetValue<long>());
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(3, Count(run, "delivered"));
        Assert.Equal(3, project.UsersReceived - before);
        Assert.Equal("enterprise", (await project.GetUserAsync("c10@example.com"))!["dataFields"]!["plan"]!.GetValue<string>());
        Assert.Equal("Renamed", (await project.GetUserAsync("c100@example.com"))!["dataFields"]!["firstName"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_change_to_an_unmapped_column_sends_nothing()
    {
        await using var project = await IterableProject.CreateAsync();
        var customers = IterableProject.Customers(50);
        await project.WriteCustomersAsync(customers);
        Assert.Equal(0, (await project.SluiceAsync("run", "customers-to-iterable")).ExitCode);
        var before = project.UsersReceived;

        await project.WriteCustomersAsync(customers.Select(c => c with { Note = "edited by finance" }));
        var run = await project.SluiceAsync("run", "customers-to-iterable", "--json");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(0, Count(run, "planned"));
        Assert.Equal(50, Count(run, "unchanged"));
        Assert.Equal(before, project.UsersReceived);
    }

    [Fact]
    public async Task Update_mode_never_creates_a_user_and_reports_the_missing_ones_as_not_found()
    {
        await using var project = await IterableProject.CreateAsync(mode: "update");
        project.Emulator.SeedUsers(Enumerable.Range(1, 4).Select(i => new IterableSeedUser($"c{i}@example.com", null, new JsonObject { ["firstName"] = "Old" })));
        await project.WriteCustomersAsync(IterableProject.Customers(10));

        var run = await project.SluiceAsync("run", "customers-to-iterable", "--json");
        var rejected = await project.SluiceAsync("rejected", "customers-to-iterable", "--json");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(4, Count(run, "delivered"));
        Assert.Equal(6, Count(run, "notFound"));
        Assert.Equal(4, project.Emulator.UserCount);
        Assert.Equal("First1", (await project.GetUserAsync("c1@example.com"))!["dataFields"]!["firstName"]!.GetValue<string>());
        Assert.Null(await project.GetUserAsync("c5@example.com"));
        var rows = rejected.Json["rows"]!.AsArray();
        Assert.Equal(6, rows.Count);
        Assert.All(rows, r => Assert.Equal("not_found", r!["outcome"]!.GetValue<string>()));

        // Looked for again next run: once the user exists in Iterable, it is updated.
        project.Emulator.SeedUsers([new IterableSeedUser("c5@example.com")]);
        var again = await project.SluiceAsync("run", "customers-to-iterable", "--json");
        Assert.Equal(1, Count(again, "delivered"));
        Assert.Equal(5, Count(again, "notFound"));
        Assert.Equal(5, project.Emulator.UserCount);
    }

    [Fact]
    public async Task Users_iterable_rejects_show_in_sluice_rejected_with_the_reason_and_are_sent_again_next_run()
    {
        await using var project = await IterableProject.CreateAsync();
        var customers = IterableProject.Customers(20);
        customers[4] = customers[4] with { Email = "not an email" };
        await project.WriteCustomersAsync(customers);

        var run = await project.SluiceAsync("run", "customers-to-iterable", "--json");
        var rejected = await project.SluiceAsync("rejected", "customers-to-iterable");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(19, Count(run, "delivered"));
        Assert.Equal(1, Count(run, "rejected"));
        Assert.Equal(0, rejected.ExitCode);
        Assert.Contains("InvalidEmail", rejected.Stdout, StringComparison.Ordinal);
        Assert.Contains("5", rejected.Stdout, StringComparison.Ordinal);

        customers[4] = customers[4] with { Email = "fixed@example.com" };
        await project.WriteCustomersAsync(customers);
        var again = await project.SluiceAsync("run", "customers-to-iterable", "--json");
        Assert.Equal(1, Count(again, "delivered"));
        Assert.NotNull(await project.GetUserAsync("fixed@example.com"));
        Assert.Contains("No rejected rows", (await project.SluiceAsync("rejected", "customers-to-iterable")).Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_config_error_exits_2_with_a_message_naming_the_line()
    {
        await using var project = await IterableProject.CreateAsync();
        await project.WriteCustomersAsync(IterableProject.Customers(3));
        await project.WriteProjectFileAsync(IterableProject.ProjectFile("upsert").Replace("mappings:", "mappngs:", StringComparison.Ordinal));

        var run = await project.SluiceAsync("run", "customers-to-iterable");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("sluice.yaml:22:", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("mappings", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_mapping_of_a_column_the_model_lacks_is_reported_at_its_line_by_validate()
    {
        await using var project = await IterableProject.CreateAsync();
        await project.WriteCustomersAsync(IterableProject.Customers(3));
        await project.WriteProjectFileAsync(IterableProject.ProjectFile("upsert").Replace("seats: seats", "seat_count: seats", StringComparison.Ordinal));

        var validate = await project.SluiceAsync("validate");

        Assert.Equal(2, validate.ExitCode);
        Assert.Contains("sluice.yaml:25:", validate.Stderr, StringComparison.Ordinal);
        Assert.Contains("seat_count", validate.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_accepts_a_good_project_and_checks_the_api_key()
    {
        await using var project = await IterableProject.CreateAsync();
        await project.WriteCustomersAsync(IterableProject.Customers(3));
        Assert.Equal(0, (await project.SluiceAsync("validate")).ExitCode);

        await File.WriteAllTextAsync(Path.Combine(project.Directory, ".env"),
            $"ITERABLE_API_KEY=wrong-key-123\nITERABLE_BASE_URL={project.Emulator.BaseUrl.ToString().TrimEnd('/')}\n");
        var bad = await project.SluiceAsync("validate");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("api_key", bad.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-key-123", bad.Stderr + bad.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task History_lists_the_runs_with_their_counts()
    {
        await using var project = await IterableProject.CreateAsync();
        await project.WriteCustomersAsync(IterableProject.Customers(5));
        await project.SluiceAsync("run", "--all");
        await project.SluiceAsync("run", "--all");

        var history = await project.SluiceAsync("history", "--json");

        Assert.Equal(0, history.ExitCode);
        var runs = history.Json["runs"]!.AsArray();
        Assert.Equal(2, runs.Count);
        Assert.Equal("succeeded", runs[1]!["status"]!.GetValue<string>());
        Assert.Equal(5, runs[1]!["counts"]!["delivered"]!.GetValue<long>());
        Assert.Equal(0, runs[0]!["counts"]!["planned"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_process_killed_mid_run_loses_nothing_and_resends_at_most_the_in_flight_batches()
    {
        await using var project = await IterableProject.CreateAsync(options: new IterableEmulatorOptions
        {
            Faults = { Latency = TimeSpan.FromMilliseconds(150) },
        });
        const int total = 12_000;
        await project.WriteCustomersAsync(IterableProject.Customers(total));

        using (var process = SluiceCommand.Start(project.Directory, "run", "customers-to-iterable"))
        {
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (project.UsersReceived < 3_000 && !process.HasExited && DateTime.UtcNow < deadline)
                await Task.Delay(20);
            Assert.False(process.HasExited, "the run finished before it could be killed");
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        var receivedBeforeKill = project.UsersReceived;
        Assert.True(receivedBeforeKill < total);

        project.Emulator.Faults.Latency = TimeSpan.Zero;
        var resumed = await project.SluiceAsync("run", "customers-to-iterable", "--json");

        Assert.Equal(0, resumed.ExitCode);
        Assert.Equal(total, project.Emulator.UserCount);
        // Only batches in flight at the kill (at most the writer's concurrency, 4 x 1000) are sent twice.
        Assert.InRange(project.UsersReceived, total, total + 4 * 1000);
        var again = await project.SluiceAsync("run", "customers-to-iterable", "--json");
        Assert.Equal(0, Count(again, "planned"));
    }
}

using Sluice.EndToEnd.Tests.Support;
using Sluice.Emulators.Iterable;

namespace Sluice.EndToEnd.Tests;

/// <summary>
/// The state is shared by every sluice process of a project: reads never wait for a run, a sync runs in one process at
/// a time, and a run whose process died shows as interrupted.
/// </summary>
public sealed class SharedStateTests
{
    private const string Sync = "customers-to-iterable";

    /// <summary>The project's file with a second sync of the same model, and a destination whose variable is never set.</summary>
    private static string ProjectFile() => (IterableProject.ProjectFile("upsert") + """

          customers-copy:
            model: customers
            destination: iterable
            mode: upsert
            match: { column: email, field: email }
            mappings:
              plan: plan
          customers-elsewhere:
            model: customers
            destination: elsewhere
            mode: upsert
            match: { column: email, field: email }
            mappings:
              plan: plan
        """).Replace("\nsyncs:", "\n  elsewhere:\n    type: iterable\n    api_key: ${NEVER_SET_KEY}\nsyncs:", StringComparison.Ordinal);

    private static async Task<IterableProject> SlowProjectAsync(int customers)
    {
        var project = await IterableProject.CreateAsync(options: new IterableEmulatorOptions
        {
            Faults = { Latency = TimeSpan.FromMilliseconds(200) },
        });
        await project.WriteProjectFileAsync(ProjectFile());
        await project.WriteCustomersAsync(IterableProject.Customers(customers));
        return project;
    }

    private static async Task WaitForDeliveryAsync(IterableProject project, System.Diagnostics.Process run, long users)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (project.UsersReceived < users && !run.HasExited)
            await Task.Delay(20, timeout.Token);
        if (run.HasExited)
        {
            Assert.Fail($"the run finished (exit {run.ExitCode}) before the reads could overlap it:\n" +
                $"{await run.StandardOutput.ReadToEndAsync()}\n{await run.StandardError.ReadToEndAsync()}");
        }
    }

    [Fact]
    public async Task History_rejected_and_another_syncs_plan_work_while_a_run_holds_its_sync_and_a_second_run_is_refused()
    {
        await using var project = await SlowProjectAsync(12_000);

        using var run = SluiceCommand.Start(project.Directory, "run", Sync);
        await WaitForDeliveryAsync(project, run, 1_000);
        var stdout = run.StandardOutput.ReadToEndAsync();
        var stderr = run.StandardError.ReadToEndAsync();
        // The destination holds every request from now on, so the run is surely still going while the others read.
        project.Emulator.Faults.Latency = TimeSpan.FromMinutes(10);

        var history = await project.SluiceAsync("history", "--json");
        var rejected = await project.SluiceAsync("rejected", Sync);
        var otherPlan = await project.SluiceAsync("plan", "customers-copy", "--json");
        var secondRun = await project.SluiceAsync("run", Sync);
        var samePlan = await project.SluiceAsync("plan", Sync);
        Assert.False(run.HasExited, "the run ended before every read was made: the reads did not overlap it");
        project.Emulator.Faults.Latency = TimeSpan.Zero;

        Assert.True(history.ExitCode == 0, history.ToString());
        var current = history.Json["runs"]![0]!;
        Assert.Equal(Sync, current["sync"]!.GetValue<string>());
        Assert.Equal("running", current["status"]!.GetValue<string>());
        Assert.True(rejected.ExitCode == 0, rejected.ToString());
        Assert.True(otherPlan.ExitCode == 0, otherPlan.ToString());
        Assert.Equal(12_000, otherPlan.Json["counts"]!["toSend"]!.GetValue<long>());
        foreach (var refused in new[] { secondRun, samePlan })
        {
            Assert.True(refused.ExitCode == 1, refused.ToString());
            Assert.Contains($"Sync '{Sync}' is in use by run {current["runId"]!.GetValue<long>()}", refused.Stderr, StringComparison.Ordinal);
            Assert.Contains("Wait for it to finish", refused.Stderr, StringComparison.Ordinal);
        }

        await run.WaitForExitAsync();
        Assert.True(run.ExitCode == 0, $"{await stdout}\n{await stderr}");
        var after = await project.SluiceAsync("history", Sync, "--json");
        var runs = after.Json["runs"]!.AsArray();
        Assert.Single(runs);
        Assert.Equal("succeeded", runs[0]!["status"]!.GetValue<string>());
        Assert.Equal(12_000, runs[0]!["counts"]!["delivered"]!.GetValue<long>());
        Assert.Equal(12_000, project.Emulator.UserCount);
    }

    [Fact]
    public async Task A_run_whose_process_was_killed_shows_as_interrupted_in_history_at_once()
    {
        await using var project = await SlowProjectAsync(8_000);
        using (var run = SluiceCommand.Start(project.Directory, "run", Sync))
        {
            await WaitForDeliveryAsync(project, run, 1_000);
            run.Kill(entireProcessTree: true);
            await run.WaitForExitAsync();
        }

        var history = await project.SluiceAsync("history", Sync, "--json");

        Assert.True(history.ExitCode == 0, history.ToString());
        var record = history.Json["runs"]![0]!;
        Assert.Equal("interrupted", record["status"]!.GetValue<string>());
        Assert.Contains("stopped before the run finished", record["error"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}

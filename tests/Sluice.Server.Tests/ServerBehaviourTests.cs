using System.Net;
using Sluice.Server.Tests.Support;
using Sluice.Notifications.Tests.Support;

namespace Sluice.Server.Tests;

/// <summary>What the server does around runs: warnings, cancelling, picking up sluice.yaml edits.</summary>
public sealed class ServerBehaviourTests
{
    [Fact]
    public async Task A_warning_is_sent_once_when_it_starts_with_a_link_to_the_run_page_and_once_when_it_clears()
    {
        await using var hook = WebhookReceiver.Start();
        var syncs = $"""
              customers:
                model: customers
                destination: iterable
                mode: upsert
                match: {"{"} column: email, field: email {"}"}
                mappings:
                  first_name: firstName
                warnings:
                  rejected_rows_percent: 5
                  notify: [team]
            notifications:
              team:
                webhook: {hook.Url}

            """;
        await using var project = await ServerProject.CreateAsync(syncs, customers: 30);
        await project.StartAsync();

        var first = await project.RunNowAsync("customers");
        await project.WaitForRunAsync(first);
        var raised = Assert.Single(hook.Bodies);
        Assert.Contains("rejected", raised, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(new Uri(project.BaseUrl, $"runs/{first}").ToString(), raised, StringComparison.Ordinal);

        // The same rows are refused again: the warning is still on, and nobody hears it twice.
        await project.WaitForRunAsync(await project.RunNowAsync("customers"));
        Assert.Single(hook.Bodies);

        // The warehouse is fixed: the next run clears the warning, with one message.
        await project.WriteCustomersAsync(6);
        var fixedRun = await project.RunNowAsync("customers");
        await project.WaitForRunAsync(fixedRun);
        Assert.Equal(2, hook.Bodies.Count);
        Assert.Contains($"runs/{fixedRun}", hook.Bodies[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancelling_a_run_stops_it_and_records_it_cancelled()
    {
        await using var project = await ServerProject.CreateAsync(ServerProject.Sync("customers", "manual"), customers: 60, batchSize: 5);
        await project.StartAsync();
        project.Emulator.Faults.Latency = TimeSpan.FromMilliseconds(400);

        var runId = await project.RunNowAsync("customers");
        using var cancel = await project.Api.PostAsync($"/api/runs/{runId}/cancel", null);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        var run = await project.WaitForRunAsync(runId);

        Assert.Equal("cancelled", run["status"]!.GetValue<string>());
        using var again = await project.Api.PostAsync($"/api/runs/{runId}/cancel", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    public async Task An_edit_of_sluice_yaml_is_picked_up_without_a_restart()
    {
        await using var project = await ServerProject.CreateAsync(ServerProject.Sync("customers", "manual"));
        await project.StartAsync();

        await project.WriteProjectAsync(ServerProject.Sync("customers", "manual") + ServerProject.Sync("added-later", "manual"));

        while (!(await project.Api.GetStringAsync("/api/syncs", TestContext.Current.CancellationToken)).Contains("added-later", StringComparison.Ordinal))
            await Task.Delay(50, TestContext.Current.CancellationToken);
        var health = await project.Anonymous.GetStringAsync("/health", TestContext.Current.CancellationToken);
        Assert.Contains("\"syncs\":2", health, StringComparison.Ordinal);
    }
}

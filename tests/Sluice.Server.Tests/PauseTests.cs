using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Quartz;
using Sluice.Core.State;
using Sluice.Notifications.Tests.Support;
using Sluice.Server.Scheduling;
using Sluice.Server.Tests.Support;

namespace Sluice.Server.Tests;

/// <summary>
/// Automatic pause and resume, and the warnings the server raises without a run, in a real server against the real
/// Iterable emulator, which refuses a wrong API key as Iterable does (401). The server's clock is fake where the checks'
/// rhythm matters.
/// </summary>
public sealed class PauseTests
{
    private const string WrongKey = "a-revoked-iterable-key";

    [Fact]
    public async Task A_sync_whose_key_is_refused_pauses_with_the_sync_after_it_skips_its_firings_and_resumes_when_its_check_passes()
    {
        await using var project = await ServerProject.CreateAsync(ServerProject.Sync("customers", "every 1h") + ServerProject.Sync("downstream", "after customers"));
        await project.WriteEnvAsync(WrongKey);
        // The real clock: Quartz fires on it. The periodic check comes often, so that the test waits little once the key is fixed.
        await project.StartAsync(checkInterval: TimeSpan.FromMilliseconds(200));

        // Never run: the interval is due at once, and the run fails on the key.
        var paused = await WaitForSyncAsync(project, "customers", s => s["paused"] is JsonObject);
        Assert.Equal("destination credentials", paused["paused"]!["part"]!.GetValue<string>());
        Assert.Contains("refused the API key", paused["paused"]!["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain(WrongKey, paused.ToJsonString(), StringComparison.Ordinal);
        var downstream = await project.GetJsonAsync("/api/syncs/downstream");
        Assert.Equal("customers", downstream["paused"]!["upstream"]!.GetValue<string>());

        // A firing of its schedule is skipped while it is paused: no run is recorded.
        var scheduler = await project.Service<ISchedulerFactory>().GetScheduler(TestContext.Current.CancellationToken);
        var fired = new FiringListener();
        scheduler.ListenerManager.AddJobListener(fired, [Matchers.Key(new JobKey("customers", SyncScheduler.Group))]);
        await scheduler.TriggerJob(new JobKey("customers", SyncScheduler.Group), TestContext.Current.CancellationToken);
        await fired.Done.Task;
        Assert.Single(await project.Service<IStateStore>().Runs.HistoryAsync("customers"));

        // The checks find it still broken; a run asked for by hand still runs, and fails the same way.
        await WaitForSyncAsync(project, "customers", s => s["paused"]?["checked_at"] is not null);
        Assert.Equal("failed", (await project.WaitForRunAsync(await project.RunNowAsync("customers")))["status"]!.GetValue<string>());
        Assert.NotNull((await project.GetJsonAsync("/api/syncs/customers"))["paused"]);
        Assert.Empty(await project.Service<IStateStore>().Runs.HistoryAsync("downstream"));

        // The key is fixed: a periodic check passes and the sync resumes, without a run; its next firing runs it, then the one after it.
        await project.WriteEnvAsync(ServerProject.ApiKey);
        using (var reload = await project.Api.PostAsync("/api/reload", null, TestContext.Current.CancellationToken))
            Assert.Equal(HttpStatusCode.OK, reload.StatusCode);
        await WaitForSyncAsync(project, "customers", s => s["paused"] is null);
        Assert.Equal(2, (await project.Service<IStateStore>().Runs.HistoryAsync("customers")).Count);
        await scheduler.TriggerJob(new JobKey("customers", SyncScheduler.Group), TestContext.Current.CancellationToken);
        await project.WaitForHistoryAsync("downstream", runs => runs.Any(r => r.Status == RunStatus.Succeeded));
        Assert.Contains(await project.Service<IStateStore>().Runs.HistoryAsync("customers"), r => r.Status == RunStatus.Succeeded);
        Assert.Equal(18, project.Emulator.UserCount); // 20 customers, 7 and 14 refused
        Assert.Null((await project.GetJsonAsync("/api/syncs/downstream"))["paused"]);
    }

    [Fact]
    public async Task A_paused_sync_stays_paused_after_a_restart_and_resume_now_resumes_it()
    {
        await using var project = await ServerProject.CreateAsync(ServerProject.Sync("customers", "manual") + ServerProject.Sync("downstream", "after customers"));
        await project.WriteEnvAsync(WrongKey);
        await project.StartAsync();
        await project.WaitForRunAsync(await project.RunNowAsync("customers"));
        await WaitForSyncAsync(project, "customers", s => s["paused"] is JsonObject);

        await project.StopServerAsync();
        await project.StartAsync();
        var restored = await WaitForSyncAsync(project, "customers", s => s["paused"] is JsonObject);
        Assert.Equal("destination credentials", restored["paused"]!["part"]!.GetValue<string>());

        using (var dependent = await project.Api.PostAsync("/api/syncs/downstream/resume", null, TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.Conflict, dependent.StatusCode);
            Assert.Contains("resume that one", await dependent.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        }
        using (var resume = await project.Api.PostAsync("/api/syncs/customers/resume", null, TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, resume.StatusCode);
            Assert.Null(JsonNode.Parse(await resume.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!["paused"]);
        }
        Assert.Null((await project.GetJsonAsync("/api/syncs/downstream"))["paused"]);
        using (var again = await project.Api.PostAsync("/api/syncs/customers/resume", null, TestContext.Current.CancellationToken))
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    public async Task Not_succeeded_hours_is_raised_by_the_server_for_a_sync_that_does_not_run_once_and_cleared_once_by_its_next_success()
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
                  on_failure: false
                  not_succeeded_hours: 2
                  notify: [team]
            notifications:
              team:
                webhook: {hook.Url}

            """;
        await using var project = await ServerProject.CreateAsync(syncs);
        await project.WriteEnvAsync(WrongKey);
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        await project.StartAsync(clock);
        var failed = await project.RunNowAsync("customers");
        await project.WaitForRunAsync(failed);
        Assert.Empty(hook.Bodies);
        Assert.Empty((await project.GetJsonAsync("/api/syncs/customers"))["last_run"]!["warnings"]!.AsArray());

        // The sync is paused and never runs again; three hours later the server's check raises the warning, once.
        while (hook.Bodies.Count == 0)
        {
            clock.Advance(TimeSpan.FromMinutes(30));
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
        var checks = project.Service<ServerChecks>();
        await checks.NotSucceededAsync(TestContext.Current.CancellationToken);
        await checks.NotSucceededAsync(TestContext.Current.CancellationToken);
        var raised = Assert.Single(hook.Bodies);
        Assert.Contains("not-succeeded", raised, StringComparison.Ordinal);
        Assert.Contains("no successful run yet", raised, StringComparison.Ordinal);
        Assert.Contains($"runs/{failed}", raised, StringComparison.Ordinal);

        var inForce = Assert.Single((await project.Api.GetFromJsonAsync<JsonArray>("/api/warnings", TestContext.Current.CancellationToken))!);
        Assert.Equal(("customers", "not-succeeded", failed), (inForce!["sync"]!.GetValue<string>(), inForce["warning"]!.GetValue<string>(),
            inForce["since_run"]!.GetValue<long>()));
        Assert.Contains("over the 2 h of not_succeeded_hours", inForce["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Single((await project.Api.GetFromJsonAsync<JsonArray>("/api/syncs/customers/warnings", TestContext.Current.CancellationToken))!);

        // The key is fixed and the sync runs: the warning clears, with one message.
        await project.WriteEnvAsync(ServerProject.ApiKey);
        using (var reload = await project.Api.PostAsync("/api/reload", null, TestContext.Current.CancellationToken))
            Assert.Equal(HttpStatusCode.OK, reload.StatusCode);
        var fixedRun = await project.RunNowAsync("customers");
        Assert.Equal("succeeded", (await project.WaitForRunAsync(fixedRun))["status"]!.GetValue<string>());
        Assert.Equal(2, hook.Bodies.Count);
        Assert.Contains("recovered", hook.Bodies[1], StringComparison.Ordinal);
        Assert.Empty((await project.Api.GetFromJsonAsync<JsonArray>("/api/warnings", TestContext.Current.CancellationToken))!);
        await checks.NotSucceededAsync(TestContext.Current.CancellationToken);
        Assert.Equal(2, hook.Bodies.Count);
    }

    /// <summary>Polls the sync's API view until <paramref name="done"/> holds (bounded by the test's timeout).</summary>
    private static async Task<JsonObject> WaitForSyncAsync(ServerProject project, string sync, Func<JsonObject, bool> done)
    {
        while (true)
        {
            var view = await project.GetJsonAsync($"/api/syncs/{sync}");
            if (done(view))
                return view;
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Tells when a firing of the job has been executed (whatever the job did with it).</summary>
    private sealed class FiringListener : IJobListener
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Name => "test-firings";

        public ValueTask JobToBeExecuted(IJobExecutionContext context, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        public ValueTask JobExecutionVetoed(IJobExecutionContext context, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        public ValueTask JobWasExecuted(IJobExecutionContext context, JobExecutionException? jobException, CancellationToken cancellationToken = default)
        {
            Done.TrySetResult();
            return ValueTask.CompletedTask;
        }
    }
}

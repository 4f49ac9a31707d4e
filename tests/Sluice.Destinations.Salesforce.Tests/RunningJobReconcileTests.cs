using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Sluice.Core.Destinations;
using Sluice.Core.Models;
using Sluice.Destinations.Salesforce.Tests.Support;
using Sluice.Emulators.Salesforce;

namespace Sluice.Destinations.Salesforce.Tests;

/// <summary>
/// A run dies while its Bulk API job is still running; the next run's insert reconciliation must wait for that job,
/// or it finds nothing, resends, and the job creates every record a second time.
/// </summary>
public sealed class RunningJobReconcileTests
{
    private const string ListJobs = "GET /services/data/v{version}/jobs/ingest";

    private static Task<SalesforceEmulator> StartHeldAsync(FakeTimeProvider clock) =>
        TestOrg.StartAsync(o =>
        {
            o.TimeProvider = clock;
            o.Faults.BulkJobDelay = TimeSpan.FromMinutes(10);
        });

    private static FakeTimeProvider NewClock() => new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task Reconcile_waits_for_the_dead_runs_job_and_reports_its_records_delivered_without_duplicates()
    {
        var clock = NewClock();
        await using var org = await StartHeldAsync(clock);
        var rows = Contacts.Rows(40, RecordOperation.Create);
        var sync = Contacts.Sync(SyncMode.Insert);
        await KillDuringJobAsync(org, sync, rows);
        Assert.Equal(0, org.CountRecords("Contact"));

        await using var next = TestOrg.Destination(org, "Contact", ("bulk_threshold", "1"));
        await using var writer = await next.OpenAsync(sync, new PlanCounts(rows.Count, 0, 0, 0), TestOrg.Ct);
        var reconcile = writer.ReconcileAsync(new DeliveryBatch(Contacts.Mappings, rows), TestOrg.Ct);
        var listsBefore = Requests(org, ListJobs);
        while (Requests(org, ListJobs) < listsBefore + 2 && !reconcile.IsCompleted)
            await Task.Delay(5, TestOrg.Ct);
        Assert.False(reconcile.IsCompleted, "reconciliation must not finish while the job is InProgress");
        Assert.Equal(0, org.CountRecords("Contact"));

        clock.Advance(TimeSpan.FromMinutes(10));
        var results = await reconcile;

        Assert.Equal(rows.Select(r => r.Key), results.Select(r => r.Key));
        Assert.All(results, r => Assert.Equal(RecordOutcome.Delivered, r.Outcome));
        Assert.Equal(rows.Count, org.CountRecords("Contact"));
        var stored = org.GetRecords("Contact").Select(r => r.Text("Id")).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(rows.Count, results.Select(r => r.DestinationId).Distinct(StringComparer.Ordinal).Count(id => stored.Contains(id!)));
    }

    [Fact]
    public async Task Reconcile_gives_up_with_a_timeout_when_the_job_does_not_finish_in_time()
    {
        var clock = NewClock();
        await using var org = await StartHeldAsync(clock);
        var rows = Contacts.Rows(5, RecordOperation.Create);
        var sync = Contacts.Sync(SyncMode.Insert);
        await KillDuringJobAsync(org, sync, rows);

        var provider = new SalesforceDestinationProvider { Tuning = TestOrg.FastTuning with { BulkJobTimeout = TimeSpan.FromMilliseconds(200) } };
        await using var next = provider.Create(TestOrg.Settings(org, "Contact", ("bulk_threshold", "1")), new DestinationServices());
        await using var writer = await next.OpenAsync(sync, new PlanCounts(rows.Count, 0, 0, 0), TestOrg.Ct);
        var error = await Assert.ThrowsAsync<DeliveryException>(() => writer.ReconcileAsync(new DeliveryBatch(Contacts.Mappings, rows), TestOrg.Ct));

        Assert.Equal(ErrorCategory.Timeout, error.Category);
        Assert.Contains("still running", error.Message);
        Assert.Contains("Run again", error.Message);
        Assert.Equal(0, org.CountRecords("Contact"));
    }

    [Fact]
    public async Task Reconcile_aborts_jobs_of_the_object_left_open_and_leaves_other_objects_jobs_alone()
    {
        await using var org = await TestOrg.StartAsync();
        using var http = await SignedInAsync(org);
        var contactJob = await CreateOpenJobAsync(http, "Contact");
        var accountJob = await CreateOpenJobAsync(http, "Account");

        await using var next = TestOrg.Destination(org, "Contact", ("bulk_threshold", "1"));
        var sync = Contacts.Sync(SyncMode.Insert);
        await using var writer = await next.OpenAsync(sync, new PlanCounts(1, 0, 0, 0), TestOrg.Ct);
        var result = Assert.Single(await writer.ReconcileAsync(new DeliveryBatch(Contacts.Mappings, [Contacts.Row(1, RecordOperation.Create)]), TestOrg.Ct));

        Assert.Equal(RecordOutcome.NotFound, result.Outcome);
        Assert.Equal("Aborted", await JobStateAsync(http, contactJob));
        Assert.Equal("Open", await JobStateAsync(http, accountJob));
    }

    /// <summary>A first run gets as far as closing its Bulk job, then dies (cancelled) while the job runs.</summary>
    private static async Task KillDuringJobAsync(SalesforceEmulator org, SyncContext sync, List<DeliveryRecord> rows)
    {
        await using var dead = TestOrg.Destination(org, "Contact", ("bulk_threshold", "1"));
        await using var writer = await dead.OpenAsync(sync, new PlanCounts(rows.Count, 0, 0, 0), TestOrg.Ct);
        using var kill = CancellationTokenSource.CreateLinkedTokenSource(TestOrg.Ct);
        var write = writer.WriteAsync(new DeliveryBatch(Contacts.Mappings, rows), kill.Token);
        const string poll = "GET /services/data/v{version}/jobs/ingest/{jobId}";
        while (Requests(org, poll) == 0 && !write.IsCompleted)
            await Task.Delay(5, TestOrg.Ct);
        await kill.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => write);
    }

    private static long Requests(SalesforceEmulator org, string endpoint) =>
        org.GetStats().Requests.TryGetValue(endpoint, out var n) ? n : 0;

    private static async Task<HttpClient> SignedInAsync(SalesforceEmulator org)
    {
        var http = new HttpClient { BaseAddress = org.BaseUrl };
        using var token = await http.PostAsync("/services/oauth2/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = TestOrg.ClientId,
            ["client_secret"] = TestOrg.ClientSecret,
        }), TestOrg.Ct);
        var body = JsonNode.Parse(await token.Content.ReadAsStringAsync(TestOrg.Ct))!;
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (string)body["access_token"]!);
        return http;
    }

    private static async Task<string> CreateOpenJobAsync(HttpClient http, string objectName)
    {
        using var reply = await http.PostAsync("/services/data/v59.0/jobs/ingest",
            new StringContent($$"""{"object":"{{objectName}}","operation":"insert"}""", Encoding.UTF8, "application/json"), TestOrg.Ct);
        return (string)JsonNode.Parse(await reply.Content.ReadAsStringAsync(TestOrg.Ct))!["id"]!;
    }

    private static async Task<string?> JobStateAsync(HttpClient http, string id) =>
        (string?)JsonNode.Parse(await http.GetStringAsync($"/services/data/v59.0/jobs/ingest/{id}", TestOrg.Ct))!["state"];
}

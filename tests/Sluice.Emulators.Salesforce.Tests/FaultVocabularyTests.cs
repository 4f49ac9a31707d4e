using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Sluice.Emulators.Salesforce.Tests.Support;

namespace Sluice.Emulators.Salesforce.Tests;

/// <summary>Faults the ledger must survive: applied-then-lost answers, held answers, Bulk jobs that stay running.</summary>
public sealed class FaultVocabularyTests
{
    private const string Jobs = Org.V + "/jobs/ingest";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<int> CountByQueryAsync(Org org, string lastName)
    {
        var reply = await org.GetAsync($"{Org.V}/query?q=" + Uri.EscapeDataString($"SELECT Id FROM Contact WHERE LastName = '{lastName}'"));
        Assert.Equal(200, reply.Status);
        return (int)reply.Json["totalSize"]!;
    }

    [Fact]
    public async Task Apply_then_drop_creates_the_record_but_the_client_gets_a_connection_error()
    {
        await using var org = await Org.StartAsync();
        Assert.Equal(200, (await org.PostAsync("/_emulator/faults", """{"applyThenDropRate":1}""")).Status);

        await Assert.ThrowsAsync<HttpRequestException>(() => org.PostAsync($"{Org.V}/sobjects/Contact", """{"LastName":"Dropped"}"""));

        Assert.Equal(200, (await org.PostAsync("/_emulator/faults", """{"applyThenDropRate":0}""")).Status);
        Assert.Equal(1, await CountByQueryAsync(org, "Dropped"));
        var stats = (await org.GetAsync("/_emulator/stats")).Json;
        Assert.Equal(1, (int)stats["faultsInjected"]!["appliedThenDropped"]!);
    }

    [Fact]
    public async Task Apply_then_delay_stores_the_record_at_once_and_holds_the_answer_until_the_delay_has_passed()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var org = await Org.StartAsync(o => o.TimeProvider = clock);
        Assert.Equal(200, (await org.PostAsync("/_emulator/faults", """{"applyThenDelayRate":1,"applyThenDelay":"00:05:00"}""")).Status);

        var answer = org.PostAsync($"{Org.V}/sobjects/Contact", """{"LastName":"Held"}""");
        while (org.Emulator.CountRecords("Contact") == 0)
            await Task.Delay(10, Ct);
        Assert.False(answer.IsCompleted);

        // The held answer waits on the fake clock from a moment the test cannot see, so the clock moves a minute at a
        // time until it comes: never before five minutes have passed.
        var advanced = TimeSpan.Zero;
        while (!answer.IsCompleted)
        {
            clock.Advance(TimeSpan.FromMinutes(1));
            advanced += TimeSpan.FromMinutes(1);
            await Task.WhenAny(answer, Task.Delay(20, Ct));
        }
        Assert.True(advanced >= TimeSpan.FromMinutes(5), $"answered after {advanced}");
        var reply = await answer;
        Assert.Equal(201, reply.Status);
        Assert.NotNull(org.Emulator.GetRecord((string)reply.Json["id"]!));
    }

    [Fact]
    public async Task Apply_then_delay_past_the_client_timeout_leaves_the_write_applied()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var org = await Org.StartAsync(o => o.TimeProvider = clock);
        Assert.Equal(200, (await org.PostAsync("/_emulator/faults", """{"applyThenDelayRate":1}""")).Status);
        using var client = new HttpClient { BaseAddress = org.Emulator.BaseUrl, Timeout = TimeSpan.FromMilliseconds(300) };
        client.DefaultRequestHeaders.Authorization = org.Http.DefaultRequestHeaders.Authorization;

        await Assert.ThrowsAnyAsync<TaskCanceledException>(() =>
            client.PostAsync($"{Org.V}/sobjects/Contact", new StringContent("""{"LastName":"TimedOut"}""", System.Text.Encoding.UTF8, "application/json"), Ct));

        Assert.Equal(200, (await org.PostAsync("/_emulator/faults", """{"applyThenDelayRate":0}""")).Status);
        Assert.Equal(1, await CountByQueryAsync(org, "TimedOut"));
    }

    [Fact]
    public async Task A_closed_bulk_job_stays_in_progress_with_nothing_stored_until_its_delay_has_passed()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var org = await Org.StartAsync(o =>
        {
            o.TimeProvider = clock;
            o.BulkInProgressPolls = 0;
        });
        var faults = await org.PostAsync("/_emulator/faults", """{"bulkJobDelay":"00:10:00"}""");
        Assert.Equal("00:10:00", (string?)faults.Json["bulkJobDelay"]);
        var id = await CloseJobAsync(org, "LastName\nBulkA\nBulkB\n");

        for (var poll = 0; poll < 3; poll++)
            Assert.Equal("InProgress", (string?)(await org.GetAsync($"{Jobs}/{id}")).Json["state"]);
        Assert.Equal(0, await CountByQueryAsync(org, "BulkA"));
        Assert.Equal(1, (int)(await org.GetAsync("/_emulator/stats")).Json["bulkJobsInProgress"]!);
        var listed = (await org.GetAsync(Jobs)).Json["records"]!.AsArray().Single(j => (string?)j!["id"] == id)!;
        Assert.Equal("InProgress", (string?)listed["state"]);
        Assert.Equal(409, (await org.DeleteAsync($"{Jobs}/{id}")).Status);

        clock.Advance(TimeSpan.FromMinutes(10));
        var done = (await org.GetAsync($"{Jobs}/{id}")).Json;
        Assert.Equal("JobComplete", (string?)done["state"]);
        Assert.Equal(2, (int)done["numberRecordsProcessed"]!);
        Assert.Equal(1, await CountByQueryAsync(org, "BulkA"));
        Assert.Equal(1, await CountByQueryAsync(org, "BulkB"));
    }

    [Fact]
    public async Task A_held_bulk_job_can_be_aborted_and_then_applies_nothing()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var org = await Org.StartAsync(o => o.TimeProvider = clock);
        await org.PostAsync("/_emulator/faults", """{"bulkJobDelayMs":60000}""");
        var id = await CloseJobAsync(org, "LastName\nNever\n");

        var aborted = await org.PatchAsync($"{Jobs}/{id}", """{"state":"Aborted"}""");
        Assert.Equal(200, aborted.Status);
        clock.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal("Aborted", (string?)(await org.GetAsync($"{Jobs}/{id}")).Json["state"]);
        Assert.Equal(0, await CountByQueryAsync(org, "Never"));
    }

    [Fact]
    public async Task Setting_the_bulk_job_delay_back_to_zero_runs_the_held_jobs()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var org = await Org.StartAsync(o =>
        {
            o.TimeProvider = clock;
            o.BulkInProgressPolls = 0;
        });
        await org.PostAsync("/_emulator/faults", """{"bulkJobDelay":"01:00:00"}""");
        var id = await CloseJobAsync(org, "LastName\nReleased\n");

        await org.PostAsync("/_emulator/faults", """{"bulkJobDelay":0}""");

        Assert.Equal("JobComplete", (string?)(await org.GetAsync($"{Jobs}/{id}")).Json["state"]);
        Assert.Equal(1, await CountByQueryAsync(org, "Released"));
    }

    [Fact]
    public async Task Get_all_jobs_pages_with_next_records_url_and_filters_by_job_type()
    {
        await using var org = await Org.StartAsync(o => o.JobListPageSize = 2);
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
            ids.Add((string)(await org.PostAsync(Jobs, """{"object":"Contact","operation":"insert"}""")).Json["id"]!);

        var first = (await org.GetAsync(Jobs)).Json;
        Assert.False((bool)first["done"]!);
        Assert.Equal(2, first["records"]!.AsArray().Count);
        Assert.All(first["records"]!.AsArray(), j =>
        {
            Assert.Equal("Open", (string?)j!["state"]);
            Assert.Equal("Contact", (string?)j["object"]);
            Assert.Equal("V2Ingest", (string?)j["jobType"]);
        });
        var next = (string)first["nextRecordsUrl"]!;
        Assert.StartsWith(Jobs + "?queryLocator=", next);
        var second = (await org.GetAsync(next)).Json;
        Assert.True((bool)second["done"]!);
        Assert.Null(second["nextRecordsUrl"]);
        var listed = first["records"]!.AsArray().Concat(second["records"]!.AsArray()).Select(j => (string)j!["id"]!);
        Assert.Equal(ids.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));

        Assert.Empty((await org.GetAsync(Jobs + "?jobType=Classic")).Json["records"]!.AsArray());
        Assert.Empty((await org.GetAsync(Jobs + "?isPkChunkingEnabled=true")).Json["records"]!.AsArray());
        Assert.Equal(3, (await org.GetAsync(Jobs + "?jobType=V2Ingest&concurrencyMode=Parallel&queryLocator=")).Json["records"]!.AsArray().Count
            + (await org.GetAsync(next)).Json["records"]!.AsArray().Count);
        Assert.Equal(400, (await org.GetAsync(Jobs + "?queryLocator=not-a-locator")).Status);
    }

    [Fact]
    public async Task Faults_take_the_shared_names_with_durations_as_text_or_milliseconds_and_a_bad_change_applies_nothing()
    {
        await using var org = await Org.StartAsync();
        var set = await org.PostAsync("/_emulator/faults", """{"errorRate":0.1,"latency":"00:00:00.200","throttleBurstEvery":50,"dropConnectionRate":0.01}""");
        Assert.Equal(200, set.Status);
        Assert.Equal(200, (double)set.Json["latencyMs"]!);
        Assert.Equal("00:00:00.2000000", (string?)set.Json["latency"]);

        var bad = await org.PostAsync("/_emulator/faults", """{"errorRate":0.5,"applyThenDropRate":2}""");
        Assert.Equal(400, bad.Status);
        Assert.Contains("applyThenDropRate", (string?)bad.Json["error"]);
        var unknown = await org.PostAsync("/_emulator/faults", """{"errorRat":0.5}""");
        Assert.Equal(400, unknown.Status);
        Assert.Contains("Unknown fault setting 'errorRat'", (string?)unknown.Json["error"]);

        var now = (await org.GetAsync("/_emulator/faults")).Json;
        Assert.Equal(0.1, (double)now["errorRate"]!);
        Assert.Equal(0, (double)now["applyThenDropRate"]!);
        Assert.Equal(0.1, org.Emulator.Faults.ErrorRate);
    }

    [Fact]
    public async Task Calls_over_the_daily_limit_are_counted_as_violations_even_when_the_limit_is_not_enforced()
    {
        await using var org = await Org.StartAsync(o =>
        {
            o.DailyApiLimit = 3;
            o.RateLimits = false;
        });
        for (var i = 0; i < 5; i++)
            Assert.Equal(200, (await org.GetAsync($"{Org.V}/limits")).Status);

        var stats = (await org.GetAsync("/_emulator/stats")).Json;
        Assert.Equal(2, (int)stats["rateLimitViolations"]!);
        Assert.Equal(0, (int)stats["limitRefusals"]!);
        Assert.Equal(2, org.Emulator.GetStats().RateLimitViolations);
    }

    private static async Task<string> CloseJobAsync(Org org, string csv)
    {
        var id = (string)(await org.PostAsync(Jobs, """{"object":"Contact","operation":"insert"}""")).Json["id"]!;
        Assert.Equal(201, (await org.SendAsync(HttpMethod.Put, $"{Jobs}/{id}/batches", csv, "text/csv")).Status);
        var closed = await org.PatchAsync($"{Jobs}/{id}", """{"state":"UploadComplete"}""");
        Assert.Equal("UploadComplete", (string?)closed.Json["state"]);
        return id;
    }
}

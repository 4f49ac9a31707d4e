using System.Net;
using System.Text;
using Sluice.Emulators.Iterable.Tests.Support;

namespace Sluice.Emulators.Iterable.Tests;

/// <summary>The shared fault vocabulary in the Iterable emulator: writes applied whose answer is lost or late.</summary>
public sealed class FaultVocabularyTests
{
    [Fact]
    public async Task Apply_then_drop_stores_the_user_but_the_client_gets_a_connection_error()
    {
        await using var h = await Harness.StartAsync();
        Assert.Equal(HttpStatusCode.OK, (await h.PostAsync("/_emulator/faults", """{"applyThenDropRate":1}""")).Status);

        await Assert.ThrowsAsync<HttpRequestException>(() =>
            h.PostAsync("/api/users/bulkUpdate", """{"users":[{"email":"a@example.com","dataFields":{"plan":"pro"}}]}"""));

        Assert.Equal(HttpStatusCode.OK, (await h.PostAsync("/_emulator/faults", """{"applyThenDropRate":0}""")).Status);
        var found = await h.GetAsync("/api/users/getByEmail?email=a@example.com");
        Assert.Equal("pro", found.Json!["user"]!["dataFields"]!["plan"]!.GetValue<string>());
        var stats = (await h.GetAsync("/_emulator/stats")).Json!;
        Assert.Equal(1, stats["faultsInjected"]!["appliedThenDropped"]!.GetValue<long>());
        Assert.Equal(1, h.Emulator.FaultsInjected.AppliedThenDropped);
    }

    [Fact]
    public async Task Apply_then_delay_past_the_client_timeout_leaves_the_update_applied()
    {
        await using var h = await Harness.StartAsync(o => o.Faults.ApplyThenDelayRate = 1);
        using var client = new HttpClient { BaseAddress = h.Emulator.BaseUrl, Timeout = TimeSpan.FromMilliseconds(300) };
        client.DefaultRequestHeaders.Add("Api-Key", Harness.ApiKey);

        await Assert.ThrowsAnyAsync<TaskCanceledException>(() => client.PostAsync("/api/users/update",
            new StringContent("""{"email":"late@example.com","dataFields":{"plan":"basic"}}""", Encoding.UTF8, "application/json"),
            TestContext.Current.CancellationToken));

        await h.PostAsync("/_emulator/faults", """{"applyThenDelayRate":0}""");
        Assert.True(h.Emulator.TryGetUser("late@example.com", out var user));
        Assert.Equal("basic", user.DataFields["plan"]!.GetValue<string>());
    }

    [Fact]
    public async Task Apply_then_delay_answers_after_a_short_hold()
    {
        await using var h = await Harness.StartAsync();
        await h.PostAsync("/_emulator/faults", """{"applyThenDelayRate":1,"applyThenDelayMs":50}""");

        var answer = await h.PostAsync("/api/users/update", """{"email":"held@example.com"}""");

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal("Success", answer.Code);
    }

    [Fact]
    public async Task Requests_over_the_endpoint_budget_count_as_violations_even_with_limits_off()
    {
        var clock = new ManualTimeProvider();
        await using var h = await Harness.StartAsync(o =>
        {
            o.TimeProvider = clock;
            o.Limits.GetFieldsPerSecond = 2;
        });

        for (var i = 0; i < 5; i++)
            Assert.Equal(HttpStatusCode.OK, (await h.GetAsync("/api/users/getFields")).Status);

        var stats = (await h.GetAsync("/_emulator/stats")).Json!;
        Assert.Equal(3, stats["rateLimitViolations"]!.GetValue<long>());
        Assert.Equal(0, stats["rateLimited"]!.GetValue<long>());
    }

    [Fact]
    public async Task The_salesforce_only_bulk_job_delay_is_refused()
    {
        await using var h = await Harness.StartAsync();

        var answer = await h.PostAsync("/_emulator/faults", """{"bulkJobDelay":"00:01:00"}""");

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Contains("Salesforce", answer.Text, StringComparison.Ordinal);
    }
}

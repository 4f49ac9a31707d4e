using System.Net;

namespace Sluice.Emulators.Actito.Tests;

/// <summary>The shared fault vocabulary in the Actito emulator: applied-then-lost answers, durations as text, violation counts.</summary>
public sealed class FaultVocabularyTests
{
    [Fact]
    public async Task Apply_then_drop_stores_the_profile_but_the_client_gets_a_connection_error()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        Assert.Equal(HttpStatusCode.OK, (await h.CallAsync(HttpMethod.Post, "_emulator/faults", """{"applyThenDropRate":1}""")).Status);

        await Assert.ThrowsAsync<HttpRequestException>(() =>
            h.SendAsync(HttpMethod.Post, h.Profiles + "/profile", Harness.ProfileBody(("emailAddress", "lost@example.com"), ("customerId", "C-9"))));

        Assert.Equal(HttpStatusCode.OK, (await h.CallAsync(HttpMethod.Post, "_emulator/faults", """{"applyThenDropRate":0}""")).Status);
        var (status, profile) = await h.CallAsync(HttpMethod.Get, $"{h.Profiles}/profile/customerId=C-9");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("lost@example.com", Harness.Attribute(profile, "emailAddress"));
        var (_, stats) = await h.CallAsync(HttpMethod.Get, "_emulator/stats");
        Assert.Equal(1, (int)stats!["faultsInjected"]!["appliedThenDropped"]!);
    }

    [Fact]
    public async Task Apply_then_delay_past_the_client_timeout_leaves_the_profile_stored()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        await h.CallAsync(HttpMethod.Post, "_emulator/faults", """{"applyThenDelayRate":1,"applyThenDelay":"00:10:00"}""");
        using var client = new HttpClient { BaseAddress = h.Emulator.BaseUrl, Timeout = TimeSpan.FromMilliseconds(300) };
        client.DefaultRequestHeaders.Authorization = h.Http.DefaultRequestHeaders.Authorization;

        await Assert.ThrowsAnyAsync<TaskCanceledException>(() => client.PostAsync(h.Profiles + "/profile",
            new StringContent(Harness.ProfileBody(("emailAddress", "late@example.com"), ("customerId", "C-10")), System.Text.Encoding.UTF8, "application/json"),
            TestContext.Current.CancellationToken));

        await h.CallAsync(HttpMethod.Post, "_emulator/faults", """{"applyThenDelayRate":0}""");
        Assert.Equal(HttpStatusCode.OK, (await h.CallAsync(HttpMethod.Get, $"{h.Profiles}/profile/customerId=C-10")).Status);
    }

    [Theory]
    [InlineData("""{"latency":"00:00:00.200"}""")]
    [InlineData("""{"latency":200}""")]
    [InlineData("""{"latencyMs":200}""")]
    [InlineData("""{"LatencyMs":200}""")]
    public async Task Latency_is_accepted_as_a_TimeSpan_string_or_milliseconds(string json)
    {
        await using var h = await Harness.StartAsync();

        var (status, faults) = await h.CallAsync(HttpMethod.Post, "_emulator/faults", json);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(200, (double)faults!["latencyMs"]!);
        Assert.Equal("00:00:00.2000000", (string?)faults["latency"]);
        Assert.Equal(TimeSpan.FromMilliseconds(200), h.Emulator.Faults.Latency);
    }

    [Theory]
    [InlineData("""{"bulkJobDelay":"00:01:00"}""", "Salesforce emulator only")]
    [InlineData("""{"latency":"soon"}""", "duration")]
    [InlineData("""{"errorRate":1.5}""", "between 0 and 1")]
    [InlineData("""{"errorRate":0.5,"throttleBurstLength":0}""", "at least 1")]
    public async Task A_bad_fault_setting_is_refused_and_changes_nothing(string json, string reason)
    {
        await using var h = await Harness.StartAsync();

        var (status, body) = await h.CallAsync(HttpMethod.Post, "_emulator/faults", json);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(reason, body!.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(0, h.Emulator.Faults.ErrorRate);
        Assert.False(h.Emulator.Faults.Any);
    }

    [Fact]
    public async Task Calls_over_the_per_minute_limit_count_as_violations_even_with_limits_off()
    {
        await using var h = await (await Harness.StartAsync(o => o.CallsPerMinute = 3)).AuthenticateAsync(); // token = call 1

        for (var i = 0; i < 4; i++)
            Assert.Equal(HttpStatusCode.OK, (await h.CallAsync(HttpMethod.Get, "v5/entities")).Status);

        var (_, stats) = await h.CallAsync(HttpMethod.Get, "_emulator/stats");
        Assert.Equal(2, (int)stats!["rateLimitViolations"]!);
        Assert.Equal(0, (int)stats["throttledCalls"]!);
        Assert.Equal(2, h.Emulator.GetStats().RateLimitViolations);
    }
}

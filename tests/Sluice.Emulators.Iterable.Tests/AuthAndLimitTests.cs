using System.Net;
using Sluice.Emulators.Iterable.Tests.Support;

namespace Sluice.Emulators.Iterable.Tests;

public sealed class AuthAndLimitTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("wrong-key")]
    public async Task A_missing_or_wrong_key_is_401_BadApiKey_without_echoing_the_key(string? key)
    {
        await using var h = await Harness.StartAsync();
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/users/getFields");
        h.Http.DefaultRequestHeaders.Remove("Api-Key");
        if (key is not null)
            request.Headers.Add("Api-Key", key);

        var answer = await h.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, answer.Status);
        Assert.Equal("BadApiKey", answer.Code);
        Assert.DoesNotContain(Harness.ApiKey, answer.Text);
        if (key is not null)
            Assert.DoesNotContain(key, answer.Text);
    }

    [Fact]
    public async Task The_key_is_also_accepted_in_the_Api_Key_header_with_an_underscore()
    {
        await using var h = await Harness.StartAsync();
        h.Http.DefaultRequestHeaders.Remove("Api-Key");
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/users/getFields");
        request.Headers.Add("Api_Key", Harness.ApiKey);

        var answer = await h.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, answer.Status);
    }

    [Fact]
    public async Task GetFields_allows_three_requests_per_second_then_answers_429_until_the_bucket_drains()
    {
        var clock = new ManualTimeProvider();
        await using var h = await Harness.StartAsync(o =>
        {
            o.RateLimits = true;
            o.TimeProvider = clock;
        });

        var first = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
            first.Add((await h.GetAsync("/api/users/getFields")).Status);
        var throttled = await h.GetAsync("/api/users/getFields");
        clock.Advance(TimeSpan.FromSeconds(1));
        var afterDrain = await h.GetAsync("/api/users/getFields");

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], first);
        Assert.Equal("RateLimitExceeded", throttled.Code);
        Assert.Null(throttled.RetryAfter);
        Assert.Equal(HttpStatusCode.OK, afterDrain.Status);
        Assert.Equal(2, h.Emulator.GetStats().RateLimited);
    }

    [Fact]
    public async Task BulkUpdate_allows_five_requests_per_second_and_can_send_Retry_After()
    {
        var clock = new ManualTimeProvider();
        await using var h = await Harness.StartAsync(o =>
        {
            o.RateLimits = true;
            o.RetryAfterOnThrottle = true;
            o.TimeProvider = clock;
        });

        for (var i = 0; i < 5; i++)
            Assert.Equal(HttpStatusCode.OK, (await h.PostAsync("/api/users/bulkUpdate", """{"users":[{"email":"a@example.com"}]}""")).Status);
        var throttled = await h.PostAsync("/api/users/bulkUpdate", """{"users":[{"email":"a@example.com"}]}""");
        var otherEndpoint = await h.PostAsync("/api/users/update", """{"email":"a@example.com"}""");

        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.Status);
        Assert.Equal(TimeSpan.FromSeconds(1), throttled.RetryAfter);
        Assert.Equal(HttpStatusCode.OK, otherEndpoint.Status);
        Assert.Equal(5, h.Emulator.GetStats().UsersReceived[IterableEndpoint.BulkUpdate]);
    }

    [Fact]
    public async Task Rate_limits_switched_off_never_throttle()
    {
        var clock = new ManualTimeProvider();
        await using var h = await Harness.StartAsync(o => o.TimeProvider = clock);

        for (var i = 0; i < 10; i++)
            Assert.Equal(HttpStatusCode.OK, (await h.GetAsync("/api/users/getFields")).Status);
    }

    [Fact]
    public async Task Options_without_an_api_key_are_refused_at_start()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            IterableEmulator.StartAsync(new IterableEmulatorOptions(), TestContext.Current.CancellationToken));

        Assert.Contains("ApiKey", error.Message);
    }
}

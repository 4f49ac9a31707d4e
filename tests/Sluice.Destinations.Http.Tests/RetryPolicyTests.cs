using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Sluice.Destinations.Tests.Support;

namespace Sluice.Destinations.Http.Tests;

public sealed class RetryPolicyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record Answer(int Status, TimeSpan? RetryAfter = null);

    private static Verdict Judge(Answer a) =>
        a.Status is 429 or >= 500 ? Verdict.Transient($"HTTP {a.Status}", a.RetryAfter) : Verdict.Final;

    /// <summary>Runs <paramref name="answers"/> in turn (the last repeats) under a policy on simulated time.</summary>
    private static async Task<(Answer Last, int Attempts, TimeSpan Waited, CapturedLogs Logs)> RunAsync(RetryLimits limits, params Answer[] answers)
    {
        await using var time = new SimulatedTime();
        var logs = new CapturedLogs();
        var policy = new RetryPolicy<Answer>("Test", limits, time, logs.CreateLogger("test"));
        var attempts = 0;
        var start = time.GetTimestamp();
        var last = await policy.ExecuteAsync("the call", answers,
            (a, _) => ValueTask.FromResult(a[Math.Min(Interlocked.Increment(ref attempts) - 1, a.Length - 1)]),
            (_, a) => Judge(a), Ct);
        return (last, attempts, time.GetElapsedTime(start), logs);
    }

    [Fact]
    public async Task Retry_After_sets_each_wait_and_every_retry_is_reported_at_Information()
    {
        var (last, attempts, waited, logs) = await RunAsync(new RetryLimits(),
            new Answer(429, TimeSpan.FromSeconds(7)), new Answer(503, TimeSpan.FromSeconds(90)), new Answer(200));

        Assert.Equal(200, last.Status);
        Assert.Equal(3, attempts);
        Assert.Equal(TimeSpan.FromSeconds(97), waited);
        Assert.Equal([TimeSpan.FromSeconds(7), TimeSpan.FromSeconds(90)], logs.Retries.Select(r => r.Wait));
        Assert.All(logs.Retries, r => Assert.Equal(LogLevel.Information, r.Level));
        Assert.Equal("Test: the call failed (HTTP 429); retry 1 of 8 in 7 s", logs.Retries[0].Message);
    }

    [Fact]
    public async Task Without_Retry_After_the_waits_back_off_exponentially_up_to_the_limit_then_the_last_answer_stands()
    {
        var limits = new RetryLimits { MaxRetries = 6, BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(10) };
        var (last, attempts, _, logs) = await RunAsync(limits, new Answer(500));

        Assert.Equal(500, last.Status);
        Assert.Equal(7, attempts);
        var waits = logs.Retries.Select(r => r.Wait).ToArray();
        Assert.Equal(6, waits.Length);
        for (var i = 0; i < waits.Length; i++)
        {
            // Equal jitter: between half and all of min(max, base * 2^n).
            var ceiling = Math.Min(10, Math.Pow(2, i));
            Assert.InRange(waits[i].TotalSeconds, ceiling / 2, ceiling);
        }
        Assert.True(waits[3] > waits[0]);
    }

    [Fact]
    public async Task A_tighter_limit_of_one_failure_kind_and_final_answers_are_respected()
    {
        var policy = new RetryLimits();
        await using var time = new SimulatedTime();
        var retry = new RetryPolicy<Answer>("Test", policy, time, new CapturedLogs());
        var attempts = 0;
        var quota = await retry.ExecuteAsync("submit", 0, (_, _) =>
        {
            attempts++;
            return ValueTask.FromResult(new Answer(429));
        }, (_, _) => Verdict.Transient("HTTP 429", maxRetries: 2), Ct);
        Assert.Equal(3, attempts);

        attempts = 0;
        var refused = await retry.ExecuteAsync("read", 0, (_, _) =>
        {
            attempts++;
            return ValueTask.FromResult(new Answer(400));
        }, (_, a) => Judge(a), Ct);
        Assert.Equal(1, attempts);
        Assert.Equal(400, refused.Status);
        Assert.Equal(429, quota.Status);
    }

    [Fact]
    public async Task A_refused_connection_is_retried_twice_quickly_then_fails()
    {
        // A port nothing listens on: the connection is refused at once.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        await using var time = new SimulatedTime();
        var logs = new CapturedLogs();
        using var http = time.Services().HttpClientFactory();
        var policy = new RetryPolicy<Answer>("Test", new RetryLimits(), time, logs.CreateLogger("test"));
        var attempts = 0;
        var start = time.GetTimestamp();

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => policy.ExecuteAsync("the call", http, async (h, ct) =>
        {
            Interlocked.Increment(ref attempts);
            using var response = await h.GetAsync(new Uri($"http://127.0.0.1:{port}/"), ct);
            return new Answer((int)response.StatusCode);
        }, (_, a) => Judge(a), Ct));

        Assert.True(Transport.IsUnreachable(error));
        Assert.Equal(3, attempts);
        Assert.Equal(2, logs.Retries.Count);
        Assert.All(logs.Retries, r => Assert.Contains("connection refused", r.Message, StringComparison.Ordinal));
        // Simulated time, not the machine's: the whole patience for a refused connection is a few seconds.
        Assert.True(time.GetElapsedTime(start) < TimeSpan.FromSeconds(5), $"waited {time.GetElapsedTime(start)}");
    }

    [Fact]
    public async Task A_call_that_creates_something_is_not_resent_after_a_lost_connection_but_is_after_a_refused_one()
    {
        await using var time = new SimulatedTime();
        var policy = new RetryPolicy<Answer>("Test", new RetryLimits(), time, new CapturedLogs());
        var attempts = 0;
        await Assert.ThrowsAsync<HttpRequestException>(() => policy.ExecuteAsync("create", 0, (_, _) =>
        {
            attempts++;
            throw new HttpRequestException(HttpRequestError.ResponseEnded);
        }, (_, a) => Judge(a), Ct, resendIsSafe: false));
        Assert.Equal(1, attempts);

        attempts = 0;
        var answer = await policy.ExecuteAsync("create", 0, (_, _) =>
        {
            if (++attempts == 1)
                throw new HttpRequestException(HttpRequestError.ConnectionError, "refused", new SocketException((int)SocketError.ConnectionRefused));
            return ValueTask.FromResult(new Answer(201));
        }, (_, a) => Judge(a), Ct, resendIsSafe: false);
        Assert.Equal(2, attempts);
        Assert.Equal(201, answer.Status);
    }

    [Fact]
    public async Task The_callers_cancellation_is_not_retried()
    {
        await using var time = new SimulatedTime();
        var policy = new RetryPolicy<Answer>("Test", new RetryLimits(), time, new CapturedLogs());
        using var cts = new CancellationTokenSource();
        var attempts = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => policy.ExecuteAsync("call", 0, (_, ct) =>
        {
            attempts++;
            cts.Cancel();
            ct.ThrowIfCancellationRequested();
            return ValueTask.FromResult(new Answer(200));
        }, (_, a) => Judge(a), cts.Token));
        Assert.Equal(1, attempts);
    }
}

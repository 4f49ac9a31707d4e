using Microsoft.Extensions.Time.Testing;
using Sluice.Destinations.Tests.Support;

namespace Sluice.Destinations.Http.Tests;

public sealed class RequestPacerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_burst_goes_at_once_then_calls_follow_at_the_rate_of_the_injected_clock()
    {
        await using var time = new SimulatedTime();
        var pacer = new RequestPacer(burst: 2, perSecond: 5, time);
        var start = time.GetTimestamp();
        var at = new List<TimeSpan>();
        for (var i = 0; i < 10; i++)
        {
            await pacer.WaitAsync(Ct);
            at.Add(time.GetElapsedTime(start));
        }

        Assert.Equal(TimeSpan.Zero, at[1]);
        for (var i = 2; i < at.Count; i++)
            Assert.Equal((i - 1) * 200, at[i].TotalMilliseconds, 3);
    }

    [Fact]
    public async Task Concurrent_callers_get_distinct_slots_and_never_exceed_the_rate_in_any_window()
    {
        await using var time = new SimulatedTime();
        var pacer = RequestPacer.Every(5, TimeSpan.FromMinutes(1), time); // 5 a minute, burst 5
        var start = time.GetTimestamp();
        var at = new System.Collections.Concurrent.ConcurrentBag<TimeSpan>();
        await Task.WhenAll(Enumerable.Range(0, 23).Select(async _ =>
        {
            await pacer.WaitAsync(Ct);
            at.Add(time.GetElapsedTime(start));
        }));

        var sorted = at.Order().ToArray();
        Assert.Equal(23, sorted.Length);
        foreach (var from in sorted)
            Assert.True(sorted.Count(t => t >= from && t < from + TimeSpan.FromMinutes(1)) <= 10, "burst + rate per minute");
        Assert.Equal(TimeSpan.FromMinutes(3.6), sorted[^1]); // 18 calls after the burst at 12 s each
    }

    [Fact]
    public async Task A_cancelled_wait_gives_its_slot_back()
    {
        // A clock that moves only when told: the simulated one could run the wait out before the cancel lands.
        var time = new FakeTimeProvider();
        var pacer = new RequestPacer(burst: 1, perSecond: 1, time);
        await pacer.WaitAsync(Ct);
        using var cts = new CancellationTokenSource();
        var waiting = pacer.WaitAsync(cts.Token).AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        var next = pacer.WaitAsync(Ct).AsTask();
        time.Advance(TimeSpan.FromSeconds(1));
        // Within one second: the cancelled wait's slot went back instead of pushing this one a second further.
        await next.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.True(next.IsCompletedSuccessfully);
    }
}

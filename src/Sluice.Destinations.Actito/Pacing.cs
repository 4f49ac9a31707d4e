using System.Threading.RateLimiting;

namespace Sluice.Destinations.Actito;

/// <summary>
/// Client-side pacing of every HTTP call, retries included: at most <c>calls_per_minute</c> calls in any 60 seconds
/// (Actito throttles above 100/minute) and at most <c>max_concurrent_requests</c> in flight (Actito answers 429 above 5).
/// </summary>
internal sealed class Pacing : IAsyncDisposable
{
    private readonly TokenBucketRateLimiter _rate;
    private readonly ConcurrencyLimiter _concurrency;

    public Pacing(int callsPerMinute, int maxConcurrentRequests)
    {
        // A bucket of B tokens refilled at R per minute lets through at most B + R calls in any 60 s window,
        // so B + R (+1 for a refill on the window's edge) stays within the limit while allowing a small burst.
        var burst = Math.Clamp(callsPerMinute / 20, 1, 50);
        var perMinute = Math.Max(1, callsPerMinute - burst - 1);
        TimeSpan period;
        int tokensPerPeriod;
        if (perMinute <= 600)
        {
            period = TimeSpan.FromMinutes(1) / perMinute;
            tokensPerPeriod = 1;
        }
        else
        {
            period = TimeSpan.FromMilliseconds(100);
            tokensPerPeriod = perMinute / 600;
        }
        _rate = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(burst, tokensPerPeriod),
            TokensPerPeriod = tokensPerPeriod,
            ReplenishmentPeriod = period,
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });
        _concurrency = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = maxConcurrentRequests,
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    /// <summary>Waits for a call slot; dispose the result when the response has been read.</summary>
    public async ValueTask<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        using (var rate = await _rate.AcquireAsync(1, cancellationToken).ConfigureAwait(false))
        {
            if (!rate.IsAcquired) throw new InvalidOperationException("The call pacing queue is full.");
        }
        var slot = await _concurrency.AcquireAsync(1, cancellationToken).ConfigureAwait(false);
        if (!slot.IsAcquired)
        {
            slot.Dispose();
            throw new InvalidOperationException("The concurrent request queue is full.");
        }
        return slot;
    }

    public async ValueTask DisposeAsync()
    {
        await _rate.DisposeAsync().ConfigureAwait(false);
        await _concurrency.DisposeAsync().ConfigureAwait(false);
    }
}

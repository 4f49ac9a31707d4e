using System.Threading.RateLimiting;
using Sluice.Destinations.Http;

namespace Sluice.Destinations.Actito;

/// <summary>
/// Client-side pacing of every HTTP call, retries included: at most <c>calls_per_minute</c> calls in any 60 seconds
/// (Actito throttles above 100/minute) and at most <c>max_concurrent_requests</c> in flight (Actito answers 429 above 5).
/// The rate runs on the injected clock.
/// </summary>
internal sealed class Pacing : IAsyncDisposable
{
    private readonly RequestPacer _rate;
    private readonly ConcurrencyLimiter _concurrency;

    public Pacing(int callsPerMinute, int maxConcurrentRequests, TimeProvider time)
    {
        // A bucket of B tokens refilled at R per minute lets through at most B + R calls in any 60 s window,
        // so B + R (+1 for a call on the window's edge) stays within the limit while allowing a small burst.
        var (burst, perMinute) = Rate(callsPerMinute);
        _rate = new RequestPacer(burst, perMinute / 60.0, time, "Actito");
        _concurrency = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = maxConcurrentRequests,
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    /// <summary>The token bucket for a per-minute limit: its burst and its refill per minute.</summary>
    public static (int Burst, int PerMinute) Rate(int callsPerMinute)
    {
        var burst = Math.Clamp(callsPerMinute / 20, 1, 50);
        return (burst, Math.Max(1, callsPerMinute - burst - 1));
    }

    /// <summary>Waits for a call slot; dispose the result when the response has been read.</summary>
    public async ValueTask<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        await _rate.WaitAsync(cancellationToken).ConfigureAwait(false);
        var slot = await _concurrency.AcquireAsync(1, cancellationToken).ConfigureAwait(false);
        if (!slot.IsAcquired)
        {
            slot.Dispose();
            throw new InvalidOperationException("The concurrent request queue is full.");
        }
        return slot;
    }

    public ValueTask DisposeAsync() => _concurrency.DisposeAsync();
}

namespace Sluice.Destinations.Http;

/// <summary>
/// A token bucket on the injected clock: <c>burst</c> calls at once, then <c>perSecond</c>, refilled continuously
/// from <see cref="TimeProvider.GetTimestamp"/> (no replenishment timer). Callers queue in arrival order: each one
/// reserves the next slot and waits for it, so a host's or a test's clock drives the pace. Thread-safe.
/// </summary>
public sealed class RequestPacer
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly double _burst;
    private readonly double _perSecond;
    private double _tokens;
    private long _stamp;
    private readonly ApiTelemetry? _telemetry;

    /// <param name="service">The service paced, for the <c>sluice.api.pacing.wait</c> metric; not measured when null.</param>
    public RequestPacer(int burst, double perSecond, TimeProvider time, string? service = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(burst, 1);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perSecond);
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _burst = burst;
        _perSecond = perSecond;
        _tokens = burst;
        _stamp = time.GetTimestamp();
        _telemetry = service is null ? null : new ApiTelemetry(service);
    }

    /// <summary>A bucket that lets <paramref name="tokens"/> calls through every <paramref name="period"/>, with that burst.</summary>
    public static RequestPacer Every(int tokens, TimeSpan period, TimeProvider time, string? service = null) =>
        new(tokens, tokens / period.TotalSeconds, time, service);

    /// <summary>Waits for this call's slot.</summary>
    public async ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        TimeSpan wait;
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            _tokens = Math.Min(_burst, _tokens + (_time.GetElapsedTime(_stamp, now).TotalSeconds * _perSecond));
            _stamp = now;
            _tokens -= 1;
            wait = _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / _perSecond);
        }
        if (wait <= TimeSpan.Zero)
            return;
        _telemetry?.Paced(wait);
        try
        {
            await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            lock (_gate)
                _tokens = Math.Min(_burst, _tokens + 1); // the slot was never used
            throw;
        }
    }
}

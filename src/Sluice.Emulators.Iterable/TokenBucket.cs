namespace Sluice.Emulators.Iterable;

/// <summary>
/// A leaky/token bucket holding one second's budget: requests take a token, tokens refill continuously at the
/// rate. Iterable is documented to drain a leaky bucket, so a client that paces itself never sees a 429.
/// </summary>
internal sealed class TokenBucket
{
    private readonly object _gate = new();
    private readonly TimeProvider _time;
    private readonly double _ratePerSecond;
    private readonly double _capacity;
    private double _tokens;
    private long _last;

    public TokenBucket(double ratePerSecond, TimeProvider time)
    {
        _time = time;
        _ratePerSecond = ratePerSecond;
        _capacity = Math.Max(1, ratePerSecond);
        _tokens = _capacity;
        _last = time.GetTimestamp();
    }

    /// <summary>Takes a token, or says how long until one is available.</summary>
    public bool TryTake(out TimeSpan wait)
    {
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            var elapsed = _time.GetElapsedTime(_last, now).TotalSeconds;
            _last = now;
            _tokens = Math.Min(_capacity, _tokens + elapsed * _ratePerSecond);
            if (_tokens >= 1)
            {
                _tokens -= 1;
                wait = TimeSpan.Zero;
                return true;
            }
            wait = TimeSpan.FromSeconds((1 - _tokens) / _ratePerSecond);
            return false;
        }
    }

    public void Refill()
    {
        lock (_gate)
        {
            _tokens = _capacity;
            _last = _time.GetTimestamp();
        }
    }
}

namespace Sluice.Emulators.Iterable.Tests.Support;

/// <summary>A clock that only moves when told to, so rate limits and read lag are tested without sleeping.</summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private readonly object _gate = new();
    private DateTimeOffset _now = new(2024, 5, 6, 7, 8, 9, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate) return _now;
    }

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp()
    {
        lock (_gate) return _now.UtcTicks;
    }

    public void Advance(TimeSpan by)
    {
        lock (_gate) _now += by;
    }
}

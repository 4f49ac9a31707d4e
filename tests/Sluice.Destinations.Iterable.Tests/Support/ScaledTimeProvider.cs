using System.Collections.Concurrent;

namespace Sluice.Destinations.Iterable.Tests.Support;

/// <summary>
/// The system clock, except that every timer (retry backoff, Retry-After waits) runs 100 times faster, and the
/// delays asked for are recorded. Lets tests check which waits the client chose without waiting them out.
/// </summary>
internal sealed class ScaledTimeProvider : TimeProvider
{
    private const int Factor = 100;

    public ConcurrentQueue<TimeSpan> RequestedDelays { get; } = new();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        if (dueTime > TimeSpan.Zero && dueTime != Timeout.InfiniteTimeSpan)
            RequestedDelays.Enqueue(dueTime);
        return base.CreateTimer(callback, state, Scale(dueTime), Scale(period));
    }

    private static TimeSpan Scale(TimeSpan span) =>
        span <= TimeSpan.Zero || span == Timeout.InfiniteTimeSpan ? span : span / Factor;
}

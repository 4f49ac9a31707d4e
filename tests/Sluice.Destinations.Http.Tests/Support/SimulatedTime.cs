using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Sluice.Core.Destinations;

namespace Sluice.Destinations.Tests.Support;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that moves itself like a discrete-event simulation: whenever no HTTP request of
/// the destination is in flight and the code is only waiting (backoff, Retry-After, pacing, polling), it jumps to
/// the earliest pending timer, so every wait fires exactly at its due time without being waited out. Records every
/// wait asked for. Give the same instance to an emulator to run its rate limits on the same clock (as long as the
/// emulator itself doesn't wait on it while answering). The driver only runs while a timer is pending, so an
/// instance that is never disposed leaves nothing running.
/// </summary>
internal sealed class SimulatedTime : FakeTimeProvider, IAsyncDisposable
{
    private readonly Lock _gate = new();
    // Held while a timer is registered and while the clock moves (re-entrant: a timer fired may register the next).
    private readonly Lock _advance = new();
    private readonly List<Pending> _pending = [];
    // Not disposed: DisposeAsync only cancels, and a driver may still be checking it.
    private readonly CancellationTokenSource _stop = new();
    private int _driving;
    private int _inFlight;
    private long _activity;

    public SimulatedTime()
        : base(new DateTimeOffset(2025, 3, 1, 9, 0, 0, TimeSpan.Zero))
    {
    }

    /// <summary>Every timer duration asked for, in order (retry waits, pacing waits, polls).</summary>
    public ConcurrentQueue<TimeSpan> Waits { get; } = new();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        if (dueTime <= TimeSpan.Zero || dueTime == Timeout.InfiniteTimeSpan || period != Timeout.InfiniteTimeSpan)
            return base.CreateTimer(callback, state, dueTime, period);
        Waits.Enqueue(dueTime);
        Pending pending;
        ITimer timer;
        // The due time the driver jumps to and the one the fake timer is set for must be read at the same instant: if the
        // clock moved in between, the driver would keep jumping to a time already passed while the timer waits later.
        lock (_advance)
        {
            pending = new Pending(GetUtcNow() + dueTime);
            lock (_gate)
                _pending.Add(pending);
            timer = base.CreateTimer(s =>
            {
                Forget(pending);
                callback(s);
            }, state, dueTime, period);
        }
        Interlocked.Increment(ref _activity);
        if (Interlocked.CompareExchange(ref _driving, 1, 0) == 0)
            _ = Task.Run(DriveAsync);
        return new Tracked(timer, () => Forget(pending));
    }

    /// <summary>Services for a destination under test: this clock, HTTP whose requests hold the clock still, a logger.</summary>
    public DestinationServices Services(ILoggerFactory? logs = null) => new()
    {
        TimeProvider = this,
        HttpClientFactory = () => new HttpClient(new HoldClock(this) { InnerHandler = new SocketsHttpHandler() }),
        LoggerFactory = logs ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance,
    };

    public async ValueTask DisposeAsync() => await _stop.CancelAsync();

    private void Forget(Pending pending)
    {
        lock (_gate)
            _pending.Remove(pending);
        Interlocked.Increment(ref _activity);
    }

    private async Task DriveAsync()
    {
        var quietSince = -1L;
        var stuckPolls = 0;
        while (!_stop.IsCancellationRequested)
        {
            await Task.Delay(1, CancellationToken.None);
            lock (_gate)
            {
                if (_pending.Count == 0)
                {
                    // Nobody waits: stop; the next timer starts a new driver.
                    Volatile.Write(ref _driving, 0);
                    return;
                }
            }
            var activity = Interlocked.Read(ref _activity);
            if (activity != quietSince)
            {
                quietSince = activity;
                stuckPolls = 0;
                continue;
            }
            // Two polls in a row with nothing in flight and nothing new: everyone left is waiting on a timer. A request
            // in flight with nothing happening for a long while is waiting on this clock too (an emulator slowing an
            // answer down): move on rather than hang.
            if (Volatile.Read(ref _inFlight) > 0 && ++stuckPolls < 250)
                continue;
            DateTimeOffset? next;
            lock (_gate)
                next = _pending.Count == 0 ? null : _pending.Min(p => p.Due);
            if (next is { } due)
            {
                lock (_advance)
                {
                    if (due > GetUtcNow())
                        SetUtcNow(due);
                }
            }
        }
    }

    private sealed class Pending(DateTimeOffset due)
    {
        public DateTimeOffset Due { get; } = due;
    }

    private sealed class Tracked(ITimer inner, Action forget) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(dueTime, period);

        public void Dispose()
        {
            forget();
            inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            forget();
            return inner.DisposeAsync();
        }
    }

    private sealed class HoldClock(SimulatedTime clock) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref clock._inFlight);
            try
            {
                var response = await base.SendAsync(request, cancellationToken);
                // Read here so the clock stays still until the answer is in the client's hands.
                await response.Content.LoadIntoBufferAsync(cancellationToken);
                return response;
            }
            finally
            {
                Interlocked.Increment(ref clock._activity);
                Interlocked.Decrement(ref clock._inFlight);
            }
        }
    }
}

using Microsoft.AspNetCore.Http;

namespace Sluice.Emulators;

/// <summary>
/// Decides, request by request, which injected fault (if any) applies. Thread-safe; one per emulator.
/// Options can be changed while the emulator runs (tests switch faults on mid-run).
/// </summary>
public sealed class FaultInjector
{
    private readonly object _gate = new();
    private readonly long[] _counts = new long[Enum.GetValues<InjectedFault>().Length];
    private Random _random;
    private long _requests;
    private int _burstLeft;

    public FaultInjector(FaultOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        _random = options.Seed is { } seed ? new Random(seed) : new Random();
    }

    public FaultOptions Options { get; }

    /// <summary>Picks the fault for the next request (and counts it).</summary>
    public InjectedFault Next()
    {
        var fault = Pick();
        if (fault != InjectedFault.None)
            Interlocked.Increment(ref _counts[(int)fault]);
        return fault;
    }

    private InjectedFault Pick()
    {
        lock (_gate)
        {
            var options = Options;
            _requests++;
            if (_burstLeft > 0)
            {
                _burstLeft--;
                return InjectedFault.Throttle;
            }
            if (options.ThrottleBurstEvery > 0 && _requests % options.ThrottleBurstEvery == 0)
            {
                _burstLeft = Math.Max(0, options.ThrottleBurstLength - 1);
                return InjectedFault.Throttle;
            }
            if (options.DropConnectionRate > 0 && _random.NextDouble() < options.DropConnectionRate)
                return InjectedFault.DropConnection;
            if (options.ErrorRate > 0 && _random.NextDouble() < options.ErrorRate)
                return InjectedFault.ServerError;
            if (options.ApplyThenDropRate > 0 && _random.NextDouble() < options.ApplyThenDropRate)
                return InjectedFault.ApplyThenDrop;
            if (options.ApplyThenDelayRate > 0 && _random.NextDouble() < options.ApplyThenDelayRate)
                return InjectedFault.ApplyThenDelay;
            return InjectedFault.None;
        }
    }

    /// <summary>Reseeds the random source (for replaying a fault script from a known point).</summary>
    public void Reseed(int seed)
    {
        lock (_gate) _random = new Random(seed);
    }

    /// <summary>How many of each fault were injected since start or <see cref="ResetCounts"/>.</summary>
    public InjectedFaultCounts Counts => new()
    {
        ServerErrors = Interlocked.Read(ref _counts[(int)InjectedFault.ServerError]),
        Throttles = Interlocked.Read(ref _counts[(int)InjectedFault.Throttle]),
        DroppedConnections = Interlocked.Read(ref _counts[(int)InjectedFault.DropConnection]),
        AppliedThenDropped = Interlocked.Read(ref _counts[(int)InjectedFault.ApplyThenDrop]),
        AppliedThenDelayed = Interlocked.Read(ref _counts[(int)InjectedFault.ApplyThenDelay]),
    };

    public void ResetCounts()
    {
        for (var i = 0; i < _counts.Length; i++)
            Interlocked.Exchange(ref _counts[i], 0);
    }
}

public enum InjectedFault
{
    None,
    ServerError,
    Throttle,
    DropConnection,

    /// <summary>Processed, then the connection is reset before the answer is sent.</summary>
    ApplyThenDrop,

    /// <summary>Processed, then the answer is held for <see cref="FaultOptions.ApplyThenDelay"/>.</summary>
    ApplyThenDelay,
}

/// <summary>Faults injected so far, by kind.</summary>
public sealed record InjectedFaultCounts
{
    public long ServerErrors { get; init; }
    public long Throttles { get; init; }
    public long DroppedConnections { get; init; }
    public long AppliedThenDropped { get; init; }
    public long AppliedThenDelayed { get; init; }
}

/// <summary>How a service words the faults it injects: each emulator writes its own error bodies.</summary>
public interface IFaultResponder
{
    Task WriteServerErrorAsync(HttpContext context);

    Task WriteThrottledAsync(HttpContext context, int? retryAfterSeconds);
}

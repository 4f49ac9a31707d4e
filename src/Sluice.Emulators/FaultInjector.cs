using Microsoft.AspNetCore.Http;

namespace Sluice.Emulators;

/// <summary>
/// Decides, request by request, which injected fault (if any) applies. Thread-safe; one per emulator.
/// Options can be changed while the emulator runs (tests switch faults on mid-run).
/// </summary>
public sealed class FaultInjector
{
    private readonly object _gate = new();
    private Random _random;
    private long _requests;
    private int _burstLeft;

    public FaultInjector(FaultOptions options)
    {
        Options = options;
        _random = options.Seed is { } seed ? new Random(seed) : new Random();
    }

    public FaultOptions Options { get; }

    /// <summary>Picks the fault for the next request.</summary>
    public InjectedFault Next()
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
            return InjectedFault.None;
        }
    }

    /// <summary>Reseeds the random source (for replaying a fault script from a known point).</summary>
    public void Reseed(int seed)
    {
        lock (_gate) _random = new Random(seed);
    }
}

public enum InjectedFault
{
    None,
    ServerError,
    Throttle,
    DropConnection,
}

/// <summary>How a service words the faults it injects: each emulator writes its own error bodies.</summary>
public interface IFaultResponder
{
    Task WriteServerErrorAsync(HttpContext context);

    Task WriteThrottledAsync(HttpContext context, int? retryAfterSeconds);
}

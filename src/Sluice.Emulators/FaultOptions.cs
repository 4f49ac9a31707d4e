namespace Sluice.Emulators;

/// <summary>
/// Failures an emulator injects on purpose, so clients can be tested against the faults a real
/// service produces only on its bad days. All off by default.
/// </summary>
public sealed class FaultOptions
{
    /// <summary>Share of requests (0..1) answered with a 5xx error instead of being processed.</summary>
    public double ErrorRate { get; set; }

    /// <summary>Extra delay added before every request is processed.</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>
    /// When above zero, every <see cref="ThrottleBurstEvery"/>-th request starts a burst of
    /// <see cref="ThrottleBurstLength"/> consecutive 429 answers.
    /// </summary>
    public int ThrottleBurstEvery { get; set; }

    /// <summary>How many consecutive requests a throttle burst answers with 429.</summary>
    public int ThrottleBurstLength { get; set; } = 3;

    /// <summary>Seconds sent in <c>Retry-After</c> with injected 429s; null sends no header.</summary>
    public int? ThrottleRetryAfterSeconds { get; set; } = 1;

    /// <summary>Share of requests (0..1) whose connection is dropped without an answer.</summary>
    public double DropConnectionRate { get; set; }

    /// <summary>Seed for the random choices, so a fault script can be replayed.</summary>
    public int? Seed { get; set; }

    /// <summary>True when any fault is switched on.</summary>
    public bool Any =>
        ErrorRate > 0 || Latency > TimeSpan.Zero || ThrottleBurstEvery > 0 || DropConnectionRate > 0;
}

namespace Sluice.Emulators;

/// <summary>
/// Failures an emulator injects on purpose, so clients can be tested against the faults a real
/// service produces only on its bad days. All off by default. The same names (camelCase) are used in
/// <c>POST /_emulator/faults</c> and in <c>sluice emulate ... --faults JSON</c>; see docs/emulator-faults.md.
/// </summary>
public sealed class FaultOptions
{
    /// <summary>Default hold of an <see cref="ApplyThenDelayRate"/> answer: past HttpClient's default 100-second timeout.</summary>
    public static readonly TimeSpan DefaultApplyThenDelay = TimeSpan.FromMinutes(2);

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

    /// <summary>Share of requests (0..1) whose connection is dropped without an answer, before anything is processed.</summary>
    public double DropConnectionRate { get; set; }

    /// <summary>
    /// Share of requests (0..1) that are fully processed (writes land in the store) and whose connection is then
    /// reset before any byte of the answer leaves: the client sees a connection error for a write that happened.
    /// </summary>
    public double ApplyThenDropRate { get; set; }

    /// <summary>
    /// Share of requests (0..1) that are fully processed and whose answer is then held for <see cref="ApplyThenDelay"/>
    /// before being sent, long enough for the client to give up (a timeout for a write that happened).
    /// </summary>
    public double ApplyThenDelayRate { get; set; }

    /// <summary>How long an <see cref="ApplyThenDelayRate"/> answer is held. Default 2 minutes.</summary>
    public TimeSpan ApplyThenDelay { get; set; } = DefaultApplyThenDelay;

    /// <summary>
    /// Salesforce only: how long a closed Bulk API 2.0 ingest job stays <c>InProgress</c> before it is processed
    /// (its records are not in the store until then). Zero (the default) processes a job as soon as it is closed.
    /// </summary>
    public TimeSpan BulkJobDelay { get; set; }

    /// <summary>Seed for the random choices, so a fault script can be replayed.</summary>
    public int? Seed { get; set; }

    /// <summary>True when any fault is switched on.</summary>
    public bool Any =>
        ErrorRate > 0 || Latency > TimeSpan.Zero || ThrottleBurstEvery > 0 || DropConnectionRate > 0
        || ApplyThenDropRate > 0 || ApplyThenDelayRate > 0 || BulkJobDelay > TimeSpan.Zero;

    /// <summary>A copy, so a change can be checked whole before it is applied.</summary>
    public FaultOptions Clone() => (FaultOptions)MemberwiseClone();

    /// <summary>Takes every setting of <paramref name="other"/>.</summary>
    public void CopyFrom(FaultOptions other)
    {
        ArgumentNullException.ThrowIfNull(other);
        ErrorRate = other.ErrorRate;
        Latency = other.Latency;
        ThrottleBurstEvery = other.ThrottleBurstEvery;
        ThrottleBurstLength = other.ThrottleBurstLength;
        ThrottleRetryAfterSeconds = other.ThrottleRetryAfterSeconds;
        DropConnectionRate = other.DropConnectionRate;
        ApplyThenDropRate = other.ApplyThenDropRate;
        ApplyThenDelayRate = other.ApplyThenDelayRate;
        ApplyThenDelay = other.ApplyThenDelay;
        BulkJobDelay = other.BulkJobDelay;
        Seed = other.Seed;
    }
}

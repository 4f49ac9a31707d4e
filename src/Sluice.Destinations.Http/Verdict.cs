namespace Sluice.Destinations.Http;

/// <summary>What a destination makes of one attempt's answer or failure.</summary>
public enum FailureKind
{
    /// <summary>
    /// The answer stands and is returned: a success, a per-record refusal the writer turns into record results,
    /// or a refusal the destination turns into a run error itself.
    /// </summary>
    Final,

    /// <summary>Worth sending again after a wait: 429, 5xx, a timeout or a connection dropped mid-call.</summary>
    Transient,

    /// <summary>
    /// The service could not be reached at all (connection refused, unknown host): nothing was sent, so any call may
    /// be resent, but only a couple of times and quickly; a service that is down fails the run in seconds.
    /// </summary>
    Unreachable,
}

/// <summary>A destination's judgement of one attempt, with what the service asked for.</summary>
/// <param name="Kind">Retry or not, and how.</param>
/// <param name="Reason">What failed, for the retry report ("HTTP 429", "connection refused"); never a secret.</param>
/// <param name="RetryAfter">The wait the service asked for, already read with <see cref="Http.RetryAfter"/>.</param>
/// <param name="MaxRetries">A tighter limit for this kind of failure than the destination's (e.g. a quota 429).</param>
public readonly record struct Verdict(FailureKind Kind, string? Reason = null, TimeSpan? RetryAfter = null, int? MaxRetries = null)
{
    public static Verdict Final => default;

    public bool ShouldRetry => Kind is FailureKind.Transient or FailureKind.Unreachable;

    public static Verdict Transient(string reason, TimeSpan? retryAfter = null, int? maxRetries = null) =>
        new(FailureKind.Transient, reason, retryAfter, maxRetries);

    public static Verdict Unreachable(string reason) => new(FailureKind.Unreachable, reason);
}

/// <summary>How long a destination keeps trying. Declared by each destination; applied by <see cref="RetryPolicy{T}"/>.</summary>
public sealed record RetryLimits
{
    /// <summary>Retries of a transient failure (429, 5xx, timeout, dropped connection) before the error stands.</summary>
    public int MaxRetries { get; init; } = 8;

    /// <summary>First backoff wait when the service gave no Retry-After; doubles each time, with jitter.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest computed backoff wait (Retry-After has its own cap, <see cref="RetryAfter.Cap"/>).</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries when the service can't be reached at all: a blip is survived, a service that is down isn't waited for.</summary>
    public int MaxUnreachableRetries { get; init; } = 2;

    /// <summary>First wait before retrying an unreachable service; doubles once.</summary>
    public TimeSpan UnreachableDelay { get; init; } = TimeSpan.FromMilliseconds(500);
}

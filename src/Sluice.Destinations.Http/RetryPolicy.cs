using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace Sluice.Destinations.Http;

/// <summary>
/// The retry policy of one destination instance, built once: the destination judges each attempt
/// (<see cref="Verdict"/>), this decides whether and when to try again, and reports every retry at Information so
/// a user watching a slow run sees what failed and how long Sluice waits. Waits run on the injected clock.
/// </summary>
/// <typeparam name="T">An answer read in full (nothing to dispose), so it can be judged and dropped.</typeparam>
public sealed class RetryPolicy<T>
    where T : class
{
    private readonly string _service;
    private readonly RetryLimits _limits;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline<Tried> _pipeline;
    private readonly ApiTelemetry _telemetry;

    public RetryPolicy(string service, RetryLimits limits, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfNegative(limits.MaxRetries);
        _service = service;
        _limits = limits;
        _logger = logger;
        _telemetry = new ApiTelemetry(service);
        var builder = new ResiliencePipelineBuilder<Tried> { TimeProvider = time };
        if (limits.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<Tried>
            {
                MaxRetryAttempts = limits.MaxRetries,
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Result is { } tried && tried.Verdict.ShouldRetry && args.AttemptNumber < Allowed(tried.Verdict)),
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(Wait(args.Outcome.Result!.Verdict, args.AttemptNumber)),
                OnRetry = args =>
                {
                    var tried = args.Outcome.Result!;
                    _telemetry.Retrying(tried.Result, tried.Error?.SourceException, tried.Verdict.Kind);
                    RetryLog.Retrying(_logger, _service, tried.What, tried.Verdict.Reason ?? "failed", args.AttemptNumber + 1,
                        Allowed(tried.Verdict), args.RetryDelay.TotalSeconds);
                    return default;
                },
            });
        }
        _pipeline = builder.Build();
    }

    public RetryLimits Limits => _limits;

    /// <summary>
    /// Runs <paramref name="attempt"/> until <paramref name="judge"/> calls its answer final or the retries are spent.
    /// Returns the last answer (which may still be a transient one: the caller words the error); rethrows the last
    /// attempt's exception when it threw. The caller's cancellation is never retried.
    /// </summary>
    /// <param name="what">The call, for the retry report ("users/bulkUpdate", "the upsert of 200 Contact records").</param>
    /// <param name="resendIsSafe">
    /// False for a call that creates something: a connection lost after sending is rethrown at once (the caller finds
    /// out what happened); only a refused connection, where nothing was sent, is retried.
    /// </param>
    public async Task<T> ExecuteAsync<TState>(string what, TState state, Func<TState, CancellationToken, ValueTask<T>> attempt,
        Func<TState, T, Verdict> judge, CancellationToken cancellationToken, bool resendIsSafe = true)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        ArgumentNullException.ThrowIfNull(judge);
        var call = new Call<TState>(what, state, attempt, judge, resendIsSafe, _telemetry);
        var tried = await _pipeline.ExecuteAsync(static (c, ct) => c.RunAsync(ct), call, cancellationToken).ConfigureAwait(false);
        tried.Error?.Throw();
        return tried.Result!;
    }

    private int Allowed(Verdict verdict)
    {
        var limit = verdict.Kind == FailureKind.Unreachable ? _limits.MaxUnreachableRetries : _limits.MaxRetries;
        if (verdict.MaxRetries is { } tighter)
            limit = Math.Min(limit, tighter);
        return Math.Min(limit, _limits.MaxRetries);
    }

    /// <summary>Retry-After when the service sent one; otherwise exponential backoff with equal jitter.</summary>
    private TimeSpan Wait(Verdict verdict, int attempt)
    {
        if (verdict.RetryAfter is { } asked)
            return asked;
        var (first, max) = verdict.Kind == FailureKind.Unreachable
            ? (_limits.UnreachableDelay, _limits.UnreachableDelay * 4)
            : (_limits.BaseDelay, _limits.MaxDelay);
        var ceiling = Math.Min(max.TotalMilliseconds, first.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30)));
        return TimeSpan.FromMilliseconds(ceiling / 2 + (Random.Shared.NextDouble() * ceiling / 2));
    }

    private sealed class Tried
    {
        public required string What { get; init; }

        public T? Result { get; init; }

        public ExceptionDispatchInfo? Error { get; init; }

        public Verdict Verdict { get; init; }
    }

    private sealed class Call<TState>(string what, TState state, Func<TState, CancellationToken, ValueTask<T>> attempt,
        Func<TState, T, Verdict> judge, bool resendIsSafe, ApiTelemetry telemetry)
    {
        public async ValueTask<Tried> RunAsync(CancellationToken cancellationToken)
        {
            T result;
            try
            {
                result = await attempt(state, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (Transport.IsFailure(e, cancellationToken))
            {
                // A call counts only when T is an HTTP answer: wrappers of other calls (and SMTP) are not API calls.
                if (typeof(IHttpAnswer).IsAssignableFrom(typeof(T)))
                    telemetry.Failed();
                var verdict = Transport.Judge(e);
                if (!resendIsSafe && verdict.Kind != FailureKind.Unreachable)
                    verdict = Verdict.Final;
                return new Tried { What = what, Error = ExceptionDispatchInfo.Capture(e), Verdict = verdict };
            }
            if (result is IHttpAnswer answer)
                telemetry.Answered(answer);
            return new Tried { What = what, Result = result, Verdict = judge(state, result) };
        }
    }
}

internal static partial class RetryLog
{
    [LoggerMessage(Level = LogLevel.Information,
        Message = "{Service}: {What} failed ({Reason}); retry {Attempt} of {MaxRetries} in {WaitSeconds:0.###} s")]
    public static partial void Retrying(ILogger logger, string service, string what, string reason, int attempt, int maxRetries, double waitSeconds);
}

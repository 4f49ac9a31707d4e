using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Sluice.Core.Destinations;

namespace Sluice.Destinations.Iterable;

/// <summary>The endpoints this client calls; each has its own documented per-project rate limit.</summary>
internal enum ApiEndpoint
{
    BulkUpdate,
    Update,
    GetUser,
    GetFields,
}

/// <summary>One answer from Iterable, body read in full so a retry decision can look at it.</summary>
internal sealed class ApiReply(int status, byte[] body, TimeSpan? retryAfter, bool retriable)
{
    private ApiEnvelope? _envelope;
    private bool _parsed;

    public int Status { get; } = status;

    public byte[] Body { get; } = body;

    public TimeSpan? RetryAfter { get; } = retryAfter;

    public bool Retriable { get; } = retriable;

    public bool IsSuccess => Status is >= 200 and < 300;

    /// <summary>The <c>{msg, code, params}</c> envelope, or null when the body is not one (HTML from an edge...).</summary>
    public ApiEnvelope? Envelope
    {
        get
        {
            if (!_parsed)
            {
                _envelope = TryParse(Body);
                _parsed = true;
            }
            return _envelope;
        }
    }

    public string? Code => Envelope?.Code;

    private static ApiEnvelope? TryParse(byte[] body)
    {
        if (body.Length == 0 || body[0] != (byte)'{')
            return null;
        try
        {
            return JsonSerializer.Deserialize(body, IterableJsonContext.Default.ApiEnvelope);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>
/// HTTP to one Iterable project: the Api-Key header, client-side pacing per endpoint, and retries with
/// exponential backoff and jitter (Retry-After wins when sent) for 429, 5xx, timeouts and dropped connections.
/// Thread-safe; shared by every writer of one destination so the project's budget is shared too.
/// </summary>
internal sealed class IterableApiClient : IAsyncDisposable
{
    // Codes Iterable (or third-party observations of it) use for "no such user"; some arrive with 4xx or even 5xx.
    private static readonly HashSet<string> NotFoundCodes = new(StringComparer.OrdinalIgnoreCase)
    {
        "NotFound", "UnknownEmailError", "UnknownUserIdError", "error.users.noUserWithIdExists",
    };

    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json");
    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromMinutes(2);

    private readonly IterableSettings _settings;
    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline<ApiReply> _pipeline;
    private readonly RateLimiter?[] _limiters;

    public IterableApiClient(IterableSettings settings, DestinationServices services)
    {
        _settings = settings;
        _http = services.HttpClientFactory();
        _time = services.TimeProvider;
        _logger = services.LoggerFactory.CreateLogger("Sluice.Destinations.Iterable");
        _limiters = new RateLimiter?[4];
        if (settings.PaceRequests)
        {
            // bulkUpdate (5/s, the one limit that bounds throughput) at exactly the documented rate, one request per
            // 200 ms and no burst: the server's bucket holds 5 requests, so it keeps 4 in reserve for network jitter.
            // The others slightly under the documented limits (update 500/s, user GETs 100/s, getFields 3/s) so that
            // the server's leaky bucket never overflows even with network jitter.
            _limiters[(int)ApiEndpoint.BulkUpdate] = Bucket(1, TimeSpan.FromMilliseconds(200));
            _limiters[(int)ApiEndpoint.Update] = Bucket(25, TimeSpan.FromMilliseconds(55));
            _limiters[(int)ApiEndpoint.GetUser] = Bucket(10, TimeSpan.FromMilliseconds(105));
            _limiters[(int)ApiEndpoint.GetFields] = Bucket(1, TimeSpan.FromMilliseconds(350));
        }
        _pipeline = BuildPipeline(settings.MaxRetries);
    }

    public Uri BaseUrl => _settings.BaseUrl;

    /// <summary>
    /// Sends a request, retrying what is transient. Returns the final reply, which is never a 401/403 (those
    /// throw) nor a retriable status (those throw once retries are spent).
    /// </summary>
    /// <param name="notFoundIsFinal">A "no such user" code is an answer, not a server failure (user lookups).</param>
    public async Task<ApiReply> SendAsync(
        ApiEndpoint endpoint,
        HttpMethod method,
        string pathAndQuery,
        ReadOnlyMemory<byte> body,
        bool notFoundIsFinal,
        CancellationToken cancellationToken)
    {
        ApiReply reply;
        try
        {
            var state = new AttemptState(this, endpoint, method, pathAndQuery, body, notFoundIsFinal);
            reply = await _pipeline.ExecuteAsync(
                static (s, token) => s.Client.AttemptAsync(s, token), state, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException e)
        {
            throw new DeliveryException(ErrorCategory.Timeout, Texts.TimedOut(_settings, endpoint), e);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            throw new DeliveryException(ErrorCategory.Connection, Texts.Unreachable(_settings, endpoint), e);
        }

        if (reply.Status == (int)HttpStatusCode.Unauthorized)
            throw new DeliveryException(ErrorCategory.Authentication, Texts.BadApiKey(_settings, reply.Code));
        if (reply.Status == (int)HttpStatusCode.Forbidden)
            throw new DeliveryException(ErrorCategory.Permission, Texts.Forbidden(_settings, endpoint, reply.Code));
        if (reply.Retriable)
        {
            throw reply.Status == (int)HttpStatusCode.TooManyRequests
                ? new DeliveryException(ErrorCategory.RateLimit, Texts.StillThrottled(_settings, endpoint))
                : new DeliveryException(ErrorCategory.Destination, Texts.StillFailing(_settings, endpoint, reply.Status, reply.Code));
        }
        return reply;
    }

    private async ValueTask<ApiReply> AttemptAsync(AttemptState s, CancellationToken token)
    {
        if (_limiters[(int)s.Endpoint] is { } limiter)
        {
            using var lease = await limiter.AcquireAsync(1, token).ConfigureAwait(false);
        }

        using var request = new HttpRequestMessage(s.Method, new Uri(_settings.BaseUrl, s.PathAndQuery));
        request.Headers.TryAddWithoutValidation("Api-Key", _settings.ApiKey);
        if (!s.Body.IsEmpty)
        {
            request.Content = new ReadOnlyMemoryContent(s.Body);
            request.Content.Headers.ContentType = JsonContentType;
        }

        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync(token).ConfigureAwait(false);
        var status = (int)response.StatusCode;
        var retriable = status is 429 or 408 || (status >= 500 && !(s.NotFoundIsFinal && HasNotFoundCode(bytes)));
        return new ApiReply(status, bytes, retriable ? RetryAfterOf(response) : null, retriable);
    }

    public static bool IsNotFoundCode(string? code) => code is not null && NotFoundCodes.Contains(code);

    private static bool HasNotFoundCode(byte[] body) => IsNotFoundCode(new ApiReply(0, body, null, false).Code);

    private TimeSpan? RetryAfterOf(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        TimeSpan? wait = header?.Delta ?? (header?.Date is { } date ? date - _time.GetUtcNow() : null);
        if (wait is not { } value)
            return null;
        if (value < TimeSpan.Zero)
            return TimeSpan.Zero;
        return value > MaxRetryAfter ? MaxRetryAfter : value;
    }

    private ResiliencePipeline<ApiReply> BuildPipeline(int maxRetries)
    {
        var builder = new ResiliencePipelineBuilder<ApiReply> { TimeProvider = _time };
        if (maxRetries == 0)
            return builder.Build();
        return builder.AddRetry(new RetryStrategyOptions<ApiReply>
        {
            MaxRetryAttempts = maxRetries,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromSeconds(1),
            MaxDelay = TimeSpan.FromSeconds(30),
            ShouldHandle = static args => ValueTask.FromResult(args.Outcome switch
            {
                { Result.Retriable: true } => true,
                { Exception: HttpRequestException or IOException } => true,
                // A timeout of HttpClient, not the caller's cancellation.
                { Exception: OperationCanceledException } => !args.Context.CancellationToken.IsCancellationRequested,
                _ => false,
            }),
            // Iterable's Retry-After (when sent) wins over the computed backoff.
            DelayGenerator = static args => ValueTask.FromResult(args.Outcome.Result?.RetryAfter),
            OnRetry = args =>
            {
                // Debug: under a 429 storm this fires for most requests; the run's outcome says what matters.
                if (_logger.IsEnabled(LogLevel.Debug))
                {
                    var what = args.Outcome.Result is { } r
                        ? $"HTTP {r.Status}"
                        : args.Outcome.Exception?.GetType().Name ?? "failure";
                    _logger.LogDebug("Iterable answered {What}; retry {Attempt} in {Delay} ms", what,
                        args.AttemptNumber + 1, (long)args.RetryDelay.TotalMilliseconds);
                }
                return default;
            },
        }).Build();
    }

    private static TokenBucketRateLimiter Bucket(int tokens, TimeSpan period) => new(new TokenBucketRateLimiterOptions
    {
        TokenLimit = tokens,
        TokensPerPeriod = tokens,
        ReplenishmentPeriod = period,
        QueueLimit = int.MaxValue,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        AutoReplenishment = true,
    });

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        foreach (var limiter in _limiters)
            limiter?.Dispose();
        return default;
    }

    private sealed record AttemptState(
        IterableApiClient Client,
        ApiEndpoint Endpoint,
        HttpMethod Method,
        string PathAndQuery,
        ReadOnlyMemory<byte> Body,
        bool NotFoundIsFinal);
}

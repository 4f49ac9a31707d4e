using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Sluice.Core.Destinations;
using Sluice.Destinations.Http;

namespace Sluice.Destinations.Iterable;

/// <summary>The endpoints this client calls; each has its own documented per-project rate limit.</summary>
internal enum ApiEndpoint
{
    BulkUpdate,
    Update,
    GetUser,
    GetFields,
    UpdateEmail,
}

/// <summary>One answer from Iterable, body read in full so a retry decision can look at it.</summary>
internal sealed class ApiReply(int status, byte[] body, TimeSpan? retryAfter, bool retriable) : IHttpAnswer
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

    /// <summary>"HTTP 429" or "HTTP 503 Code", with Retry-After when sent: what a retry report says failed.</summary>
    public string Describe() =>
        $"HTTP {Status}{(Code is null ? "" : " " + Code)}{(RetryAfter is { } wait ? $", Retry-After {wait.TotalSeconds:0.###} s" : "")}";

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
/// HTTP to one Iterable project: the Api-Key header, client-side pacing per endpoint on the injected clock, and the
/// shared retry policy for 429, 5xx, timeouts and dropped connections (Retry-After wins when sent).
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

    private readonly IterableSettings _settings;
    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly RetryPolicy<ApiReply> _retry;
    private readonly RequestPacer?[] _pacers;

    public IterableApiClient(IterableSettings settings, DestinationServices services)
    {
        _settings = settings;
        _http = services.HttpClientFactory();
        _time = services.TimeProvider;
        var logger = services.LoggerFactory.CreateLogger("Sluice.Destinations.Iterable");
        _pacers = new RequestPacer?[5];
        if (settings.PaceRequests)
        {
            // bulkUpdate (5/s, the one limit that bounds throughput) at exactly the documented rate, one request per
            // 200 ms and no burst: the server's bucket holds 5 requests, so it keeps 4 in reserve for network jitter.
            // The others slightly under the documented limits (update 500/s, user GETs 100/s, getFields 3/s) so that
            // the server's leaky bucket never overflows even with network jitter.
            _pacers[(int)ApiEndpoint.BulkUpdate] = RequestPacer.Every(1, TimeSpan.FromMilliseconds(200), _time, "Iterable");
            _pacers[(int)ApiEndpoint.Update] = RequestPacer.Every(25, TimeSpan.FromMilliseconds(55), _time, "Iterable");
            _pacers[(int)ApiEndpoint.GetUser] = RequestPacer.Every(10, TimeSpan.FromMilliseconds(105), _time, "Iterable");
            _pacers[(int)ApiEndpoint.GetFields] = RequestPacer.Every(1, TimeSpan.FromMilliseconds(350), _time, "Iterable");
            // updateEmail has no documented limit of its own: paced like users/update.
            _pacers[(int)ApiEndpoint.UpdateEmail] = RequestPacer.Every(25, TimeSpan.FromMilliseconds(55), _time, "Iterable");
        }
        _retry = new RetryPolicy<ApiReply>("Iterable", new RetryLimits { MaxRetries = settings.MaxRetries }, _time, logger);
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
            reply = await _retry.ExecuteAsync(Texts.EndpointName(endpoint), state,
                static (s, token) => s.Client.AttemptAsync(s, token),
                static (_, r) => r.Retriable ? Verdict.Transient(r.Describe(), r.RetryAfter) : Verdict.Final,
                cancellationToken).ConfigureAwait(false);
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
            throw new DeliveryException(ErrorCategory.Connection, Texts.Unreachable(_settings, endpoint, Transport.Describe(e)), e);
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
        if (_pacers[(int)s.Endpoint] is { } pacer)
            await pacer.WaitAsync(token).ConfigureAwait(false);

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
        return new ApiReply(status, bytes, retriable ? RetryAfter.From(response, _time) : null, retriable);
    }

    public static bool IsNotFoundCode(string? code) => code is not null && NotFoundCodes.Contains(code);

    private static bool HasNotFoundCode(byte[] body) => IsNotFoundCode(new ApiReply(0, body, null, false).Code);

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
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

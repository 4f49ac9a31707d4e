using System.Net;
using System.Net.Http.Headers;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Logging;
using Sluice.Core.Destinations;
using Sluice.Destinations.Http;

namespace Sluice.Destinations.Salesforce.Http;

/// <summary>
/// The REST client: OAuth tokens (renewed once on INVALID_SESSION_ID), the daily-allowance guard, a cap on
/// requests in flight, and the shared retry policy (backoff with jitter, Retry-After honoured) for every call.
/// Every answer is read in full and returned; callers decide what a status means for their records.
/// </summary>
internal sealed class SalesforceApi : IDisposable
{
    private readonly SalesforceSettings _settings;
    private readonly HttpClient _http;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly RetryPolicy<ApiResponse> _retry;
    private readonly RetryPolicy<UncertainAttempt> _uncertain;
    private readonly ConcurrencyLimiter _inFlight;
    private readonly SemaphoreSlim _tokenGate = new(1, 1);
    private AccessToken? _token;

    public SalesforceApi(SalesforceSettings settings, DestinationServices services, SalesforceTuning tuning, ILogger log)
    {
        _settings = settings;
        _http = services.HttpClientFactory();
        _time = services.TimeProvider;
        _log = log;
        Usage = new ApiUsageGuard(settings.ApiReservePercent);
        _inFlight = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = Math.Max(1, tuning.MaxRequestsInFlight),
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
        var limits = new RetryLimits { MaxRetries = tuning.MaxRetries, BaseDelay = tuning.RetryBaseDelay, MaxDelay = tuning.MaxRetryDelay };
        _retry = new RetryPolicy<ApiResponse>("Salesforce", limits, _time, log);
        _uncertain = new RetryPolicy<UncertainAttempt>("Salesforce", limits, _time, log);
    }

    public ApiUsageGuard Usage { get; }

    public TimeProvider Time => _time;

    public string DataPath => $"/services/data/v{_settings.ApiVersion}/";

    /// <summary>
    /// Sends a call with retries. Returns any answer that is not transient (2xx, 4xx); throws
    /// <see cref="DeliveryException"/> when the service stays unavailable or refuses the account, and
    /// <see cref="AmbiguousOutcomeException"/> when a non-idempotent call may or may not have been applied.
    /// </summary>
    public async Task<ApiResponse> SendAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        ApiResponse response;
        try
        {
            // A call that creates something is resent only when Salesforce refused it before doing anything.
            response = await _retry.ExecuteAsync(request.What, (Self: this, Request: request),
                static async (state, ct) => await state.Self.AttemptAsync(state.Request, ct),
                static (state, r) => state.Request.Idempotent ? JudgeAny(r) : JudgeRefusedBeforeProcessing(r),
                cancellationToken, resendIsSafe: request.Idempotent);
        }
        catch (Exception ex) when (Transport.IsFailure(ex, cancellationToken))
        {
            if (!request.Idempotent && !Transport.IsUnreachable(ex))
                throw new AmbiguousOutcomeException($"{request.What}: {Transport.Describe(ex)}", ex);
            throw new DeliveryException(ErrorCategory.Connection, Messages.Unreachable(Host, Transport.Describe(ex)), ex);
        }

        if (response.IsDailyLimit)
            throw new DeliveryException(ErrorCategory.RateLimit, Messages.DailyLimitExhausted(response.ErrorMessage));
        if (response.Status == 429 || response.IsConcurrencyLimit)
            throw new DeliveryException(ErrorCategory.RateLimit,
                Messages.KeptFailing(request.What, response.Status, response.ErrorCode, Safe(response.ErrorMessage)));
        if (response.Status >= 500)
        {
            if (!request.Idempotent)
                throw new AmbiguousOutcomeException($"{request.What}: HTTP {response.Status}");
            throw new DeliveryException(ErrorCategory.Destination,
                Messages.KeptFailing(request.What, response.Status, response.ErrorCode, Safe(response.ErrorMessage)));
        }
        if (response.Status == 403)
            throw new DeliveryException(ErrorCategory.Permission,
                Messages.PermissionRefused(request.What, response.ErrorCode, Safe(response.ErrorMessage)));
        return response;
    }

    /// <summary>Sends a call and reads its JSON answer; any non-2xx answer becomes a <see cref="DeliveryException"/>.</summary>
    public async Task<T> SendJsonAsync<T>(ApiRequest request, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        var response = await SendAsync(request, cancellationToken);
        if (!response.IsSuccess)
            throw Fail(request.What, response);
        return Parse(response, type, request.What);
    }

    public T Parse<T>(ApiResponse response, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, string what)
    {
        try
        {
            return JsonSerializer.Deserialize(response.Body, type)
                ?? throw new JsonException("empty answer");
        }
        catch (JsonException ex)
        {
            throw new DeliveryException(ErrorCategory.Destination,
                $"Salesforce sent an answer Sluice could not read to {what} ({ex.Message}).", ex);
        }
    }

    public DeliveryException Fail(string what, ApiResponse response)
    {
        var category = response.Status switch
        {
            401 => ErrorCategory.Authentication,
            403 => ErrorCategory.Permission,
            404 => ErrorCategory.NotFound,
            400 => ErrorCategory.Configuration,
            _ => ErrorCategory.Destination,
        };
        return new DeliveryException(category,
            Messages.Unexpected(what, response.Status, response.ErrorCode, Safe(response.ErrorMessage)));
    }

    public string Safe(string? text) => text is null ? "" : _settings.Redact(text);

    /// <summary>Makes sure a token exists (and so that the credentials work).</summary>
    public async Task EnsureSignedInAsync(CancellationToken cancellationToken) => await GetTokenAsync(null, cancellationToken);

    /// <summary>The id of the user Sluice signs in as (from the token's identity URL), or null when Salesforce didn't say.</summary>
    public async Task<string?> UserIdAsync(CancellationToken cancellationToken) => (await GetTokenAsync(null, cancellationToken)).UserId;

    private string Host => _token?.InstanceUrl.Host ?? _settings.LoginUrl.Host;

    private async Task<ApiResponse> AttemptAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        var token = await GetTokenAsync(null, cancellationToken);
        var response = await SendOnceAsync(request, token, cancellationToken);
        if (response.Status != 401)
            return response;
        // The session expired or was revoked: one new token, one more try.
        _log.LogInformation("Salesforce session expired; signing in again");
        token = await GetTokenAsync(token, cancellationToken);
        response = await SendOnceAsync(request, token, cancellationToken);
        if (response.Status == 401)
            throw new DeliveryException(ErrorCategory.Authentication, Messages.SessionRejected);
        return response;
    }

    private async Task<ApiResponse> SendOnceAsync(ApiRequest request, AccessToken token, CancellationToken cancellationToken)
    {
        Usage.BeforeCall();
        using var lease = await _inFlight.AcquireAsync(1, cancellationToken);
        var uri = new Uri(token.InstanceUrl, request.Path.StartsWith('/') ? request.Path : DataPath + request.Path);
        using var message = new HttpRequestMessage(request.Method, uri);
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Value);
        message.Headers.Accept.ParseAdd(request.Accept);
        if (request.Body is { } body)
        {
            message.Content = new ReadOnlyMemoryContent(body);
            message.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(request.ContentType);
        }
        using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseContentRead, cancellationToken);
        if (response.Headers.TryGetValues("Sforce-Limit-Info", out var limit))
            Usage.Observe(string.Join(';', limit));
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        return ApiResponse.From(response.StatusCode, bytes, RetryAfter.From(response, _time));
    }

    /// <summary>Returns the current token, or signs in when there is none or <paramref name="stale"/> is the current one.</summary>
    private async Task<AccessToken> GetTokenAsync(AccessToken? stale, CancellationToken cancellationToken)
    {
        var current = Volatile.Read(ref _token);
        if (current is not null && !ReferenceEquals(current, stale))
            return current;
        await _tokenGate.WaitAsync(cancellationToken);
        try
        {
            current = _token;
            if (current is not null && !ReferenceEquals(current, stale))
                return current;
            current = await SignInAsync(cancellationToken);
            Volatile.Write(ref _token, current);
            return current;
        }
        finally
        {
            _tokenGate.Release();
        }
    }

    private async Task<AccessToken> SignInAsync(CancellationToken cancellationToken)
    {
        var form = new List<KeyValuePair<string, string>> { new("client_id", _settings.ClientId) };
        if (_settings.RefreshToken is { } refresh)
        {
            form.Add(new("grant_type", "refresh_token"));
            form.Add(new("refresh_token", refresh));
            if (_settings.ClientSecret is { } secret)
                form.Add(new("client_secret", secret));
        }
        else
        {
            form.Add(new("grant_type", "client_credentials"));
            form.Add(new("client_secret", _settings.ClientSecret ?? ""));
        }
        var tokenUri = new Uri(_settings.LoginUrl, "services/oauth2/token");

        ApiResponse response;
        try
        {
            response = await _retry.ExecuteAsync("the OAuth token request", (Self: this, Uri: tokenUri, Form: form),
                static async (state, ct) =>
                {
                    using var message = new HttpRequestMessage(HttpMethod.Post, state.Uri) { Content = new FormUrlEncodedContent(state.Form) };
                    message.Headers.Accept.ParseAdd("application/json");
                    using var answer = await state.Self._http.SendAsync(message, HttpCompletionOption.ResponseContentRead, ct);
                    var bytes = await answer.Content.ReadAsByteArrayAsync(ct);
                    return ApiResponse.From(answer.StatusCode, bytes, RetryAfter.From(answer, state.Self._time));
                },
                static (_, r) => JudgeAny(r), cancellationToken);
        }
        catch (Exception ex) when (Transport.IsFailure(ex, cancellationToken))
        {
            throw new DeliveryException(ErrorCategory.Connection, Messages.Unreachable(_settings.LoginUrl.Host, Transport.Describe(ex)), ex);
        }

        if (response.Status is 400 or 401 or 403)
        {
            var error = response.ErrorCode is null
                ? $"HTTP {response.Status}"
                : $"{response.ErrorCode}{(string.IsNullOrEmpty(response.ErrorMessage) ? "" : ": " + response.ErrorMessage)}";
            throw new DeliveryException(ErrorCategory.Authentication,
                Messages.AuthRefused(_settings.LoginUrl.GetLeftPart(UriPartial.Authority), Safe(error)));
        }
        if (!response.IsSuccess)
            throw new DeliveryException(ErrorCategory.Connection,
                Messages.KeptFailing("the OAuth token request", response.Status, response.ErrorCode, Safe(response.ErrorMessage)));

        var token = Parse(response, SalesforceJson.Default.TokenResponse, "the OAuth token request");
        if (string.IsNullOrEmpty(token.AccessToken)
            || !Uri.TryCreate(token.InstanceUrl, UriKind.Absolute, out var instance)
            || instance.Scheme is not ("https" or "http"))
            throw new DeliveryException(ErrorCategory.Authentication,
                "Salesforce's OAuth answer had no access token or instance URL; check login_url points at a Salesforce login host.");
        _log.LogDebug("Signed in to Salesforce; instance {Host}", instance.Host);
        return new AccessToken(token.AccessToken, new Uri(instance.GetLeftPart(UriPartial.Authority) + "/"), UserIdOf(token.Identity));
    }

    /// <summary>
    /// Runs a create whose outcome may be left unknown (<see cref="AmbiguousOutcomeException"/>) under the shared
    /// policy: <paramref name="attempt"/> is run again after a wait, and finds out first what the last one created.
    /// Throws the last <see cref="AmbiguousOutcomeException"/> when the retries are spent.
    /// </summary>
    public async Task RetryUncertainAsync(string what, Func<CancellationToken, Task> attempt, CancellationToken cancellationToken)
    {
        var last = await _uncertain.ExecuteAsync(what, attempt,
            static async (run, ct) =>
            {
                try
                {
                    await run(ct);
                    return UncertainAttempt.Settled;
                }
                catch (AmbiguousOutcomeException ex)
                {
                    return new UncertainAttempt(ExceptionDispatchInfo.Capture(ex));
                }
            },
            static (_, r) => r.Error is { } e ? Verdict.Transient($"outcome unknown: {e.SourceException.Message}") : Verdict.Final,
            cancellationToken);
        last.Error?.Throw();
    }

    private static Verdict JudgeAny(ApiResponse r) =>
        r.Status == 429 || r.Status >= 500 || r.IsConcurrencyLimit ? Verdict.Transient(Reason(r), r.RetryAfter) : Verdict.Final;

    /// <summary>Answers that say the call was refused before Salesforce did anything: safe to resend any call.</summary>
    private static Verdict JudgeRefusedBeforeProcessing(ApiResponse r) =>
        r.Status == 429 || r.IsConcurrencyLimit ? Verdict.Transient(Reason(r), r.RetryAfter) : Verdict.Final;

    private static string Reason(ApiResponse r) =>
        $"HTTP {r.Status}{(r.ErrorCode is null ? "" : " " + r.ErrorCode)}{(r.RetryAfter is { } wait ? $", Retry-After {wait.TotalSeconds:0.###} s" : "")}";

    public void Dispose()
    {
        _http.Dispose();
        _inFlight.Dispose();
        _tokenGate.Dispose();
    }

    /// <summary>The user id at the end of the identity URL, or null when there is none.</summary>
    private static string? UserIdOf(string? identity) =>
        Uri.TryCreate(identity, UriKind.Absolute, out var uri) && uri.Segments is [.., var last] && last.Trim('/') is { Length: >= 15 } id
            ? id
            : null;

    private sealed class UncertainAttempt(ExceptionDispatchInfo? error)
    {
        public static readonly UncertainAttempt Settled = new(null);

        public ExceptionDispatchInfo? Error { get; } = error;
    }

    private sealed record AccessToken(string Value, Uri InstanceUrl, string? UserId)
    {
        public override string ToString() => $"token for {InstanceUrl.Host}";
    }
}

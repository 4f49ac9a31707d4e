using System.Globalization;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using Sluice.Core.Destinations;
using Sluice.Destinations.Http;

namespace Sluice.Destinations.Actito;

/// <summary>A fully read answer: status, body and the wait the service asked for, if any.</summary>
internal sealed record ApiResponse(int Status, byte[] Body, TimeSpan? RetryAfter = null, string? Location = null) : IHttpAnswer
{
    public bool IsSuccess => Status is >= 200 and < 300;

    public (string Reason, string Code) Error() => Json.Error(Status, Body);
}

/// <summary>How a call is retried.</summary>
internal enum CallKind
{
    /// <summary>Retries 5xx, 429 and dropped connections under the shared policy; gives up with a clear error.</summary>
    Standard,

    /// <summary>ETL execution submission: 429 may mean the daily quota is used up, so it is retried only twice and returned.</summary>
    ImportSubmit,
}

/// <summary>
/// The Actito HTTP API as Sluice uses it: the API key exchanged for a bearer token (renewed before expiry and once on
/// 401), every call paced and retried. Routes: <c>/auth/token</c>, v5 profile-table-structure, v5 mass-imports (one-shot ETL
/// executions) and the v4 single-profile routes.
/// </summary>
internal sealed partial class ActitoApi : IAsyncDisposable
{
    private static readonly TimeSpan TokenRenewMargin = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan DefaultTokenLifetime = TimeSpan.FromSeconds(900);
    private static readonly MediaTypeWithQualityHeaderValue JsonMedia = new("application/json");

    private readonly ActitoSettings _settings;
    private readonly HttpClient _http;
    private readonly Pacing _pacing;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly RetryPolicy<ApiResponse> _retry;
    private readonly SemaphoreSlim _tokenGate = new(1, 1);
    private readonly string _host;
    private readonly string _tableRoot;
    private readonly string _executionsRoot;
    private readonly string _tablesRoot;
    private AccessToken? _token;

    public ActitoApi(ActitoSettings settings, DestinationServices services)
    {
        _settings = settings;
        _http = services.HttpClientFactory();
        _time = services.TimeProvider;
        _logger = services.LoggerFactory.CreateLogger("Sluice.Destinations.Actito");
        _pacing = new Pacing(settings.CallsPerMinute, settings.MaxConcurrentRequests, _time);
        _host = new Uri(settings.BaseUrl).Authority;
        var entity = Uri.EscapeDataString(settings.Entity);
        _tableRoot = $"{settings.BaseUrl}/v4/entity/{entity}/table/{Uri.EscapeDataString(settings.Table)}";
        _executionsRoot = $"{settings.BaseUrl}/mass-imports/v5/entities/{entity}/etl-executions";
        _tablesRoot = $"{settings.BaseUrl}/profile-table-structure/v5/entities/{entity}/profile-tables";
        _retry = new RetryPolicy<ApiResponse>("Actito", new RetryLimits { BaseDelay = TimeSpan.FromMilliseconds(400) }, _time, _logger);
    }

    public string Host => _host;

    /// <summary>Makes sure the API key is accepted (fetches a token when none is cached).</summary>
    public Task VerifyCredentialsAsync(CancellationToken cancellationToken) => GetTokenAsync(cancellationToken);

    public Task<ApiResponse> ListTablesAsync(CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, _tablesRoot, null, "read profile tables", CallKind.Standard, cancellationToken);

    public Task<ApiResponse> CreateAttributeAsync(string tableId, byte[] body, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, $"{_tablesRoot}/{Uri.EscapeDataString(tableId)}/attributes", () => JsonContent(body),
            "create attribute", CallKind.Standard, cancellationToken);

    public Task<ApiResponse> CreateProfileAsync(byte[] body, bool allowUpdate, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, allowUpdate ? $"{_tableRoot}/profile?allowUpdate=true" : $"{_tableRoot}/profile",
            () => JsonContent(body), allowUpdate ? "create or update profile" : "create profile", CallKind.Standard, cancellationToken);

    public Task<ApiResponse> UpdateProfileAsync(string profileId, byte[] body, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Put, $"{_tableRoot}/profile/{Uri.EscapeDataString(profileId)}", () => JsonContent(body),
            "update profile", CallKind.Standard, cancellationToken);

    public Task<ApiResponse> GetProfileByKeyAsync(string attribute, string value, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, $"{_tableRoot}/profile/{Uri.EscapeDataString(attribute)}={Uri.EscapeDataString(value)}", null,
            "get profile", CallKind.Standard, cancellationToken);

    public Task<ApiResponse> DeleteProfileAsync(string profileId, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Delete, $"{_tableRoot}/profile/{Uri.EscapeDataString(profileId)}", null,
            "delete profile", CallKind.Standard, cancellationToken);

    /// <summary>
    /// Starts a one-shot ETL execution: multipart with <c>inputFile</c> (a ZIP holding one CSV) and <c>definition</c>
    /// (the ETL definition, JSON).
    /// </summary>
    public Task<ApiResponse> StartEtlExecutionAsync(byte[] zip, byte[] definition, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, _executionsRoot, () =>
        {
            var file = new ByteArrayContent(zip);
            file.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
            var json = new ByteArrayContent(definition);
            json.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            return new MultipartFormDataContent
            {
                { file, "inputFile", "profiles.zip" },
                { json, "definition", "definition.json" },
            };
        }, "start ETL execution", CallKind.ImportSubmit, cancellationToken);

    public Task<ApiResponse> GetEtlExecutionAsync(string executionId, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, $"{_executionsRoot}/{Uri.EscapeDataString(executionId)}", null,
            "read ETL execution", CallKind.Standard, cancellationToken);

    public Task<ApiResponse> GetEtlErrorFileAsync(string executionId, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, $"{_executionsRoot}/{Uri.EscapeDataString(executionId)}/error-file", null,
            "read ETL execution error file", CallKind.Standard, cancellationToken);

    /// <summary>
    /// Sends one call with a bearer token. 401 renews the token and tries once more; 403 and exhausted retries throw
    /// <see cref="DeliveryException"/>. Any other answer (2xx, 4xx) is returned for the caller to judge.
    /// </summary>
    private async Task<ApiResponse> SendAsync(HttpMethod method, string url, Func<HttpContent>? content, string operation,
        CallKind kind, CancellationToken cancellationToken)
    {
        for (var renewed = false; ; renewed = true)
        {
            var token = await GetTokenAsync(cancellationToken).ConfigureAwait(false);
            var response = await SendRawAsync(method, url, content, token.Value, useBearer: true, operation, kind, cancellationToken)
                .ConfigureAwait(false);
            if (response.Status == 401)
            {
                Invalidate(token);
                if (!renewed)
                {
                    LogTokenRejected(_logger, operation);
                    continue;
                }
                throw new DeliveryException(ErrorCategory.Authentication, Messages.TokenRefused(_host));
            }
            if (response.Status == 403) throw new DeliveryException(ErrorCategory.Permission, Messages.Forbidden(operation));
            return response;
        }
    }

    private async Task<ApiResponse> SendRawAsync(HttpMethod method, string url, Func<HttpContent>? content, string credential,
        bool useBearer, string operation, CallKind kind, CancellationToken cancellationToken)
    {
        ApiResponse response;
        try
        {
            var call = (Self: this, Method: method, Url: url, Content: content, Credential: credential, UseBearer: useBearer, Kind: kind);
            response = await _retry.ExecuteAsync(operation, call,
                static async (c, ct) =>
                {
                    using var slot = await c.Self._pacing.EnterAsync(ct).ConfigureAwait(false);
                    using var request = new HttpRequestMessage(c.Method, c.Url);
                    if (c.UseBearer) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", c.Credential);
                    else request.Headers.TryAddWithoutValidation("Authorization", c.Credential);
                    request.Headers.Accept.Add(JsonMedia);
                    if (c.Content is not null) request.Content = c.Content();
                    using var message = await c.Self._http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
                    var body = await message.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
                    return new ApiResponse((int)message.StatusCode, body, RetryAfter.From(message, c.Self._time),
                        message.Headers.Location?.OriginalString);
                },
                static (c, r) => Judge(r, c.Kind), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            throw new DeliveryException(ErrorCategory.Connection, Messages.Unreachable(_host, Transport.Describe(e)), e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new DeliveryException(ErrorCategory.Timeout, Messages.TimedOut(operation), e);
        }

        if (response.Status == 429 && kind != CallKind.ImportSubmit)
            throw new DeliveryException(ErrorCategory.RateLimit, Messages.Throttled(operation));
        if (response.Status >= 500) throw new DeliveryException(ErrorCategory.Destination, Messages.ServerErrors(operation, response.Status));
        return response;
    }

    /// <summary>
    /// 429, 408 and the 5xx that mean "try later" are transient; a 429 to an import submission may be the daily quota,
    /// so it is tried only twice more and then returned for the writer to word.
    /// </summary>
    private static Verdict Judge(ApiResponse response, CallKind kind) => response.Status switch
    {
        429 => Verdict.Transient(Reason(response), response.RetryAfter, kind == CallKind.ImportSubmit ? 2 : null),
        408 or 500 or 502 or 503 or 504 => Verdict.Transient(Reason(response), response.RetryAfter),
        _ => Verdict.Final,
    };

    private static string Reason(ApiResponse r) =>
        r.RetryAfter is { } wait
            ? $"HTTP {r.Status.ToString(CultureInfo.InvariantCulture)}, Retry-After {wait.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s"
            : $"HTTP {r.Status.ToString(CultureInfo.InvariantCulture)}";

    private async Task<AccessToken> GetTokenAsync(CancellationToken cancellationToken)
    {
        var current = Volatile.Read(ref _token);
        if (current is not null && _time.GetUtcNow() < current.RenewAt) return current;
        await _tokenGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            current = Volatile.Read(ref _token);
            if (current is not null && _time.GetUtcNow() < current.RenewAt) return current;
            var response = await SendRawAsync(HttpMethod.Get, $"{_settings.BaseUrl}/auth/token", null, _settings.ApiKey,
                useBearer: false, "get access token", CallKind.Standard, cancellationToken).ConfigureAwait(false);
            if (response.Status is 401 or 403)
                throw new DeliveryException(ErrorCategory.Authentication, Messages.KeyRefused(_host));
            if (!response.IsSuccess)
            {
                var (reason, _) = response.Error();
                throw new DeliveryException(ErrorCategory.Authentication, Messages.Unexpected("get access token", response.Status, reason));
            }
            var value = Json.TopLevel(response.Body, "accessToken");
            if (string.IsNullOrEmpty(value))
                throw new DeliveryException(ErrorCategory.Authentication,
                    $"Actito's token answer at {_host} held no accessToken; check base_url/environment.");
            var lifetime = ParseLifetime(Json.TopLevel(response.Body, "expiresIn"));
            var renewAt = _time.GetUtcNow() + (lifetime > TokenRenewMargin * 2 ? lifetime - TokenRenewMargin : lifetime / 2);
            current = new AccessToken(value, renewAt);
            Volatile.Write(ref _token, current);
            LogTokenIssued(_logger, _host);
            return current;
        }
        finally
        {
            _tokenGate.Release();
        }
    }

    private void Invalidate(AccessToken token) => Interlocked.CompareExchange(ref _token, null, token);

    /// <summary>Reads <c>expiresIn</c>: documented as the string <c>"900s"</c>; plain seconds are read too.</summary>
    internal static TimeSpan ParseLifetime(string? expiresIn)
    {
        if (expiresIn is null) return DefaultTokenLifetime;
        var text = expiresIn.Trim().TrimEnd('s', 'S');
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : DefaultTokenLifetime;
    }

    private static ByteArrayContent JsonContent(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return content;
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        _tokenGate.Dispose();
        await _pacing.DisposeAsync().ConfigureAwait(false);
    }

    private sealed record AccessToken(string Value, DateTimeOffset RenewAt)
    {
        public override string ToString() => "AccessToken(redacted)";
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Actito access token issued by {Host}")]
    private static partial void LogTokenIssued(ILogger logger, string host);

    [LoggerMessage(Level = LogLevel.Information, Message = "Actito answered 401 to '{Operation}'; renewing the access token")]
    private static partial void LogTokenRejected(ILogger logger, string operation);
}

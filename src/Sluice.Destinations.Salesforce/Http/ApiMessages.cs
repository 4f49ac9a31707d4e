using System.Net;
using System.Text.Json;
using Sluice.Destinations.Http;

namespace Sluice.Destinations.Salesforce.Http;

/// <summary>
/// One call to the REST API. <see cref="Path"/> is relative to <c>/services/data/vXX.X/</c>, or absolute
/// (starting with <c>/</c>) for URLs Salesforce hands back such as <c>nextRecordsUrl</c>.
/// </summary>
/// <param name="Idempotent">
/// False for calls that create something: a dropped connection or a 5xx then leaves the outcome unknown, so
/// they are not resent blindly; the caller looks up what happened first (see <see cref="AmbiguousOutcomeException"/>).
/// </param>
internal sealed record ApiRequest(
    HttpMethod Method,
    string Path,
    string What,
    ReadOnlyMemory<byte>? Body = null,
    string ContentType = "application/json",
    string Accept = "application/json",
    bool Idempotent = true);

/// <summary>An answer read in full, so the retry strategy can look at it and the connection is released at once.</summary>
internal sealed class ApiResponse : IHttpAnswer
{
    public required int Status { get; init; }
    public required byte[] Body { get; init; }
    public TimeSpan? RetryAfter { get; init; }
    public string? ErrorCode { get; init; }
    public string? ErrorMessage { get; init; }

    public bool IsSuccess => Status is >= 200 and < 300;

    /// <summary>The concurrent long-request limit, which clears quickly (unlike the daily TotalRequests limit).</summary>
    public bool IsConcurrencyLimit =>
        Status == 403 && ErrorCode == "REQUEST_LIMIT_EXCEEDED" && !IsDailyLimit;

    public bool IsDailyLimit =>
        Status == 403 && ErrorCode == "REQUEST_LIMIT_EXCEEDED"
        && (ErrorMessage is null || ErrorMessage.Contains("TotalRequests", StringComparison.OrdinalIgnoreCase));

    public static ApiResponse From(HttpStatusCode status, byte[] body, TimeSpan? retryAfter)
    {
        var code = (int)status;
        string? errorCode = null, message = null;
        if (code >= 400 && body.Length > 0)
            (errorCode, message) = ParseError(body);
        return new ApiResponse { Status = code, Body = body, RetryAfter = retryAfter, ErrorCode = errorCode, ErrorMessage = message };
    }

    /// <summary>Reads the REST error array <c>[{"message","errorCode"}]</c>, or an OAuth error object.</summary>
    internal static (string? Code, string? Message) ParseError(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read())
                return (null, null);
            if (reader.TokenType == JsonTokenType.StartArray)
            {
                var items = JsonSerializer.Deserialize(body, SalesforceJson.Default.ApiErrorItemArray);
                var first = items?.FirstOrDefault();
                return (first?.ErrorCode, first?.Message);
            }
            if (reader.TokenType == JsonTokenType.StartObject)
            {
                var oauth = JsonSerializer.Deserialize(body, SalesforceJson.Default.OAuthError);
                return (oauth?.Error, oauth?.Description);
            }
        }
        catch (JsonException)
        {
            // Not JSON (an HTML error page from a proxy): the status says enough.
        }
        return (null, null);
    }
}

/// <summary>
/// A call that creates records failed in a way that leaves unknown whether Salesforce applied it
/// (connection dropped, 5xx, timeout). The caller reconciles before sending again.
/// </summary>
internal sealed class AmbiguousOutcomeException(string message, Exception? inner = null) : Exception(message, inner);

using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using Sluice.Destinations.Http;

namespace Sluice.Notifications;

/// <summary>
/// Posts Slack-compatible JSON (<c>{"text": ...}</c>) to a webhook, retried like a destination call on 429, 5xx and
/// dropped connections (Retry-After honoured). The URL is a credential (Slack's carry a token): it is never logged.
/// </summary>
internal sealed class WebhookChannel(HttpClient http, NotifierOptions options, ILogger logger)
{
    private readonly RetryPolicy<Answer> _retries = new("webhook", options.Retries, options.Time, logger);

    /// <summary>Sends the text; returns null when the webhook took it, else why not (no URL in it).</summary>
    public async Task<string?> SendAsync(string url, string text, CancellationToken ct)
    {
        try
        {
            var answer = await _retries.ExecuteAsync("the warning's post", (url, text), async (s, token) =>
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
                timeout.CancelAfter(options.AttemptTimeout);
                using var response = await http.PostAsJsonAsync(s.url, new { text = s.text }, timeout.Token);
                return new Answer(response.StatusCode, RetryAfter.From(response, options.Time));
            }, (_, a) => Judge(a), ct);
            return (int)answer.Status is >= 200 and < 300 ? null : $"the webhook answered HTTP {(int)answer.Status}";
        }
        catch (Exception e) when (Transport.IsFailure(e, ct))
        {
            return $"the webhook could not be reached ({Transport.Describe(e)})";
        }
    }

    private static Verdict Judge(Answer answer) => answer.Status switch
    {
        HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout => Verdict.Transient($"HTTP {(int)answer.Status}", answer.RetryAfter),
        >= HttpStatusCode.InternalServerError => Verdict.Transient($"HTTP {(int)answer.Status}", answer.RetryAfter),
        _ => Verdict.Final,
    };

    private sealed record Answer(HttpStatusCode Status, TimeSpan? RetryAfter);
}

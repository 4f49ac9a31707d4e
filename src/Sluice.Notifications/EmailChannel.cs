using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Logging;
using MimeKit;
using Sluice.Core.Configuration;
using Sluice.Destinations.Http;

namespace Sluice.Notifications;

/// <summary>
/// Sends a notice by email through the project's SMTP relay (MailKit), retried when the relay is unreachable or answers
/// a temporary (4xx) refusal. Neither the password nor the relay's login exchange is ever logged.
/// </summary>
internal sealed class EmailChannel(SmtpConfig smtp, NotifierOptions options, ILogger logger)
{
    private readonly RetryPolicy<Answer> _retries = new("smtp", options.Retries, options.Time, logger);

    /// <summary>Sends the message; returns null when the relay accepted it, else why not.</summary>
    public async Task<string?> SendAsync(string to, string subject, string body, CancellationToken ct)
    {
        var answer = await _retries.ExecuteAsync("the warning's email", (to, subject, body), async (m, token) =>
        {
            try
            {
                await SendOnceAsync(m.to, m.subject, m.body, token);
                return Answer.Sent;
            }
            catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
            {
                return new Answer(e);
            }
        }, (_, a) => Judge(a), ct);
        return answer.Error is null ? null : $"the SMTP relay {smtp.Host}:{smtp.Port} did not take it ({Describe(answer.Error)})";
    }

    private async Task SendOnceAsync(string to, string subject, string body, CancellationToken ct)
    {
        using var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(smtp.From));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = subject;
        message.Body = new TextPart("plain") { Text = body };

        using var client = new SmtpClient { Timeout = (int)options.AttemptTimeout.TotalMilliseconds };
        var security = smtp.Security switch
        {
            SmtpSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
            SmtpSecurity.None => SecureSocketOptions.None,
            _ => SecureSocketOptions.StartTls,
        };
        await client.ConnectAsync(smtp.Host, smtp.Port, security, ct);
        if (smtp.Username is not null)
            await client.AuthenticateAsync(smtp.Username, smtp.Password ?? "", ct);
        await client.SendAsync(message, ct);
        await client.DisconnectAsync(quit: true, ct);
    }

    private static Verdict Judge(Answer answer) => answer.Error switch
    {
        null => Verdict.Final,
        SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostNotFound or SocketError.TryAgain } =>
            Verdict.Unreachable(Describe(answer.Error)),
        SmtpCommandException { StatusCode: var code } when (int)code is >= 400 and < 500 => Verdict.Transient(Describe(answer.Error)),
        SmtpProtocolException or IOException or ServiceNotConnectedException or TimeoutException or OperationCanceledException =>
            Verdict.Transient(Describe(answer.Error)),
        _ => Verdict.Final,
    };

    /// <summary>What went wrong, without anything the relay echoed of the login.</summary>
    private static string Describe(Exception e) => e switch
    {
        SocketException s => s.SocketErrorCode == SocketError.ConnectionRefused ? "connection refused" : $"network error: {s.SocketErrorCode}",
        AuthenticationException => "the relay refused the username or password",
        SmtpCommandException c => $"SMTP {(int)c.StatusCode}: {c.Message}",
        SslHandshakeException => "the TLS handshake failed (check security: and port:)",
        ParseException => "an address is not valid",
        OperationCanceledException or TimeoutException => "timed out",
        _ => e.GetType().Name,
    };

    private sealed record Answer(Exception? Error)
    {
        public static Answer Sent { get; } = new((Exception?)null);
    }
}

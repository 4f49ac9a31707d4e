using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sluice.Core.Configuration;
using Sluice.Engine;

namespace Sluice.Notifications;

/// <summary>
/// Sends a run's notice to each channel its sync notifies: the webhook, the email address, or both. A channel that
/// fails after its retries is logged with the reason and does not stop the others, nor the run.
/// </summary>
public sealed class ChannelNotifier : IRunNotifier
{
    private readonly ProjectConfig _project;
    private readonly NotifierOptions _options;
    private readonly ILogger _logger;
    private readonly WebhookChannel _webhook;
    private readonly EmailChannel? _email;

    public ChannelNotifier(ProjectConfig project, HttpClient http, NotifierOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(project);
        _project = project;
        _options = options ?? new NotifierOptions();
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<ChannelNotifier>();
        _webhook = new WebhookChannel(http, _options, _logger);
        _email = project.Smtp is { } smtp ? new EmailChannel(smtp, _options, _logger) : null;
    }

    public async Task NotifyAsync(RunNotice notice, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(notice);
        var link = _options.RunLink?.Invoke(notice.Run);
        foreach (var name in notice.Sync.Warnings.Notify)
        {
            if (!_project.Notifications.TryGetValue(name, out var channel))
                continue;
            if (channel.Webhook is { } url && await _webhook.SendAsync(url, WarningText.Slack(notice, link), ct) is { } failed)
                NotifyLog.NotSent(_logger, notice.Sync.Name, name, "webhook", failed);
            if (channel.Email is { } to)
            {
                if (_email is null)
                    NotifyLog.NotSent(_logger, notice.Sync.Name, name, "email", "the project has no smtp: section");
                else if (await _email.SendAsync(to, WarningText.Subject(notice), WarningText.Body(notice, link), ct) is { } refused)
                    NotifyLog.NotSent(_logger, notice.Sync.Name, name, "email", refused);
            }
        }
    }
}

internal static partial class NotifyLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not send the warnings of sync {Sync} to notification '{Channel}' ({Kind}): {Reason}")]
    public static partial void NotSent(ILogger logger, string sync, string channel, string kind, string reason);
}

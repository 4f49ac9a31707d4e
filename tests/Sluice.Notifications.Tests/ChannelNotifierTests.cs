using Sluice.Core.Configuration;
using Sluice.Core.Models;
using Sluice.Core.State;
using Sluice.Destinations.Http;
using Sluice.Engine;
using Sluice.Notifications.Tests.Support;

namespace Sluice.Notifications.Tests;

/// <summary>A notice reaches a real webhook receiver and a real SMTP server, with its numbers, through retries.</summary>
public sealed class ChannelNotifierTests
{
    private static readonly SourceLocation Here = new("sluice.yaml", 1, 1);

    // Short waits: the retries are real, on the real clock.
    private static readonly NotifierOptions Fast = new()
    {
        Retries = new RetryLimits { MaxRetries = 3, BaseDelay = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromMilliseconds(50) },
        AttemptTimeout = TimeSpan.FromSeconds(10),
    };

    [Fact]
    public async Task A_webhook_answering_5xx_is_retried_until_it_takes_the_notice()
    {
        await using var receiver = WebhookReceiver.Start(503, 500);
        using var http = new HttpClient();
        var notifier = new ChannelNotifier(Project(webhook: receiver.Url), http, Fast);

        await notifier.NotifyAsync(RejectedNotice(), TestContext.Current.CancellationToken);

        Assert.Equal(3, receiver.Bodies.Count);
        Assert.All(receiver.Bodies, b => Assert.Equal(receiver.Bodies[0], b));
        Assert.Contains("customers-to-crm", receiver.Bodies[0], StringComparison.Ordinal);
        Assert.Contains("12 of the 200 rows it planned", receiver.Bodies[0], StringComparison.Ordinal);
        Assert.Contains("sluice history customers-to-crm", receiver.Bodies[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_webhook_that_keeps_failing_is_logged_without_its_url_and_does_not_throw()
    {
        await using var receiver = WebhookReceiver.Start(500, 500, 500, 500, 500);
        using var http = new HttpClient();
        var logs = new LogSink();
        var notifier = new ChannelNotifier(Project(webhook: receiver.Url), http, Fast, logs);

        await notifier.NotifyAsync(RejectedNotice(), TestContext.Current.CancellationToken);

        Assert.Equal(4, receiver.Bodies.Count);
        var failure = Assert.Single(logs.Lines, l => l.StartsWith("Warning:", StringComparison.Ordinal));
        Assert.Contains("notification 'team' (webhook): the webhook answered HTTP 500", failure, StringComparison.Ordinal);
        Assert.DoesNotContain(logs.Lines, l => l.Contains("secret-token-part", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_4xx_from_the_webhook_is_not_retried()
    {
        await using var receiver = WebhookReceiver.Start(404);
        using var http = new HttpClient();
        var logs = new LogSink();

        await new ChannelNotifier(Project(webhook: receiver.Url), http, Fast, logs).NotifyAsync(RejectedNotice(), TestContext.Current.CancellationToken);

        Assert.Single(receiver.Bodies);
        Assert.Contains(logs.Lines, l => l.Contains("HTTP 404", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_email_reaches_the_relay_with_the_subject_and_numbers_after_logging_in()
    {
        await using var smtp = SmtpSink.Start("sluice", "relay-password-1");
        using var http = new HttpClient();
        var logs = new LogSink();
        var project = Project(email: "data-team@example.com",
            smtp: new SmtpConfig("127.0.0.1", smtp.Port, SmtpSecurity.None, "sluice", "relay-password-1", "sluice@example.com", Here));

        await new ChannelNotifier(project, http, Fast, logs).NotifyAsync(RejectedNotice(), TestContext.Current.CancellationToken);

        var mail = Assert.Single(smtp.Messages);
        Assert.Equal("Sluice: sync 'customers-to-crm' raised rejected-rows", mail.Subject);
        Assert.Equal("data-team@example.com", mail.To.Mailboxes.Single().Address);
        Assert.Equal("sluice@example.com", mail.From.Mailboxes.Single().Address);
        Assert.Contains("12 of the 200 rows it planned were rejected", mail.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain(logs.Lines, l => l.StartsWith("Warning:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_refused_smtp_login_is_reported_without_the_password_and_the_webhook_still_gets_the_notice()
    {
        await using var smtp = SmtpSink.Start("sluice", "the-right-one");
        await using var receiver = WebhookReceiver.Start();
        using var http = new HttpClient();
        var logs = new LogSink();
        var project = Project(webhook: receiver.Url, email: "data-team@example.com",
            smtp: new SmtpConfig("127.0.0.1", smtp.Port, SmtpSecurity.None, "sluice", "a-wrong-password", "sluice@example.com", Here));

        await new ChannelNotifier(project, http, Fast, logs).NotifyAsync(RejectedNotice(), TestContext.Current.CancellationToken);

        Assert.Empty(smtp.Messages);
        Assert.Single(receiver.Bodies);
        var failure = Assert.Single(logs.Lines, l => l.StartsWith("Warning:", StringComparison.Ordinal));
        Assert.Contains("(email)", failure, StringComparison.Ordinal);
        Assert.Contains("refused the username or password", failure, StringComparison.Ordinal);
        Assert.DoesNotContain(logs.Lines, l => l.Contains("a-wrong-password", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unreachable_relay_fails_in_seconds_and_is_reported()
    {
        using var http = new HttpClient();
        var logs = new LogSink();
        var project = Project(email: "data-team@example.com",
            smtp: new SmtpConfig("127.0.0.1", 9, SmtpSecurity.None, null, null, "sluice@example.com", Here));

        await new ChannelNotifier(project, http, Fast, logs).NotifyAsync(RejectedNotice(), TestContext.Current.CancellationToken);

        Assert.Contains(logs.Lines, l => l.Contains("connection refused", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_recovery_says_what_cleared_and_links_to_the_run_when_a_server_shows_it()
    {
        await using var receiver = WebhookReceiver.Start();
        using var http = new HttpClient();
        var options = Fast with { RunLink = run => new Uri($"http://sluice.example/runs/{run.RunId}") };
        var notice = new RunNotice(Sync(), Run(8, RunStatus.Succeeded, new RunCounts { ModelRows = 200, Planned = 3, Delivered = 3 }),
            [], [RunWarnings.Failed], new Dictionary<string, string>());

        await new ChannelNotifier(Project(webhook: receiver.Url), http, options).NotifyAsync(notice, TestContext.Current.CancellationToken);

        var body = Assert.Single(receiver.Bodies);
        Assert.Contains("recovered", body, StringComparison.Ordinal);
        Assert.Contains("run-failed no longer in force", body, StringComparison.Ordinal);
        Assert.Contains("http://sluice.example/runs/8", body, StringComparison.Ordinal);
    }

    private static RunNotice RejectedNotice()
    {
        var counts = new RunCounts { ModelRows = 1000, Planned = 200, Sent = 200, Delivered = 188, Rejected = 12 };
        var run = Run(7, RunStatus.Succeeded, counts);
        return new RunNotice(Sync(), run, [RunWarnings.RejectedRows], [], new Dictionary<string, string>
        {
            [RunWarnings.RejectedRows] = "12 of the 200 rows it planned were rejected or not found (6%, over the 5% of rejected_rows_percent).",
        });
    }

    private static RunRecord Run(long id, RunStatus status, RunCounts counts) =>
        new(id, "customers-to-crm", new DateTime(2026, 12, 1, 8, 0, 0, DateTimeKind.Utc), new DateTime(2026, 12, 1, 8, 1, 0, DateTimeKind.Utc),
            status, false, counts, [], null);

    private static SyncConfig Sync() => new("customers-to-crm", "customers", "crm", SyncMode.Upsert,
        new MappingConfig("email", "email", Here), [], Schedule.Manual,
        WarningsConfig.Default with { RejectedRowsPercent = 5, Notify = ["team"] }, DeleteLimit.Default, Here, Here);

    private static ProjectConfig Project(string? webhook = null, string? email = null, SmtpConfig? smtp = null) =>
        new("/tmp/project", "/tmp/project/sluice.yaml",
            new Dictionary<string, SourceConfig>(), new Dictionary<string, ModelConfig>(), new Dictionary<string, DestinationConfig>(),
            new Dictionary<string, SyncConfig>(),
            new Dictionary<string, NotificationConfig> { ["team"] = new("team", webhook, email, Here) })
        {
            Smtp = smtp,
        };
}

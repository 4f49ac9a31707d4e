using Sluice.Core.Configuration;
using static Sluice.Core.Tests.Configuration.ProjectFolder;

namespace Sluice.Core.Tests.Configuration;

public sealed class NotificationTests
{
    [Fact]
    public void A_notification_may_have_only_an_email_or_only_a_webhook()
    {
        var project = LoadOf("notifications:\n  a:\n    email: a@example.com\n  b:\n    webhook: https://hooks.example.com/x\n");
        Assert.Equal(new NotificationConfig("a", null, "a@example.com", new SourceLocation("sluice.yaml", 2, 3)), project.Notifications["a"]);
        Assert.Equal("https://hooks.example.com/x", project.Notifications["b"].Webhook);
        Assert.Null(project.Notifications["b"].Email);
    }

    [Fact]
    public void A_notification_without_webhook_or_email_is_a_problem()
    {
        var problems = ProblemsOf("notifications:\n  a:\n    slack: x\n");
        Assert.Equal(
            ["2:3 notification 'a' has neither webhook nor email", "3:5 unknown key 'slack' in notification 'a'"],
            problems.Select(p => $"{p.Location?.Line}:{p.Location?.Column} {p.Message}"));
        Assert.Equal("Add webhook: <URL> and/or email: <address>.", problems[0].Hint);
    }

    [Fact]
    public void An_invalid_email_is_a_problem()
    {
        var problem = SingleProblemOf("notifications:\n  a:\n    email: data-team.example.com\n");
        Assert.Equal(new SourceLocation("sluice.yaml", 3, 12), problem.Location);
        Assert.Equal("the email of notification 'a' is not an email address: 'data-team.example.com'", problem.Message);
    }

    [Fact]
    public void An_invalid_webhook_is_a_problem_that_does_not_show_it()
    {
        var problem = SingleProblemOf("notifications:\n  a:\n    webhook: hooks/T0/B0/TOKEN123\n");
        Assert.Equal(new SourceLocation("sluice.yaml", 3, 14), problem.Location);
        Assert.DoesNotContain("TOKEN123", problem.ToString());
    }

    [Fact]
    public void An_unknown_notification_key_gets_did_you_mean()
    {
        var problem = SingleProblemOf("notifications:\n  a:\n    email: a@example.com\n    webhok: https://x.example.com\n");
        Assert.Equal("unknown key 'webhok' in notification 'a'; did you mean 'webhook'?", problem.Message);
        Assert.Equal("Rename it to 'webhook', or remove it. Valid keys here: webhook, email.", problem.Hint);
    }

    [Fact]
    public void The_smtp_section_is_read_with_the_password_from_a_variable()
    {
        var project = LoadOf("""
            smtp:
              host: smtp.example.com
              username: sluice
              password: ${SMTP_PASSWORD}
              from: sluice@example.com
            notifications:
              team:
                email: team@example.com
            """, new Dictionary<string, string?> { ["SMTP_PASSWORD"] = "relay-secret" });

        var smtp = project.Smtp!;
        Assert.Equal(("smtp.example.com", 587, SmtpSecurity.StartTls, "sluice", "relay-secret", "sluice@example.com"),
            (smtp.Host, smtp.Port, smtp.Security, smtp.Username, smtp.Password, smtp.From));
        Assert.DoesNotContain("relay-secret", smtp.ToString(), StringComparison.Ordinal);
        Assert.Empty(project.Warnings);
    }

    [Fact]
    public void Ssl_security_defaults_to_port_465()
    {
        var smtp = LoadOf("smtp:\n  host: mail.example.com\n  security: ssl\n  from: a@example.com\n").Smtp!;
        Assert.Equal((465, SmtpSecurity.SslOnConnect), (smtp.Port, smtp.Security));
    }

    [Fact]
    public void Smtp_problems_are_reported_at_their_lines()
    {
        var problems = ProblemsOf("smtp:\n  port: 99999\n  security: tls13\n  from: sluice\n  username: me\n  hots: x\n");
        Assert.Equal(
            [
                "1:1 the smtp section has no host",
                "1:1 the smtp section has a username without a password",
                "2:9 the port of the smtp section is '99999', which is not a port number",
                "3:13 the security of the smtp section is 'tls13', which is not starttls, ssl or none",
                "4:9 the from of the smtp section is not an email address: sluice",
                "6:3 unknown key 'hots' in the smtp section; did you mean 'host'?",
            ],
            problems.Select(p => $"{p.Location?.Line}:{p.Location?.Column} {p.Message}"));
    }

    [Fact]
    public void An_email_channel_without_smtp_loads_with_a_warning_that_no_email_is_sent()
    {
        var project = LoadOf("notifications:\n  team:\n    email: team@example.com\n");
        var warning = Assert.Single(project.Warnings);
        Assert.Equal("notification 'team' has an email, but the project has no smtp section, so no email is sent", warning.Message);
        Assert.Equal(new SourceLocation("sluice.yaml", 2, 3), warning.Location);
    }
}

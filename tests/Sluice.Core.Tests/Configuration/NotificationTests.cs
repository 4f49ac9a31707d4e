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
}

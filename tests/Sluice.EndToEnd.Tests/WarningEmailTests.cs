using Sluice.EndToEnd.Tests.Support;
using Sluice.Notifications.Tests.Support;

namespace Sluice.EndToEnd.Tests;

/// <summary>Warnings by email through the real binary and a real SMTP server: one message when one starts, one when it clears.</summary>
public sealed class WarningEmailTests
{
    [Fact]
    public async Task A_failing_sync_emails_once_when_it_starts_failing_and_once_when_it_recovers()
    {
        await using var project = await IterableProject.CreateAsync();
        await project.WriteCustomersAsync(IterableProject.Customers(5));
        await using var smtp = SmtpSink.Start("sluice", "relay-pass-7f3a");
        await project.WriteProjectFileAsync(IterableProject.ProjectFile("upsert") + $$"""

                warnings:
                  on_failure: true
                  notify: [team]
            notifications:
              team:
                email: data-team@example.com
            smtp:
              host: 127.0.0.1
              port: {{smtp.Port}}
              security: none
              username: sluice
              password: ${SMTP_PASSWORD}
              from: sluice@example.com
            """);
        var env = Path.Combine(project.Directory, ".env");
        var good = await File.ReadAllTextAsync(env) + "\nSMTP_PASSWORD=relay-pass-7f3a\n";
        await File.WriteAllTextAsync(env, good.Replace(IterableProject.ApiKey, "wrong-key", StringComparison.Ordinal));

        var first = await project.SluiceAsync("run", "customers-to-iterable");
        var second = await project.SluiceAsync("run", "customers-to-iterable");
        await File.WriteAllTextAsync(env, good);
        var third = await project.SluiceAsync("run", "customers-to-iterable");
        var fourth = await project.SluiceAsync("run", "customers-to-iterable");

        Assert.Equal([1, 1, 0, 0], new[] { first.ExitCode, second.ExitCode, third.ExitCode, fourth.ExitCode });
        Assert.Equal(
            ["Sluice: sync 'customers-to-iterable' raised run-failed", "Sluice: sync 'customers-to-iterable' recovered (run-failed cleared)"],
            smtp.Messages.Select(m => m.Subject));
        Assert.Contains("Run 1 failed:", smtp.Messages[0].TextBody, StringComparison.Ordinal);
        Assert.Contains("5 delivered", smtp.Messages[1].TextBody, StringComparison.Ordinal);
        foreach (var output in new[] { first, second, third, fourth })
            Assert.DoesNotContain("relay-pass-7f3a", output.Stdout + output.Stderr, StringComparison.Ordinal);
    }
}

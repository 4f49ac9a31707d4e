using System.Text;
using Sluice.Engine;

namespace Sluice.Notifications;

/// <summary>The words of a notice, the same on every channel: a subject line and a body.</summary>
internal static class WarningText
{
    public static string Subject(RunNotice notice) => notice.Raised.Count > 0
        ? $"Sluice: sync '{notice.Sync.Name}' raised {string.Join(", ", notice.Raised)}"
        : $"Sluice: sync '{notice.Sync.Name}' recovered ({string.Join(", ", notice.Cleared)} cleared)";

    public static string Body(RunNotice notice, Uri? runLink)
    {
        var text = new StringBuilder();
        var run = notice.Run;
        if (notice.Raised.Count > 0)
        {
            text.Append($"Sync '{notice.Sync.Name}' (model '{notice.Sync.Model}' to '{notice.Sync.Destination}') raised ")
                .Append(notice.Raised.Count == 1 ? "a warning" : $"{notice.Raised.Count} warnings")
                .Append($" in run {run.RunId} ({run.Status.ToString().ToLowerInvariant()}):\n");
            foreach (var warning in notice.Raised)
                text.Append($"- {warning}: {notice.Details.GetValueOrDefault(warning, warning)}\n");
        }
        if (notice.Cleared.Count > 0)
        {
            text.Append(notice.Raised.Count > 0 ? "Cleared: " : $"Sync '{notice.Sync.Name}' recovered in run {run.RunId}: ")
                .Append(string.Join(", ", notice.Cleared)).Append(" no longer in force.\n");
        }
        var c = run.Counts;
        text.Append($"Run {run.RunId}: {c.ModelRows:N0} model rows, {c.Planned:N0} planned, {c.Delivered:N0} delivered, {c.Deleted:N0} deleted, ")
            .Append($"{c.Rejected:N0} rejected, {c.NotFound:N0} not found.\n");
        text.Append(runLink is null ? $"Details: `sluice history {notice.Sync.Name}`." : $"Details: {runLink}");
        return text.ToString();
    }

    /// <summary>Slack's mrkdwn for the same words: the subject in bold, then the body.</summary>
    public static string Slack(RunNotice notice, Uri? runLink) =>
        $"{(notice.Raised.Count > 0 ? ":warning:" : ":white_check_mark:")} *{Subject(notice)}*\n{Body(notice, runLink)}";
}

using System.Net.Http.Json;
using Sluice.Core.State;
using Sluice.Core.Configuration;
using Sluice.State;

namespace Sluice.Engine;

/// <summary>Tells people when a sync's warnings start and when they clear (once each, not every run).</summary>
public interface IRunNotifier
{
    Task NotifyAsync(SyncConfig sync, RunRecord run, IReadOnlyList<string> raised, IReadOnlyList<string> cleared, CancellationToken ct);
}

/// <summary>
/// Sends warnings to the sync's notification channels that have a webhook, as Slack-compatible JSON
/// (<c>{"text": ...}</c>). Email channels need an SMTP relay, which only the server will have.
/// </summary>
public sealed class WebhookNotifier(IReadOnlyDictionary<string, NotificationConfig> channels, HttpClient http) : IRunNotifier
{
    public async Task NotifyAsync(SyncConfig sync, RunRecord run, IReadOnlyList<string> raised, IReadOnlyList<string> cleared, CancellationToken ct)
    {
        var text = raised.Count > 0
            ? $":warning: Sluice sync *{sync.Name}* raised {string.Join(", ", raised)} (run {run.RunId}, {run.Status.ToString().ToLowerInvariant()})" +
              (run.Error is null ? "" : $": {run.Error}") + Numbers(sync, run, raised)
            : $":white_check_mark: Sluice sync *{sync.Name}* recovered: {string.Join(", ", cleared)} cleared (run {run.RunId}).";
        foreach (var name in sync.Warnings.Notify)
        {
            if (channels.TryGetValue(name, out var channel) && channel.Webhook is { } url)
                using (var response = await http.PostAsJsonAsync(url, new { text }, ct))
                    response.EnsureSuccessStatusCode();
        }
    }

    /// <summary>The figures behind a rejected-rows warning, on the base README documents.</summary>
    private static string Numbers(SyncConfig sync, RunRecord run, IReadOnlyList<string> raised)
    {
        if (!raised.Contains(RunWarnings.RejectedRows))
            return "";
        var c = run.Counts;
        return $". {RunWarningPolicy.RefusedRows(c):N0} of the {c.Planned:N0} rows it planned were rejected or not found " +
            $"({RunWarningPolicy.RefusedShare(c):0.#}%, " +
            $"over the {sync.Warnings.RejectedRowsPercent}% of rejected_rows_percent): see `sluice rejected {sync.Name}`.";
    }
}

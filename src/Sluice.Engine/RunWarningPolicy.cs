using Sluice.Core.Configuration;
using Sluice.Core.State;

namespace Sluice.Engine;

/// <summary>What a sync's earlier runs say, for the warnings that compare a run with them.</summary>
/// <param name="StartedAt">When the run being judged started.</param>
/// <param name="LastSucceeded">The sync's latest successful run before it, if any is in the history read.</param>
/// <param name="FirstStartedAt">The start of the oldest run read: how long the sync has been failing at least, when none succeeded.</param>
internal sealed record EarlierRuns(DateTime StartedAt, RunRecord? LastSucceeded, DateTime FirstStartedAt)
{
    /// <summary>How many runs back the history is read; a sync failing for longer is judged by the oldest of them.</summary>
    public const int Depth = 200;

    public static EarlierRuns From(IReadOnlyList<RunRecord> newestFirst, long runId)
    {
        var current = newestFirst.FirstOrDefault(r => r.RunId == runId);
        var started = current?.StartedAt ?? newestFirst.FirstOrDefault()?.StartedAt ?? default;
        return new EarlierRuns(started,
            newestFirst.FirstOrDefault(r => r.RunId != runId && r.Status == RunStatus.Succeeded),
            newestFirst.Count == 0 ? started : newestFirst[^1].StartedAt);
    }

    /// <summary>Since when the sync has not succeeded (the last success's end, else the oldest run known).</summary>
    public DateTime NotSucceededSince => LastSucceeded?.FinishedAt ?? FirstStartedAt;
}

/// <summary>Which warnings a finished run raises, by the sync's <c>warnings:</c> settings (warnings.md).</summary>
internal static class RunWarningPolicy
{
    public static void Apply(SyncConfig sync, RunStatus status, bool planned, RunCounts counts, EarlierRuns earlier, List<string> warnings)
    {
        var config = sync.Warnings;
        if (status is RunStatus.Failed && config.OnFailure)
            warnings.Add(RunWarnings.Failed);
        if (config.RejectedRowsPercent is { } threshold && counts.Planned > 0 && RefusedShare(counts) > threshold)
            warnings.Add(RunWarnings.RejectedRows);
        if (planned && counts.ModelRows == 0 && config.OnEmptyModel && !warnings.Contains(RunWarnings.EmptyModel))
            warnings.Add(RunWarnings.EmptyModel);
        if (!config.OnEmptyModel)
            warnings.Remove(RunWarnings.EmptyModel);
        if (!config.OnMirrorGuard)
            warnings.Remove(RunWarnings.MirrorGuard);
        if (planned && config.RowCountChangePercent is { } moved && RowCountChange(counts, earlier) is { } change && Math.Abs(change) > moved)
            warnings.Add(RunWarnings.RowCountChange);
        if (status is not RunStatus.Succeeded && config.NotSucceededFor is { } limit && earlier.StartedAt - earlier.NotSucceededSince > limit)
            warnings.Add(RunWarnings.NotSucceeded);
    }

    /// <summary>Planned rows the destination refused or did not find (invalid keys are never planned).</summary>
    public static long RefusedRows(RunCounts counts) => counts.Rejected - counts.InvalidKeys + counts.NotFound;

    /// <summary>The base of rejected_rows_percent: refused rows as a share of the rows the run planned to send.</summary>
    public static double RefusedShare(RunCounts counts) => counts.Planned == 0 ? 0 : 100.0 * RefusedRows(counts) / counts.Planned;

    /// <summary>
    /// The model's row count against the last successful run's, in percent (signed); null without a base to compare
    /// with (no successful run yet, or it had no rows: the empty-model warning covers that).
    /// </summary>
    public static double? RowCountChange(RunCounts counts, EarlierRuns earlier) =>
        earlier.LastSucceeded?.Counts.ModelRows is > 0 and var before
            ? 100.0 * (counts.ModelRows - before) / before
            : null;

    /// <summary>What a raised warning means for this run, in numbers (the notification's words).</summary>
    public static string Describe(string warning, SyncConfig sync, RunRecord run, EarlierRuns earlier)
    {
        var c = run.Counts;
        var config = sync.Warnings;
        return warning switch
        {
            RunWarnings.Failed => $"Run {run.RunId} failed: {run.Error ?? "no error was recorded"}",
            RunWarnings.RejectedRows =>
                $"{RefusedRows(c):N0} of the {c.Planned:N0} rows it planned were rejected or not found ({RefusedShare(c):0.#}%, " +
                $"over the {config.RejectedRowsPercent}% of rejected_rows_percent). `sluice rejected {sync.Name}` lists them with their reasons.",
            RunWarnings.EmptyModel => $"The model '{sync.Model}' returned no rows in run {run.RunId}; nothing was deleted because of it.",
            RunWarnings.MirrorGuard => $"The mirror guard stopped run {run.RunId} before it sent anything: {run.Error}",
            RunWarnings.RowCountChange when RowCountChange(c, earlier) is { } change =>
                $"The model '{sync.Model}' has {c.ModelRows:N0} rows, {Math.Abs(change):0.#}% {(change > 0 ? "more" : "fewer")} than the " +
                $"{earlier.LastSucceeded!.Counts.ModelRows:N0} of the last successful run ({earlier.LastSucceeded.RunId}), " +
                $"over the {config.RowCountChangePercent}% of row_count_change_percent.",
            RunWarnings.NotSucceeded =>
                $"The sync has not succeeded for {Hours(earlier.StartedAt - earlier.NotSucceededSince)} " +
                $"({(earlier.LastSucceeded is { } last ? $"last success: run {last.RunId}, {last.FinishedAt:yyyy-MM-dd HH:mm} UTC" : "no successful run yet")}), " +
                $"over the {config.NotSucceededFor!.Value.TotalHours:0.#} h of not_succeeded_hours.",
            _ => warning,
        };
    }

    private static string Hours(TimeSpan span) => span.TotalHours >= 48 ? $"{span.TotalDays:0.#} days" : $"{span.TotalHours:0.#} hours";
}

using Sluice.Core.State;
using Sluice.Core.Configuration;
using Sluice.State;

namespace Sluice.Engine;

/// <summary>Which warnings a finished run raises, by the sync's <c>warnings:</c> settings (warnings.md).</summary>
internal static class RunWarningPolicy
{
    public static void Apply(SyncConfig sync, RunStatus status, bool planned, RunCounts counts, List<string> warnings)
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
    }

    /// <summary>Planned rows the destination refused or did not find (invalid keys are never planned).</summary>
    public static long RefusedRows(RunCounts counts) => counts.Rejected - counts.InvalidKeys + counts.NotFound;

    /// <summary>The base of rejected_rows_percent: refused rows as a share of the rows the run planned to send.</summary>
    public static double RefusedShare(RunCounts counts) => counts.Planned == 0 ? 0 : 100.0 * RefusedRows(counts) / counts.Planned;
}

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
        // The base is the rows the run planned to send: the share of them the destination refused or did not find.
        if (config.RejectedRowsPercent is { } threshold && counts.Planned > 0 &&
            100.0 * (counts.Rejected - counts.InvalidKeys + counts.NotFound) / counts.Planned > threshold)
            warnings.Add(RunWarnings.RejectedRows);
        if (planned && counts.ModelRows == 0 && config.OnEmptyModel && !warnings.Contains(RunWarnings.EmptyModel))
            warnings.Add(RunWarnings.EmptyModel);
        if (!config.OnEmptyModel)
            warnings.Remove(RunWarnings.EmptyModel);
        if (!config.OnMirrorGuard)
            warnings.Remove(RunWarnings.MirrorGuard);
    }
}

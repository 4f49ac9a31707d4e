using Microsoft.Extensions.Logging;
using Quartz;
using Sluice.Core.State;
using Sluice.Engine;

namespace Sluice.Server.Scheduling;

/// <summary>
/// One firing of a sync's schedule (or of a sync it runs after). Quartz never runs two firings of one sync at once
/// (<see cref="DisallowConcurrentExecutionAttribute"/>); the runner and the state's claim hold the same line against API
/// runs and other processes. Quartz's cancellation token is signalled when the server stops.
/// </summary>
[DisallowConcurrentExecution]
internal sealed class SyncJob(SyncRunner runner, SyncHealth health, ILogger<SyncJob> logger) : IJob
{
    public const string ReasonKey = "reason";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var sync = context.JobDetail.Key.Name;
        var reason = context.MergedJobDataMap.TryGetValue(ReasonKey, out var r) && r is string given ? given : "schedule";
        SyncPause? pause;
        try
        {
            pause = await health.PauseOfAsync(sync, cancellationToken);
        }
        catch (Exception e) when (e is StateException or IOException)
        {
            // A firing is not lost to a state that could not be read a moment: the run reads it again, and says so if it still can't.
            logger.LogWarning("Sync {Sync}: its pause could not be read ({Message}); this {Reason} run goes ahead", sync, e.Message, reason);
            pause = null;
        }
        if (pause is not null)
        {
            logger.LogInformation("Sync {Sync} is paused ({Part} broken{Upstream}): this {Reason} run is skipped", sync, pause.Part,
                pause.Upstream is { } up ? $" in '{up}', which it runs after" : "", reason);
            return;
        }
        await runner.RunAsync(sync, new RunOptions(), reason, cancellationToken);
    }
}

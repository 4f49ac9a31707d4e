using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sluice.Core.State;
using Sluice.Engine;
using Sluice.Notifications;

namespace Sluice.Server;

/// <summary>
/// The server's periodic checks, on its clock (<see cref="ServerOptions.CheckInterval"/>): paused syncs are checked and
/// resumed (<see cref="SyncHealth"/>), and <c>not_succeeded_hours</c> is raised for a sync that does not run any more
/// (<see cref="NotSucceededAsync"/>).
/// </summary>
public sealed class ServerChecks(SyncHealth health, ProjectHost project, SyncRunner runner, IStateStore state, ServerOptions options,
    ILoggerFactory loggers) : BackgroundService
{
    private readonly ILogger _logger = loggers.CreateLogger<ServerChecks>();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.CheckInterval, options.Time);
        do
        {
            await RunOnceAsync(() => health.CheckPausedAsync(stoppingToken), "checking paused syncs");
            await RunOnceAsync(() => NotSucceededAsync(stoppingToken), "checking not_succeeded_hours");
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task RunOnceAsync(Func<Task> check, string what)
    {
        try
        {
            await check();
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e) when (e is StateException or IOException)
        {
            // The next tick tries again; a state that can't be read is reported by every run too.
            _logger.LogWarning("The server's check failed ({What}): {Message}", what, e.Message);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A failing check must not stop the server (a background service that throws stops its host).
            _logger.LogError(e, "The server's check failed ({What})", what);
        }
    }

    /// <summary>
    /// Raises <c>not_succeeded_hours</c> without a run: a sync whose latest finished run did not succeed, for longer than
    /// its limit, gets the warning added to that run (so the next run compares with it and clears it once it succeeds),
    /// and its channels are told once. A sync running now is left to its run, which judges the same.
    /// </summary>
    public async Task NotSucceededAsync(CancellationToken ct)
    {
        var current = project.Current;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var notifier = new ChannelNotifier(current, http, new NotifierOptions { RunLink = runner.RunLink, Time = options.Time }, loggers);
        foreach (var sync in current.Syncs.Values)
        {
            if (sync.Warnings.NotSucceededFor is null || runner.ActiveFor(sync.Name) is not null)
                continue;
            var history = await state.Runs.HistoryAsync(sync.Name, RunWarnings.HistoryDepth, ct);
            if (history.Count == 0 || history[0].Status == RunStatus.Running || history[0].Warnings.Contains(RunWarnings.NotSucceeded))
                continue;
            if (RunWarnings.NotSucceededAt(sync, history, options.Time.GetUtcNow().UtcDateTime) is not { } detail)
                continue;
            // Another worker may have raised it a moment ago: only the one that added it tells people.
            if (!await state.Runs.AddWarningAsync(history[0].RunId, RunWarnings.NotSucceeded, ct))
                continue;
            var run = history[0] with { Warnings = [.. history[0].Warnings, RunWarnings.NotSucceeded] };
            _logger.LogWarning("Sync {Sync}: {Detail}", sync.Name, detail);
            await notifier.NotifyAsync(new RunNotice(sync, run, [RunWarnings.NotSucceeded], [],
                new Dictionary<string, string> { [RunWarnings.NotSucceeded] = detail }), ct);
        }
    }
}

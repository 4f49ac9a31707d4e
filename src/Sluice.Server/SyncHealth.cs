using Microsoft.Extensions.Logging;
using Sluice.Core.Configuration;
using Sluice.Core.Destinations;
using Sluice.Core.Sources;
using Sluice.Core.State;
using Sluice.Engine;
using Sluice.Server.Scheduling;

namespace Sluice.Server;

/// <summary>Why a sync is paused: the broken part (<c>source</c>, <c>model</c>, <c>destination credentials</c>) and what is wrong with it.</summary>
/// <param name="Upstream">When the sync is paused because a sync it runs <c>after</c> is: that sync.</param>
/// <param name="CheckedAt">The latest check that found it still broken.</param>
public sealed record SyncPause(string Part, string Reason, DateTimeOffset Since, long? RunId, string? Upstream = null, DateTimeOffset? CheckedAt = null);

/// <summary>The pauses of the state at one moment, read once for a page of syncs.</summary>
public sealed class PauseSnapshot
{
    private readonly IReadOnlyDictionary<string, SyncPause> _paused;
    private readonly ProjectConfig _project;

    internal PauseSnapshot(IReadOnlyDictionary<string, SyncPause> paused, ProjectConfig project)
    {
        _paused = paused;
        _project = project;
    }

    /// <summary>
    /// The sync's pause: its own, or that of a sync it runs after (directly or down a chain of <c>after</c>), or null.
    /// </summary>
    public SyncPause? Of(string sync)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var name = sync;
        while (seen.Add(name))
        {
            if (_paused.TryGetValue(name, out var pause))
                return name == sync ? pause : pause with { Upstream = name };
            if (!_project.Syncs.TryGetValue(name, out var config) || config.Schedule is not AfterSchedule after)
                return null;
            name = after.Sync;
        }
        return null;
    }
}

/// <summary>
/// Automatic pause and resume. A run that fails because the sync's source, model or destination credentials are broken
/// pauses the sync, and with it the syncs scheduled <c>after</c> it: their schedules keep their rhythm, and a firing of a
/// paused sync is skipped. A periodic check (<see cref="CheckPausedAsync"/>: the resolver's source, model and destination
/// check, without a run) resumes it when it passes; a sync on an interval or a cron that missed a slot meanwhile runs at
/// once, then its schedule goes on. A run asked for by hand still runs a paused sync: its success resumes it.
/// The pauses are kept in the state (<see cref="ISyncPauses"/>): every worker of a shared state skips a sync one of them
/// paused and shows it paused, a restart keeps it paused, and of workers whose checks pass at once one resumes it (and
/// runs its missed slot).
/// </summary>
public sealed class SyncHealth
{
    private readonly ProjectHost _project;
    private readonly SyncRunner _runner;
    private readonly IStateStore _state;
    private readonly ServerOptions _options;
    private readonly ILogger<SyncHealth> _logger;

    public SyncHealth(ProjectHost project, SyncRunner runner, IStateStore state, ServerOptions options, ILogger<SyncHealth> logger)
    {
        _project = project;
        _runner = runner;
        _state = state;
        _options = options;
        _logger = logger;
        // Awaited before the runner raises Finished (and the scheduler fires the syncs after it): a success resumes the
        // sync in the state first, or they would find it still paused and skip.
        _runner.Recorded = OnFinishedAsync;
    }

    /// <summary>The pauses in the state now.</summary>
    public async Task<PauseSnapshot> PausesAsync(CancellationToken ct)
    {
        var project = _project.Current;
        var stored = await _state.Pauses.ListAsync(ct);
        return new PauseSnapshot(stored.ToDictionary(p => p.Sync, From, StringComparer.Ordinal), project);
    }

    /// <summary>
    /// The sync's pause: its own, or that of a sync it runs after (directly or down a chain of <c>after</c>), or null.
    /// </summary>
    public async Task<SyncPause?> PauseOfAsync(string sync, CancellationToken ct) => (await PausesAsync(ct)).Of(sync);

    private static SyncPause From(PauseRecord p) =>
        new(p.Part, p.Reason, Utc(p.Since), p.RunId, CheckedAt: p.CheckedAt is { } at ? Utc(at) : null);

    private static DateTimeOffset Utc(DateTime at) => new(DateTime.SpecifyKind(at, DateTimeKind.Utc));

    /// <summary>Resumes a sync paused on its own account (a person's "Resume now"); false when it was not paused.</summary>
    public async Task<bool> ResumeAsync(string sync, string why, CancellationToken ct)
    {
        if (!await _state.Pauses.ResumeAsync(sync, ct))
            return false;
        _logger.LogInformation("Sync {Sync} resumed ({Why})", sync, why);
        return true;
    }

    /// <summary>The part a failure stopped the run on, when it is one that a run again cannot fix by itself; else null.</summary>
    internal static string? BrokenPart(ErrorCategory? category, bool resolving) => category switch
    {
        ErrorCategory.Source => "source",
        ErrorCategory.Authentication or ErrorCategory.Permission => "destination credentials",
        // A configuration failure with problems is the resolver's (the model's columns, its SQL, a variable); the mirror guard has none.
        ErrorCategory.Configuration when resolving => "model",
        _ => null,
    };

    private async Task OnFinishedAsync(RunOutcome outcome)
    {
        var sync = outcome.Record.Sync;
        if (outcome.Succeeded)
        {
            await ResumeAsync(sync, $"run {outcome.Record.RunId} succeeded", CancellationToken.None);
            return;
        }
        if (BrokenPart(outcome.ErrorCategory, outcome.Problems is not null) is not { } part)
            return;
        var reason = outcome.Record.Error ?? "the run failed";
        await _state.Pauses.PauseAsync(sync, part, reason, outcome.Record.RunId, CancellationToken.None);
        var dependents = ScheduleMath.Dependents(_project.Current, sync);
        _logger.LogWarning("Sync {Sync} is paused: its {Part} is broken ({Reason}); paused with it: {Dependents}. It resumes when a check passes.",
            sync, part, reason, dependents.Count == 0 ? "none" : string.Join(", ", dependents));
    }

    /// <summary>
    /// Checks every paused sync (not its dependents: they follow it) and resumes those whose check passes. A pause of a
    /// sync no longer in sluice.yaml is dropped.
    /// </summary>
    public async Task CheckPausedAsync(CancellationToken ct)
    {
        var project = _project.Current;
        foreach (var pause in await _state.Pauses.ListAsync(ct))
        {
            var name = pause.Sync;
            if (!project.Syncs.TryGetValue(name, out var sync))
            {
                await _state.Pauses.ResumeAsync(name, ct);
                continue;
            }
            if (_runner.ActiveFor(name) is not null)
                continue;
            var now = _options.Time.GetUtcNow();
            if (await CheckAsync(sync, ct) is { } broken)
            {
                // Still broken: keep the part the run found unless the check names another (a fixed key, then a broken model).
                await _state.Pauses.StillBrokenAsync(name, broken.Part, broken.Reason, ct);
                continue;
            }
            // Another worker whose check passed too may have resumed it: the one that removed the pause runs the missed slot.
            if (!await _state.Pauses.ResumeAsync(name, ct))
                continue;
            _logger.LogInformation("Sync {Sync} resumed: its check passed", name);
            await RunMissedSlotAsync(sync, now, ct);
        }
    }

    /// <summary>A timed sync whose slot came while it was paused runs now, once; its schedule then goes on as before.</summary>
    private async Task RunMissedSlotAsync(SyncConfig sync, DateTimeOffset now, CancellationToken ct)
    {
        if (!ScheduleMath.IsTimed(sync.Schedule))
            return;
        var last = (await _state.Runs.HistoryAsync(sync.Name, 1, ct)).FirstOrDefault() is { } run
            ? new DateTimeOffset(DateTime.SpecifyKind(run.StartedAt, DateTimeKind.Utc))
            : (DateTimeOffset?)null;
        if (ScheduleMath.MissedSlot(sync.Schedule, last, now))
            _ = _runner.StartAsync(sync.Name, new RunOptions(), "resumed");
    }

    /// <summary>The resolver's check of the sync's source, model and destination (credentials and schema): null when it passes.</summary>
    private async Task<(string? Part, string Reason)?> CheckAsync(SyncConfig sync, CancellationToken ct)
    {
        try
        {
            await using var resolver = new SyncResolver(_project.Current, _options.Catalog, _options.Services);
            await resolver.ResolveAsync(sync, checkDestination: true, ct);
            return null;
        }
        catch (ConfigException e)
        {
            return ("model", string.Join(" ", e.Problems.Select(p => p.Hint is null ? p.Message : $"{p.Message} {p.Hint}")));
        }
        catch (SourceException e)
        {
            return ("source", e.Message);
        }
        catch (DeliveryException e)
        {
            // An unreachable destination fails the check without naming a broken part: it may come back by itself.
            return (BrokenPart(e.Category, resolving: false), e.Message);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TimeoutException || (e is TaskCanceledException && !ct.IsCancellationRequested))
        {
            return (null, e.Message);
        }
    }
}

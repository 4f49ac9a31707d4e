using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Sluice.Core.Destinations;
using Sluice.Core.State;
using Sluice.Engine;
using Sluice.Notifications;

namespace Sluice.Server;

/// <summary>A run this process is executing now, with where it is.</summary>
public sealed class ActiveRun
{
    private readonly TaskCompletionSource<long> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile RunProgress? _progress;

    internal ActiveRun(string sync, string reason, DateTimeOffset at, CancellationTokenSource stop, CancellationTokenSource cancel)
    {
        Sync = sync;
        Reason = reason;
        RequestedAt = at;
        Stop = stop;
        Cancel = cancel;
    }

    public string Sync { get; }

    /// <summary>Why it runs: <c>schedule</c>, <c>api</c>, <c>ui</c>, <c>after &lt;sync&gt;</c>, <c>missed slot</c>.</summary>
    public string Reason { get; }

    public DateTimeOffset RequestedAt { get; }

    /// <summary>The id history gave the run; null until the engine has claimed the sync and recorded the start.</summary>
    public long? RunId => _started.Task.IsCompletedSuccessfully ? _started.Task.Result : null;

    public RunProgress? Progress => _progress;

    /// <summary>The graceful stop: no new batch, the ones in flight commit (<see cref="RunOptions.Stop"/>).</summary>
    internal CancellationTokenSource Stop { get; }

    /// <summary>The hard stop, which aborts requests in flight too (they stay in doubt for the next run).</summary>
    internal CancellationTokenSource Cancel { get; }

    internal Task<long> Started => _started.Task;

    internal Task<RunOutcome?> Completion { get; set; } = Task.FromResult<RunOutcome?>(null);

    /// <summary>Why it did not start, when it did not.</summary>
    internal string? Refusal { get; set; }

    internal void MarkStarted(long runId) => _started.TrySetResult(runId);

    internal void Report(RunProgress progress) => _progress = progress;
}

/// <summary>What came of asking for a run.</summary>
public sealed record StartResult(long? RunId, ActiveRun? AlreadyRunning, string? Refused)
{
    public bool Started => RunId is not null;
}

/// <summary>
/// Runs syncs for the scheduler and the API through the engine (<see cref="RunEngine"/>): one run of a sync at a time
/// in this process (and the state's claim across processes), live progress for the API and the UI, and on shutdown
/// a graceful stop: no new batch is sent, the batches in flight finish and commit, and the run is recorded as
/// cancelled; only the host's shutdown timeout (or a second Ctrl+C) cancels hard.
/// </summary>
public sealed class SyncRunner : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, ActiveRun> _active = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _draining = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly ProjectHost _project;
    private readonly IStateStore _state;
    private readonly ServerOptions _options;
    private readonly ILoggerFactory _loggers;
    private readonly DestinationServices _destinations;
    private readonly ILogger _logger;
    private readonly HttpClient _webhooks = new() { Timeout = TimeSpan.FromSeconds(10) };

    public SyncRunner(ProjectHost project, IStateStore state, ServerOptions options, ILoggerFactory loggers)
    {
        _project = project;
        _state = state;
        _options = options;
        _loggers = loggers;
        _logger = loggers.CreateLogger<SyncRunner>();
        // The destinations log through the server's loggers, so their lines carry the run's sync and id as the engine's do.
        _destinations = new DestinationServices
        {
            HttpClientFactory = options.Services.HttpClientFactory,
            TimeProvider = options.Services.TimeProvider,
            LoggerFactory = loggers,
        };
    }

    /// <summary>Where the web UI is reached, for the links in warnings (set when the server listens).</summary>
    public Uri? BaseUrl { get; set; }

    /// <summary>The run's page in the web UI, for the links in warnings.</summary>
    internal Uri? RunLink(RunRecord run) => BaseUrl is { } root ? new Uri(root, $"runs/{run.RunId}") : null;

    /// <summary>
    /// Awaited when a run has finished and is recorded, before <see cref="Finished"/> is raised: the automatic pause
    /// (<see cref="SyncHealth"/>) records a pause or a resume in the state before the syncs scheduled after it fire.
    /// </summary>
    internal Func<RunOutcome, Task>? Recorded { get; set; }

    /// <summary>Raised when a run has finished and is recorded (the scheduler starts the syncs scheduled after it).</summary>
    public event Action<RunOutcome>? Finished;

    public IReadOnlyCollection<ActiveRun> Active => _active.Values.ToList();

    public ActiveRun? ActiveFor(string sync) => _active.TryGetValue(sync, out var run) ? run : null;

    public ActiveRun? ActiveById(long runId) => _active.Values.FirstOrDefault(r => r.RunId == runId);

    /// <summary>Starts a run and returns as soon as history gave it an id; the run goes on in the background.</summary>
    public async Task<StartResult> StartAsync(string sync, RunOptions options, string reason)
    {
        if (_draining.IsCancellationRequested)
            return new StartResult(null, null, Stopping);
        if (!TryBegin(sync, reason, CancellationToken.None, out var active, out var holder))
            return new StartResult(null, holder, null);
        active.Completion = Task.Run(() => ExecuteAsync(active, options));
        await Task.WhenAny(active.Started, active.Completion);
        if (active.RunId is { } id)
            return new StartResult(id, null, null);
        await active.Completion;
        return new StartResult(null, null, active.Refusal ?? "The run could not start; the server log says why.");
    }

    /// <summary>
    /// Runs a sync to its end; null when it is running already (here or in another process). <paramref name="ct"/>
    /// (Quartz's, signalled when the scheduler shuts down) stops it gracefully.
    /// </summary>
    public async Task<RunOutcome?> RunAsync(string sync, RunOptions options, string reason, CancellationToken ct)
    {
        if (_draining.IsCancellationRequested)
        {
            _logger.LogInformation("Sync {Sync} is not run ({Reason}): {Message}", sync, reason, Stopping);
            return null;
        }
        if (!TryBegin(sync, reason, ct, out var active, out var holder))
        {
            _logger.LogInformation("Sync {Sync} is running already (run {RunId}): this {Reason} run is skipped", sync, holder?.RunId, reason);
            return null;
        }
        active.Completion = ExecuteAsync(active, options);
        return await active.Completion;
    }

    /// <summary>Asks a run of this process to stop after what is in flight; false when no such run is here.</summary>
    public bool Cancel(long runId)
    {
        if (ActiveById(runId) is not { } run)
            return false;
        run.Stop.Cancel();
        return true;
    }

    /// <summary>Why no run starts once the server is stopping (a firing or a check that comes late; its token sources may be gone).</summary>
    private const string Stopping = "The server is stopping: no new run starts.";

    private bool TryBegin(string sync, string reason, CancellationToken ct, out ActiveRun active, out ActiveRun? holder)
    {
        var stop = CancellationTokenSource.CreateLinkedTokenSource(_draining.Token, ct);
        var cancel = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        active = new ActiveRun(sync, reason, _options.Time.GetUtcNow(), stop, cancel);
        if (_active.TryAdd(sync, active))
        {
            holder = null;
            return true;
        }
        stop.Dispose();
        cancel.Dispose();
        holder = ActiveFor(sync);
        return false;
    }

    private async Task<RunOutcome?> ExecuteAsync(ActiveRun active, RunOptions options)
    {
        RunOutcome? outcome = null;
        try
        {
            var project = _project.Current;
            if (!project.Syncs.TryGetValue(active.Sync, out var sync))
            {
                active.Refusal = $"There is no sync named '{active.Sync}' in sluice.yaml any more.";
                return null;
            }
            await using var resolver = new SyncResolver(project, _options.Catalog, _destinations);
            // Warnings go to the sync's channels (webhook, email) once when they start and once when they clear, linking the run's page.
            var notifier = new ChannelNotifier(project, _webhooks, new NotifierOptions { RunLink = RunLink, Time = _options.Time }, _loggers);
            var engine = new RunEngine(new ObservedState(_state, (_, id) => active.MarkStarted(id)), notifier, _loggers);
            outcome = await engine.RunAsync(sync, t => resolver.ResolveAsync(sync, checkDestination: true, t), options with { Stop = active.Stop.Token },
                new LatestProgress(active), active.Cancel.Token);
            _logger.LogInformation("Run {RunId} of sync {Sync} ({Reason}) {Status}: {Delivered} delivered, {Rejected} rejected",
                outcome.Record.RunId, active.Sync, active.Reason, outcome.Record.Status, outcome.Record.Counts.Delivered, outcome.Record.Counts.Rejected);
            return outcome;
        }
        catch (SyncBusyException e)
        {
            // Another process (a CLI run, another worker) holds the sync: its run is the one that counts.
            active.Refusal = e.Message;
            _logger.LogInformation("Sync {Sync} was not run ({Reason}): {Message}", active.Sync, active.Reason, e.Message);
            return null;
        }
        catch (Exception e) when (e is StateException or IOException or OperationCanceledException)
        {
            active.Refusal = e.Message;
            _logger.LogError("Sync {Sync} could not start: {Message}", active.Sync, e.Message);
            return null;
        }
        finally
        {
            _active.TryRemove(new KeyValuePair<string, ActiveRun>(active.Sync, active));
            active.Stop.Dispose();
            active.Cancel.Dispose();
            if (outcome is not null)
            {
                await RecordAsync(outcome);
                RaiseFinished(outcome);
            }
        }
    }

    private async Task RecordAsync(RunOutcome outcome)
    {
        if (Recorded is not { } recorded)
            return;
        try
        {
            await recorded(outcome);
        }
        catch (Exception e) when (e is StateException or IOException)
        {
            _logger.LogError("After run {RunId} of sync {Sync}, its pause could not be recorded: {Message}", outcome.Record.RunId, outcome.Record.Sync, e.Message);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _logger.LogError(e, "After run {RunId} of sync {Sync}", outcome.Record.RunId, outcome.Record.Sync);
        }
    }

    private void RaiseFinished(RunOutcome outcome)
    {
        try
        {
            Finished?.Invoke(outcome);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _logger.LogError(e, "After run {RunId} of sync {Sync}", outcome.Record.RunId, outcome.Record.Sync);
        }
    }

    /// <summary>
    /// Stops every run gracefully (no new batch; those in flight finish and commit; recorded as cancelled) and waits
    /// for them; <paramref name="hard"/> (the host's shutdown timeout) or <see cref="CancelAll"/> then aborts them.
    /// </summary>
    public async Task StopAsync(CancellationToken hard = default)
    {
        await _draining.CancelAsync();
        await using var abort = hard.Register(CancelAll);
        await Task.WhenAll(_active.Values.Select(r => r.Completion));
    }

    /// <summary>Aborts every run, requests in flight included (what they sent stays in doubt for the next run).</summary>
    public void CancelAll() => _stopping.Cancel();

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _draining.Dispose();
        _stopping.Dispose();
        _webhooks.Dispose();
    }

    /// <summary>Keeps the latest progress as it is reported, on the run's own thread (no posting, no queue).</summary>
    private sealed class LatestProgress(ActiveRun run) : IProgress<RunProgress>
    {
        public void Report(RunProgress value) => run.Report(value);
    }
}

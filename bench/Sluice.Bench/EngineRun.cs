using Sluice.Core.State;
using System.Diagnostics;
using Sluice.Core.Configuration;
using Sluice.Core.Destinations;
using Sluice.Engine;
using Sluice.State;

namespace Sluice.Bench;

/// <summary>
/// What the delivery benchmarks share: resolving a sync the way <c>sluice run</c> does (loader, static checks, live
/// check against the destination), then timing one <see cref="RunEngine.RunAsync"/> with its phases and CPU.
/// </summary>
internal static class EngineRun
{
    /// <summary>What <c>sluice run</c> does before the engine: resolve the sync and check it against the live destination.</summary>
    public static async Task<ResolvedSync> ResolveAsync(ProjectConfig config, ProjectCatalog catalog, string syncName, CancellationToken ct)
    {
        var sync = config.Syncs[syncName];
        var model = config.Models[sync.Model];
        var source = catalog.Sources[config.Sources[model.Source].Type].Create(config.Sources[model.Source], config.Directory);
        var columns = await source.DescribeAsync(model.Sql, ct);
        var destinationConfig = config.Destinations[sync.Destination];
        var provider = catalog.Destinations[destinationConfig.Type];
        var settings = ProjectValidator.ToSettings(destinationConfig);
        var destination = provider.Create(settings, DestinationServices.Default);
        var context = ProjectValidator.ToSyncContext(config, sync, columns);
        var problems = ProjectValidator.CheckColumns(config, sync, columns)
            .Concat(provider.CheckSync(settings, context).Select(p => ProjectValidator.Locate(config, sync, p)))
            .Concat((await destination.CheckAsync(context, ct)).Select(p => ProjectValidator.Locate(config, sync, p)))
            .ToList();
        if (problems.Count > 0)
            throw new BenchException("The benchmark's sync is invalid: " + string.Join("; ", problems));
        return new ResolvedSync(new SyncRunRequest(sync, model, source, provider, destination, columns), source, destination);
    }

    /// <summary>
    /// Loads the project in <paramref name="project"/>, resolves <paramref name="syncName"/> and times one run of it.
    /// <paramref name="beforeRun"/> is called after the checks, just before the timing starts (to read counters).
    /// </summary>
    public static async Task<RunMeasure> RunAsync(string project, ProjectCatalog catalog, IReadOnlyDictionary<string, string?> environment,
        string syncName, CancellationToken ct, Func<Task>? beforeRun = null)
    {
        var config = ProjectLoader.Load(project, catalog, environment);
        await using var resolved = await ResolveAsync(config, catalog, syncName, ct);
        await using var state = await EmbeddedState.OpenAsync(project, ct);
        var engine = new RunEngine(state);
        if (beforeRun is not null)
            await beforeRun();
        var clock = new PhaseClock();
        var allocated = GC.GetTotalAllocatedBytes(precise: false);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        clock.Start();
        var outcome = await engine.RunAsync(resolved.Request, new RunOptions(), clock, ct);
        var seconds = clock.Elapsed;
        var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        allocated = GC.GetTotalAllocatedBytes(precise: false) - allocated;
        if (outcome.Record.Error is { } error)
            Report.Note($"the run of {syncName} failed: {error}");
        return new RunMeasure(outcome, seconds, clock.FirstDelivery ?? seconds, seconds - (clock.LastDelivery ?? seconds), cpuSeconds, allocated);
    }
}

/// <summary>One timed run: its outcome, wall seconds, when the first batch was committed, what came after the last, CPU, bytes allocated.</summary>
internal sealed record RunMeasure(RunOutcome Outcome, double Seconds, double FirstBatchSeconds, double TailSeconds, double CpuSeconds, long AllocatedBytes)
{
    public RunCounts Counts => Outcome.Record.Counts;

    public string Status => Outcome.Record.Status.ToString().ToLowerInvariant();
}

internal sealed record ResolvedSync(SyncRunRequest Request, Core.Sources.ISource Source, IDestination Destination) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        await Destination.DisposeAsync();
        await Source.DisposeAsync();
    }
}

/// <summary>Progress reports timed as they happen (synchronously, unlike Progress&lt;T&gt;).</summary>
internal sealed class PhaseClock : IProgress<RunProgress>
{
    private readonly Stopwatch _watch = new();

    public double? FirstDelivery { get; private set; }

    public double? LastDelivery { get; private set; }

    public double Elapsed => _watch.Elapsed.TotalSeconds;

    public void Start() => _watch.Restart();

    public void Report(RunProgress value)
    {
        // Timed from the first committed batch: the phase is also reported once before any batch is sent.
        if (value.Phase != RunPhase.Delivering || value.Batches == 0)
            return;
        var now = _watch.Elapsed.TotalSeconds;
        lock (_watch)
        {
            FirstDelivery ??= now;
            LastDelivery = now;
        }
    }
}

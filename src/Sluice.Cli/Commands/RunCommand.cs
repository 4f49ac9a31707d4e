using System.CommandLine;
using Sluice.Core.Configuration;
using Sluice.Core.Destinations;
using Sluice.Engine;
using Sluice.Notifications;
using Sluice.State;
using Spectre.Console;

namespace Sluice.Cli.Commands;

/// <summary>One sync of a `run`: its outcome, or why it did not run at all (another process held it, the state failed).</summary>
internal sealed record SyncResult(string Sync, RunOutcome? Outcome, string? NotRun = null, int NotRunExitCode = ExitCodes.RunFailed)
{
    public bool Succeeded => Outcome?.Succeeded == true;

    /// <summary>The mirror guard stopped this run before it deleted anything.</summary>
    public bool GuardStopped => Outcome?.Record.Warnings.Contains(RunWarnings.MirrorGuard) == true && !Succeeded;

    /// <summary>The category users see in parentheses: one per kind of stop, the same in every command.</summary>
    public string Category => GuardStopped ? "mirror guard"
        : Outcome?.Problems is not null ? "configuration"
        : SluiceCli.Describe(Outcome?.ErrorCategory ?? ErrorCategory.Destination);
}

internal static class RunCommand
{
    public static Command Create()
    {
        var sync = new Argument<string?>("sync") { Description = "The sync to run.", Arity = ArgumentArity.ZeroOrOne };
        var all = new Option<bool>("--all") { Description = "Run every sync (a sync scheduled `after X` runs after X)." };
        var full = new Option<bool>("--full-resync") { Description = "Send every row again, not only what changed." };
        var allowMassDelete = new Option<bool>("--allow-mass-delete") { Description = "Let mirror syncs delete more than their max_deletes guard." };
        var json = new Option<bool>("--json") { Description = "Print the runs as JSON (no progress bar)." };
        var command = new Command("run", "Run syncs: plan what changed, deliver it, record the run.")
        {
            sync, all, full, allowMassDelete, json,
        };
        command.SetAction((parse, ct) => SluiceCli.GuardAsync(async () =>
        {
            var name = parse.GetValue(sync);
            if (name is not null && parse.GetValue(all))
                return SluiceCli.UsageError($"name one sync (`sluice run {name}`) or use --all, not both.");
            if (name is null && !parse.GetValue(all))
                return SluiceCli.UsageError("name one sync to run (`sluice run <sync>`), or use --all to run every sync.");
            await using var workspace = SluiceCli.OpenWorkspace(parse, warn: true);
            var syncs = name is null ? InRunOrder(workspace.Project) : [workspace.Sync(name)];
            var options = new RunOptions(parse.GetValue(full), parse.GetValue(allowMassDelete));
            var output = Output.ForConsole();
            List<SyncResult> runs;
            // OTLP export when OTEL_EXPORTER_OTLP_ENDPOINT is set; disposed (flushed) once the runs are recorded.
            using (CliTelemetry.Start())
                runs = await RunAsync(workspace, syncs, options, parse.GetValue(json), output, ct);
            if (parse.GetValue(json))
                JsonOutput.Write(new { runs = runs.Where(r => r.Outcome is not null).Select(r => JsonOutput.Run(r.Outcome!.Record)) });
            else
                WriteSummary(runs, output);
            // Why a sync did not run is an error: on stderr, with or without --json (the table shows it as "not run").
            foreach (var notRun in runs.Where(r => r.Outcome is null))
                Console.Error.WriteLine($"error: {notRun.Sync} did not run: {notRun.NotRun}");
            // A sync its configuration stopped is recorded like any run, and shown with every problem.
            var problems = runs.Where(r => r.Outcome?.Problems is not null).SelectMany(r => r.Outcome!.Problems!).Distinct().ToList();
            if (problems.Count > 0)
                SluiceCli.WriteProblems(problems);
            return ExitCode(runs);
        }));
        return command;
    }

    /// <summary>0 when every sync succeeded; 2 when a configuration stopped one; 1 when any other failed or did not run.</summary>
    public static int ExitCode(IReadOnlyList<SyncResult> runs)
    {
        if (runs.Any(r => r.Outcome?.Problems is not null || (r.Outcome is null && r.NotRunExitCode == ExitCodes.BadConfig)))
            return ExitCodes.BadConfig;
        return runs.All(r => r.Succeeded) ? ExitCodes.Ok : ExitCodes.RunFailed;
    }

    /// <summary>
    /// Runs each sync in turn. Every one either runs (and is recorded) or says why it did not: one that cannot start
    /// never keeps the others from running.
    /// </summary>
    public static async Task<List<SyncResult>> RunAsync(Workspace workspace, IReadOnlyList<SyncConfig> syncs, RunOptions options,
        bool quiet, Output output, CancellationToken ct)
    {
        var state = await workspace.StateAsync(ct);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var logs = workspace.Resolver.Services.LoggerFactory;
        var engine = new RunEngine(state, new ChannelNotifier(workspace.Project, http, loggerFactory: logs));
        var results = new List<SyncResult>();
        foreach (var sync in syncs)
        {
            if (ct.IsCancellationRequested)
            {
                results.Add(new SyncResult(sync.Name, null, "cancelled before it started."));
                continue;
            }
            try
            {
                results.Add(new SyncResult(sync.Name, await RunOneAsync(engine, workspace, sync, options, quiet, output, ct)));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                var (message, exitCode) = SluiceCli.Explain(e);
                results.Add(new SyncResult(sync.Name, null, message, exitCode));
            }
        }
        return results;
    }

    private static async Task<RunOutcome> RunOneAsync(RunEngine engine, Workspace workspace, SyncConfig sync, RunOptions options, bool quiet,
        Output output, CancellationToken ct)
    {
        Task<SyncRunRequest> Resolve(CancellationToken token) => workspace.Resolver.ResolveAsync(sync, checkDestination: true, token);
        if (quiet)
            return await engine.RunAsync(sync, Resolve, options, null, ct);
        if (output.Plain)
        {
            // No progress bar without a terminal; a run that the destination's limits make slow still says so, once.
            var said = false;
            var pacing = new InlineProgress<RunProgress>(p =>
            {
                if (p.Pacing is not { } paced || p.Phase != RunPhase.Delivering || said)
                    return;
                said = true;
                output.Line(Markup.Escape($"{sync.Name}: waiting on the destination's limits, {paced.ToString().TrimEnd('.')}."));
            });
            return await engine.RunAsync(sync, Resolve, options, pacing, ct);
        }
        RunOutcome? outcome = null;
        await AnsiConsole.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(sync.Name));
                task.IsIndeterminate = true;
                var progress = new InlineProgress<RunProgress>(p =>
                {
                    // When pacing dominates, the line says which limit the run waits on (it would look stuck otherwise).
                    task.Description = $"{Markup.Escape(sync.Name)}: {p.Phase.ToString().ToLowerInvariant()}" +
                        (p.Pacing is { } paced && p.Phase == RunPhase.Delivering ? Markup.Escape($", waiting on {paced.Reason.TrimEnd('.')}") : "");
                    if (p.Planned > 0)
                    {
                        task.IsIndeterminate = false;
                        task.MaxValue = p.Planned;
                        task.Value = Math.Min(p.Done, p.Planned);
                    }
                });
                outcome = await engine.RunAsync(sync, Resolve, options, progress, ct);
                task.StopTask();
            });
        return outcome!;
    }

    public static void WriteSummary(IReadOnlyList<SyncResult> runs, Output output)
    {
        Column[] columns =
        [
            new("sync"), new("status", Style: HistoryCommand.StatusMarkup), new("planned", Numeric: true, DropOrder: 1),
            new("sent", Numeric: true, DropOrder: 5), new("rejected", Numeric: true, DropOrder: 2), new("not found", Numeric: true, DropOrder: 3),
            new("time", Numeric: true, DropOrder: 4),
        ];
        var rows = runs.Select(r => r.Outcome?.Record is { } run
            ? new[]
            {
                run.Sync, HistoryCommand.StatusText(run.Status), Formats.Count(run.Counts.Planned), Formats.Count(run.Counts.Sent),
                Formats.Count(run.Counts.Rejected), Formats.Count(run.Counts.NotFound), run.Duration is { } d ? $"{d.TotalSeconds:0.00}s" : "",
            }
            : [r.Sync, "not run", "", "", "", "", ""]).ToList();
        output.Table(columns, rows);
        foreach (var result in runs)
        {
            var name = Markup.Escape(result.Sync);
            if (result.Outcome is not { Record: var run } outcome)
                continue;
            var c = run.Counts;
            output.Line($"{name}: {Formats.Count(c.ModelRows)} model rows: {Formats.Count(c.Added)} added, {Formats.Count(c.Changed)} changed, " +
                $"{Formats.Count(c.Removed)} removed, {Formats.Count(c.Unchanged)} unchanged; delivered {Formats.Count(c.Delivered)}, " +
                $"deleted {Formats.Count(c.Deleted)}, skipped {Formats.Count(c.Skipped)}.");
            if (run.Error is not null && outcome.Problems is null)
                output.Line($"[red]{name} {run.Status.ToString().ToLowerInvariant()} ({result.Category}):[/] {Markup.Escape(run.Error)}");
            if (c.Rejected + c.NotFound > 0)
                output.Line($"[yellow]{name}:[/] {Formats.Count(c.Rejected)} rejected, {Formats.Count(c.NotFound)} not found: see `sluice rejected {name}`; they are retried next run.");
            if (run.Warnings.Count > 0)
                output.Line($"[yellow]warnings for {name}:[/] {Markup.Escape(string.Join(", ", run.Warnings))}");
        }
        if (runs.Count > 1)
        {
            var failed = runs.Count(r => !r.Succeeded);
            output.Line(failed == 0
                ? $"[green]All {runs.Count} syncs succeeded.[/]"
                : $"[red]{failed} of {runs.Count} syncs did not succeed:[/] {Markup.Escape(string.Join(", ", runs.Where(r => !r.Succeeded).Select(r => r.Sync)))}.");
        }
    }

    /// <summary>Every sync, each one after the syncs it is scheduled `after`.</summary>
    private static List<SyncConfig> InRunOrder(ProjectConfig project)
    {
        var ordered = new List<SyncConfig>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Visit(SyncConfig sync)
        {
            if (!seen.Add(sync.Name))
                return;
            if (sync.Schedule is AfterSchedule after && project.Syncs.TryGetValue(after.Sync, out var first))
                Visit(first);
            ordered.Add(sync);
        }
        foreach (var sync in project.Syncs.Values.OrderBy(s => s.Name, StringComparer.Ordinal))
            Visit(sync);
        return ordered;
    }
}

/// <summary>Reports on the caller's thread, in order (<see cref="Progress{T}"/> posts to the thread pool, out of order).</summary>
internal sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    private readonly Lock _gate = new();

    public void Report(T value)
    {
        lock (_gate)
            report(value);
    }
}

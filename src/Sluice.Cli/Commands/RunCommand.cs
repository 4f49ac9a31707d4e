using System.CommandLine;
using Sluice.Core.Configuration;
using Sluice.Engine;
using Sluice.Notifications;
using Sluice.State;
using Spectre.Console;

namespace Sluice.Cli.Commands;

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
            if (name is null == !parse.GetValue(all))
            {
                Console.Error.WriteLine("error: name one sync (`sluice run <sync>`) or use --all.");
                return ExitCodes.BadConfig;
            }
            await using var workspace = SluiceCli.OpenWorkspace(parse, warn: true);
            var syncs = name is null ? InRunOrder(workspace.Project) : [workspace.Sync(name)];
            var options = new RunOptions(parse.GetValue(full), parse.GetValue(allowMassDelete));
            var runs = await RunAsync(workspace, syncs, options, parse.GetValue(json), ct);
            if (parse.GetValue(json))
                JsonOutput.Write(new { runs = runs.Select(r => JsonOutput.Run(r.Record)) });
            else
                WriteSummary(runs);
            // A sync its configuration stopped is recorded like any run, and shown with every problem.
            var problems = runs.Where(r => r.Problems is not null).SelectMany(r => r.Problems!).ToList();
            if (problems.Count > 0)
            {
                SluiceCli.WriteProblems(problems);
                return ExitCodes.BadConfig;
            }
            return runs.All(r => r.Succeeded) ? ExitCodes.Ok : ExitCodes.RunFailed;
        }));
        return command;
    }

    public static async Task<List<RunOutcome>> RunAsync(Workspace workspace, IReadOnlyList<SyncConfig> syncs, RunOptions options,
        bool quiet, CancellationToken ct)
    {
        var state = await workspace.StateAsync(ct);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var logs = workspace.Resolver.Services.LoggerFactory;
        var engine = new RunEngine(state, new ChannelNotifier(workspace.Project, http, loggerFactory: logs));
        var outcomes = new List<RunOutcome>();
        foreach (var sync in syncs)
        {
            Task<SyncRunRequest> Resolve(CancellationToken token) => workspace.Resolver.ResolveAsync(sync, checkDestination: true, token);
            if (quiet || !AnsiConsole.Profile.Capabilities.Interactive)
            {
                outcomes.Add(await engine.RunAsync(sync, Resolve, options, null, ct));
                continue;
            }
            await AnsiConsole.Progress()
                .AutoClear(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async ctx =>
                {
                    var task = ctx.AddTask(Markup.Escape(sync.Name));
                    task.IsIndeterminate = true;
                    var progress = new Progress<RunProgress>(p =>
                    {
                        task.Description = $"{Markup.Escape(sync.Name)}: {p.Phase.ToString().ToLowerInvariant()}" +
                            (p.Pacing is { } paced && p.Phase == RunPhase.Delivering ? Markup.Escape($" (paced, {paced})") : "");
                        if (p.Planned > 0)
                        {
                            task.IsIndeterminate = false;
                            task.MaxValue = p.Planned;
                            task.Value = Math.Min(p.Done, p.Planned);
                        }
                    });
                    outcomes.Add(await engine.RunAsync(sync, Resolve, options, progress, ct));
                    task.StopTask();
                });
        }
        return outcomes;
    }

    public static void WriteSummary(IReadOnlyList<RunOutcome> runs)
    {
        var table = new Table().AddColumns("sync", "status", "planned", "sent", "rejected", "not found", "time");
        foreach (var outcome in runs)
        {
            var run = outcome.Record;
            var c = run.Counts;
            table.AddRow(Markup.Escape(run.Sync), HistoryCommand.Status(run.Status),
                c.Planned.ToString("N0"), c.Sent.ToString("N0"), c.Rejected.ToString("N0"),
                c.NotFound.ToString("N0"), $"{run.Duration?.TotalSeconds:0.00}s");
        }
        AnsiConsole.Write(table);
        foreach (var outcome in runs)
        {
            var run = outcome.Record;
            var c = run.Counts;
            AnsiConsole.MarkupLine($"{Markup.Escape(run.Sync)}: {c.ModelRows:N0} model rows: {c.Added:N0} added, {c.Changed:N0} changed, " +
                $"{c.Removed:N0} removed, {c.Unchanged:N0} unchanged; delivered {c.Delivered:N0}, deleted {c.Deleted:N0}, skipped {c.Skipped:N0}.");
            if (run.Error is not null && outcome.Problems is null)
                AnsiConsole.MarkupLine($"[red]{Markup.Escape(run.Sync)} {run.Status.ToString().ToLowerInvariant()} ({SluiceCli.Describe(outcome.ErrorCategory ?? Core.Destinations.ErrorCategory.Destination)}):[/] {Markup.Escape(run.Error)}");
            if (c.Rejected + c.NotFound > 0)
                AnsiConsole.MarkupLine($"[yellow]{Markup.Escape(run.Sync)}:[/] {c.Rejected:N0} rejected, {c.NotFound:N0} not found: see `sluice rejected {Markup.Escape(run.Sync)}`; they are retried next run.");
            if (run.Warnings.Count > 0)
                AnsiConsole.MarkupLine($"[yellow]warnings for {Markup.Escape(run.Sync)}:[/] {Markup.Escape(string.Join(", ", run.Warnings))}");
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

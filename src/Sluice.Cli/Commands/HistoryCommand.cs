using System.CommandLine;
using Spectre.Console;

namespace Sluice.Cli.Commands;

internal static class HistoryCommand
{
    public static Command Create()
    {
        var sync = new Argument<string?>("sync") { Description = "Only this sync's runs.", Arity = ArgumentArity.ZeroOrOne };
        var json = new Option<bool>("--json") { Description = "Print the runs as JSON." };
        var limit = new Option<int>("--limit") { Description = "How many runs to show.", DefaultValueFactory = _ => 20 };
        var command = new Command("history", "Show past runs: status, counts, warnings and errors.") { sync, json, limit };
        command.SetAction((parse, ct) => SluiceCli.GuardAsync(async () =>
        {
            await using var workspace = SluiceCli.OpenWorkspace(parse);
            var name = parse.GetValue(sync);
            if (name is not null)
                workspace.Sync(name);
            var state = await workspace.StateAsync(ct);
            var runs = await state.Runs.HistoryAsync(name, parse.GetValue(limit), ct);
            if (parse.GetValue(json))
            {
                JsonOutput.Write(new { runs = runs.Select(JsonOutput.Run) });
                return ExitCodes.Ok;
            }
            if (runs.Count == 0)
            {
                AnsiConsole.WriteLine("No runs yet.");
                return ExitCodes.Ok;
            }
            var table = new Table().AddColumns("run", "sync", "started (UTC)", "status", "planned", "delivered", "deleted", "rejected", "not found", "time", "warnings");
            foreach (var run in runs)
            {
                table.AddRow(run.RunId.ToString(), Markup.Escape(run.Sync), run.StartedAt.ToString("yyyy-MM-dd HH:mm:ss"), Status(run.Status),
                    run.Counts.Planned.ToString("N0"), run.Counts.Delivered.ToString("N0"), run.Counts.Deleted.ToString("N0"),
                    run.Counts.Rejected.ToString("N0"), run.Counts.NotFound.ToString("N0"),
                    run.Duration is { } d ? $"{d.TotalSeconds:0.0}s" : "", Markup.Escape(string.Join(", ", run.Warnings)));
            }
            AnsiConsole.Write(table);
            foreach (var run in runs.Where(r => r.Error is not null).Take(3))
                AnsiConsole.MarkupLine($"[red]run {run.RunId}:[/] {Markup.Escape(run.Error!)}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>A run's status, coloured for the terminal.</summary>
    public static string Status(Core.State.RunStatus status) => status switch
    {
        Core.State.RunStatus.Succeeded => "[green]succeeded[/]",
        Core.State.RunStatus.Failed => "[red]failed[/]",
        Core.State.RunStatus.Interrupted => "[red]interrupted[/]",
        Core.State.RunStatus.Cancelled => "[yellow]cancelled[/]",
        _ => "[yellow]running[/]",
    };
}

using System.CommandLine;
using Spectre.Console;

namespace Sluice.Cli.Commands;

internal static class HistoryCommand
{
    public static Command Create()
    {
        var sync = new Argument<string?>("sync") { Description = "Only this sync's runs.", Arity = ArgumentArity.ZeroOrOne };
        var json = new Option<bool>("--json") { Description = "Print the runs as JSON." };
        var limit = new Option<int>("--limit") { Description = "How many runs to show.", DefaultValueFactory = _ => 20 }.AtLeast(1);
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
            var output = Output.ForConsole();
            if (runs.Count == 0)
            {
                output.Line("No runs yet.");
                return ExitCodes.Ok;
            }
            Column[] columns =
            [
                new("run", Numeric: true), new("sync"), new("started (UTC)"), new("status", Style: StatusMarkup),
                new("planned", Numeric: true, DropOrder: 1), new("delivered", Numeric: true, DropOrder: 2), new("deleted", Numeric: true, DropOrder: 6),
                new("rejected", Numeric: true, DropOrder: 3), new("not found", Numeric: true, DropOrder: 5), new("time", Numeric: true, DropOrder: 7),
                new("warnings", DropOrder: 4),
            ];
            var rows = runs.Select(run => new[]
            {
                run.RunId.ToString(System.Globalization.CultureInfo.InvariantCulture), run.Sync, Formats.Utc(run.StartedAt), StatusText(run.Status),
                Formats.Count(run.Counts.Planned), Formats.Count(run.Counts.Delivered), Formats.Count(run.Counts.Deleted),
                Formats.Count(run.Counts.Rejected), Formats.Count(run.Counts.NotFound),
                run.Duration is { } d ? $"{d.TotalSeconds:0.0}s" : "", string.Join(", ", run.Warnings),
            }).ToList();
            output.Table(columns, rows);
            foreach (var run in runs.Where(r => r.Error is not null).Take(3))
                output.Line($"[red]run {run.RunId}:[/] {Markup.Escape(run.Error!)}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>A run's status as text.</summary>
    public static string StatusText(Core.State.RunStatus status) => status.ToString().ToLowerInvariant();

    /// <summary>A status cell coloured for the terminal.</summary>
    public static string StatusMarkup(string status) => status switch
    {
        "succeeded" => "[green]succeeded[/]",
        "failed" or "interrupted" or "not run" => $"[red]{status}[/]",
        _ => $"[yellow]{Markup.Escape(status)}[/]",
    };
}

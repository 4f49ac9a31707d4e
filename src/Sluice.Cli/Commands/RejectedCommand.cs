using System.CommandLine;
using Spectre.Console;

namespace Sluice.Cli.Commands;

internal static class RejectedCommand
{
    public static Command Create()
    {
        var sync = new Argument<string>("sync") { Description = "The sync." };
        var json = new Option<bool>("--json") { Description = "Print the rows as JSON." };
        var limit = new Option<int>("--limit") { Description = "How many rows to show.", DefaultValueFactory = _ => 100 }.AtLeast(1);
        var command = new Command("rejected", "Show the rows the last run could not deliver, with the destination's reason. They are retried next run.")
        {
            sync, json, limit,
        };
        command.SetAction((parse, ct) => SluiceCli.GuardAsync(async () =>
        {
            await using var workspace = SluiceCli.OpenWorkspace(parse);
            var name = workspace.Sync(parse.GetValue(sync)!).Name;
            var state = await workspace.StateAsync(ct);
            var rows = (await state.Runs.RejectedAsync(name, parse.GetValue(limit), ct)).OrderBy(r => r.Key, Formats.Keys).ToList();
            // The totals are the run's own counts, as `run` and `history` show them (a listed duplicate key covers several rows).
            var run = (await state.Runs.HistoryAsync(name, 1, ct)).FirstOrDefault();
            if (parse.GetValue(json))
            {
                JsonOutput.Write(new
                {
                    sync = name,
                    runId = run?.RunId,
                    rejected = run?.Counts.Rejected ?? 0,
                    notFound = run?.Counts.NotFound ?? 0,
                    rows = rows.Select(JsonOutput.Rejected),
                });
                return ExitCodes.Ok;
            }
            var output = Output.ForConsole();
            if (rows.Count == 0)
            {
                output.Line(Markup.Escape($"No rejected rows in the last run of {name}."));
                return ExitCodes.Ok;
            }
            output.Table(
                [new Column("key"), new Column("outcome"), new Column("code", DropOrder: 1), new Column("at (UTC)", DropOrder: 2), new Column("reason", Prose: true)],
                rows.Select(r => new[] { r.Key, r.Outcome, r.Code ?? "", Formats.Utc(r.At), r.Reason }).ToList());
            if (run is not null)
                output.Line(Markup.Escape($"Run {run.RunId} of {name}: {Formats.Count(run.Counts.Rejected)} rejected, {Formats.Count(run.Counts.NotFound)} not found; they are retried next run."));
            return ExitCodes.Ok;
        }));
        return command;
    }
}

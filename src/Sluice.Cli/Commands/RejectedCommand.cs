using System.CommandLine;
using Spectre.Console;

namespace Sluice.Cli.Commands;

internal static class RejectedCommand
{
    public static Command Create()
    {
        var sync = new Argument<string>("sync") { Description = "The sync." };
        var json = new Option<bool>("--json") { Description = "Print the rows as JSON." };
        var limit = new Option<int>("--limit") { Description = "How many rows to show.", DefaultValueFactory = _ => 100 };
        var command = new Command("rejected", "Show the rows the last run could not deliver, with the destination's reason. They are retried next run.")
        {
            sync, json, limit,
        };
        command.SetAction((parse, ct) => SluiceCli.GuardAsync(async () =>
        {
            await using var workspace = SluiceCli.OpenWorkspace(parse);
            var name = workspace.Sync(parse.GetValue(sync)!).Name;
            var state = await workspace.StateAsync(ct);
            var rows = await state.Runs.RejectedAsync(name, parse.GetValue(limit), ct);
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
            if (rows.Count == 0)
            {
                AnsiConsole.WriteLine($"No rejected rows in the last run of {name}.");
                return ExitCodes.Ok;
            }
            var table = new Table().AddColumns("key", "outcome", "code", "reason");
            foreach (var row in rows)
                table.AddRow(Markup.Escape(row.Key), row.Outcome, Markup.Escape(row.Code ?? ""), Markup.Escape(row.Reason));
            AnsiConsole.Write(table);
            if (run is not null)
                AnsiConsole.WriteLine($"Run {run.RunId} of {name}: {run.Counts.Rejected:N0} rejected, {run.Counts.NotFound:N0} not found; they are retried next run.");
            return ExitCodes.Ok;
        }));
        return command;
    }
}

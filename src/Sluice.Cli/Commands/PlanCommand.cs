using System.CommandLine;
using Sluice.Core.Models;
using Sluice.Engine;
using Spectre.Console;

namespace Sluice.Cli.Commands;

internal static class PlanCommand
{
    public static Command Create()
    {
        var sync = new Argument<string>("sync") { Description = "The sync to plan." };
        var full = new Option<bool>("--full-resync") { Description = "Plan sending every row again." };
        var json = new Option<bool>("--json") { Description = "Print the plan as JSON." };
        var samples = new Option<int>("--samples") { Description = "How many sample rows of each kind to show.", DefaultValueFactory = _ => 5 };
        var command = new Command("plan", "Show what the next run of a sync would send (and, for mirror, delete), without sending anything.")
        {
            sync, full, json, samples,
        };
        command.SetAction((parse, ct) => SluiceCli.GuardAsync(async () =>
        {
            await using var workspace = SluiceCli.OpenWorkspace(parse, warn: true);
            var config = workspace.Sync(parse.GetValue(sync)!);
            var request = await workspace.PrepareAsync(config, checkDestination: false, ct);
            var engine = new RunEngine(await workspace.StateAsync(ct));
            await using var plan = await engine.PlanAsync(request, new RunOptions(parse.GetValue(full)), ct);
            var t = plan.Totals;
            // What the run would do (`--allow-mass-delete` is the run's to give: the plan shows whether the guard trips).
            var runPlan = RunPlan.For(request, t, new RunOptions(parse.GetValue(full)));
            var (toSend, deletes, allowed, guardTrips) = (runPlan.ToSend, runPlan.ToDelete, runPlan.DeleteAllowance, runPlan.GuardTrips);
            var n = parse.GetValue(samples);
            var sampleRows = new List<(string Kind, string Key, object?[] Values)>();
            await foreach (var row in plan.ReadChangesAsync(true, true, n * 2, ct))
                sampleRows.Add((row.Added ? "added" : "changed", row.Key, [row.MatchValue, .. row.Values]));
            var removed = new List<string>();
            if (config.Mode == SyncMode.Mirror)
            {
                await foreach (var row in plan.ReadRemovedAsync(Math.Max(n, 20), ct: ct))
                    removed.Add(row.Key);
            }

            if (parse.GetValue(json))
            {
                JsonOutput.Write(new
                {
                    sync = config.Name,
                    mode = config.Mode,
                    counts = new
                    {
                        modelRows = t.ModelRows,
                        added = t.Added,
                        changed = t.Changed,
                        removed = t.Removed,
                        unchanged = t.Unchanged,
                        nullKeys = t.NullKeys,
                        duplicateKeys = t.DuplicateKeys,
                        toSend,
                        toDelete = deletes,
                        ledger = t.LedgerSize,
                    },
                    pacing = runPlan.Estimate is { } e ? new { atLeastSeconds = Math.Ceiling(e.AtLeast.TotalSeconds), reason = e.Reason } : null,
                    mirrorGuard = config.Mode == SyncMode.Mirror ? new { maxDeletes = config.MaxDeletes.ToString(), allowed, trips = guardTrips } : null,
                    samples = sampleRows.Select(s => new { kind = s.Kind, key = s.Key }),
                    deletes = removed,
                });
                return ExitCodes.Ok;
            }

            AnsiConsole.MarkupLine($"Plan for [bold]{Markup.Escape(config.Name)}[/] ({config.Mode.ToString().ToLowerInvariant()} into {Markup.Escape(config.Destination)}):");
            var table = new Table().AddColumns("model rows", "added", "changed", "removed", "unchanged", "invalid keys", "to send", "to delete");
            table.AddRow(t.ModelRows.ToString("N0"), t.Added.ToString("N0"), t.Changed.ToString("N0"), t.Removed.ToString("N0"),
                t.Unchanged.ToString("N0"), (t.NullKeys + t.DuplicateRows).ToString("N0"), toSend.ToString("N0"), deletes.ToString("N0"));
            AnsiConsole.Write(table);
            if (sampleRows.Count > 0)
            {
                var columns = new[] { "kind", "key", $"{config.Match.Column} → {config.Match.Field}" }
                    .Concat(config.Mappings.Select(m => $"{m.Column} → {m.Field}")).ToArray();
                var sample = new Table().Title("sample rows").AddColumns(columns.Select(Markup.Escape).ToArray());
                foreach (var (kind, key, values) in sampleRows.Take(n * 2))
                    sample.AddRow([kind, Markup.Escape(key), .. values.Select(v => Markup.Escape(v?.ToString() ?? "null"))]);
                AnsiConsole.Write(sample);
            }
            if (config.Mode == SyncMode.Mirror && t.Removed > 0)
            {
                if (t.ModelRows == 0)
                    AnsiConsole.MarkupLine("[yellow]The model returned no rows: mirror deletes nothing in that case.[/]");
                AnsiConsole.MarkupLine($"Mirror would permanently delete {deletes:N0} record(s): {Markup.Escape(string.Join(", ", removed))}{(t.Removed > removed.Count ? ", ..." : "")}");
                if (guardTrips)
                    AnsiConsole.MarkupLine($"[red]The mirror guard would stop this run:[/] {deletes:N0} deletes > max_deletes {config.MaxDeletes} ({allowed:N0} of {t.LedgerSize:N0}). Run with --allow-mass-delete if intended.");
            }
            if (t.NullKeys + t.DuplicateKeys > 0)
                AnsiConsole.MarkupLine($"[yellow]{t.NullKeys:N0} row(s) with a null key and {t.DuplicateKeys:N0} duplicated key(s) will be rejected.[/]");
            if (runPlan.Estimate is { } pacing)
                AnsiConsole.MarkupLine(Markup.Escape($"The destination's limits pace this delivery: {pacing.ToString().TrimEnd('.')}."));
            return ExitCodes.Ok;
        }));
        return command;
    }
}

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
        var samples = new Option<int>("--samples")
        {
            Description = "How many sample rows of each kind (added, changed, removed, invalid) to show; 0 for none.",
            DefaultValueFactory = _ => 5,
        }.AtLeast(0, 10_000);
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

            // Up to n of each kind, each kind in key order (numbers as numbers).
            var sampleRows = new List<(string Kind, string Key, string[] Cells)>();
            if (n > 0)
            {
                foreach (var (kind, added) in new[] { ("added", true), ("changed", false) })
                {
                    var rows = new List<(string Kind, string Key, string[] Cells)>();
                    await foreach (var row in plan.ReadChangesAsync(added, !added, n, ct))
                        rows.Add((kind, row.Key, [Cell(row.MatchValue), .. row.Values.Select(Cell)]));
                    sampleRows.AddRange(rows.OrderBy(r => r.Key, Formats.Keys));
                }
                // A removed row's values are gone from the model; the ledger keeps its match value only.
                var removedSamples = new List<(string Kind, string Key, string[] Cells)>();
                await foreach (var row in plan.ReadRemovedAsync(n, ct: ct))
                    removedSamples.Add(("removed", row.Key, [row.MatchValue ?? "", .. config.Mappings.Select(_ => "")]));
                sampleRows.AddRange(removedSamples.OrderBy(r => r.Key, Formats.Keys));
                var invalid = new List<(string Kind, string Key, string[] Cells)>();
                await foreach (var (key, count) in plan.ReadInvalidKeysAsync(ct))
                {
                    if (invalid.Count == n)
                        break;
                    invalid.Add(("invalid", key is null ? "(null)" : count > 1 ? $"{key} (x{count})" : key, new string[config.Mappings.Count + 1].Select(_ => "").ToArray()));
                }
                sampleRows.AddRange(invalid);
            }
            var removed = new List<string>();
            if (config.Mode == SyncMode.Mirror)
            {
                await foreach (var row in plan.ReadRemovedAsync(Math.Max(n, 20), ct: ct))
                    removed.Add(row.Key);
                removed.Sort(Formats.Keys);
            }
            // The ledger keeps a hash of the mapped fields, not the mapping: a changed mapping shows as every row changed.
            var everyRowChanged = t.Changed > 0 && t.Unchanged == 0 && !parse.GetValue(full);

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
                        duplicateMatches = t.DuplicateMatches,
                        toSend,
                        toDelete = deletes,
                        ledger = t.LedgerSize,
                    },
                    pacing = runPlan.Estimate is { } e ? new { atLeastSeconds = Math.Ceiling(e.AtLeast.TotalSeconds), reason = e.Reason } : null,
                    mirrorGuard = config.Mode == SyncMode.Mirror ? new { maxDeletes = config.MaxDeletes.ToString(), allowed, trips = guardTrips } : null,
                    everyRowChanged,
                    samples = sampleRows.Select(s => new { kind = s.Kind, key = s.Key }),
                    deletes = removed,
                });
                return ExitCodes.Ok;
            }

            var output = Output.ForConsole();
            output.Line($"Plan for [bold]{Markup.Escape(config.Name)}[/] ({config.Mode.ToString().ToLowerInvariant()} into {Markup.Escape(config.Destination)}):");
            // One count a line: eight numbers never fit 80 columns side by side with their names.
            output.Table([new Column("count"), new Column("rows", Numeric: true)],
            [
                ["model rows", Formats.Count(t.ModelRows)], ["added", Formats.Count(t.Added)], ["changed", Formats.Count(t.Changed)],
                ["removed", Formats.Count(t.Removed)], ["unchanged", Formats.Count(t.Unchanged)],
                ["invalid keys", Formats.Count(t.NullKeys + t.DuplicateRows + t.DuplicateMatches)], ["to send", Formats.Count(toSend)], ["to delete", Formats.Count(deletes)],
            ]);
            if (sampleRows.Count > 0)
            {
                var columns = new List<Column> { new("kind"), new("key"), new($"{config.Match.Column} → {config.Match.Field}") };
                // The rightmost mappings go first when the width is short; kind, key and match always stay.
                columns.AddRange(config.Mappings.Select((m, i) => new Column($"{m.Column} → {m.Field}", DropOrder: i + 1)));
                var rows = sampleRows.Select(s => new[] { s.Kind, s.Key }.Concat(s.Cells).ToArray()).ToList();
                output.Table(columns, rows, $"sample rows (up to {n:N0} of each kind)");
            }
            if (config.Mode == SyncMode.Mirror && t.Removed > 0)
            {
                if (t.ModelRows == 0)
                    output.Line("[yellow]The model returned no rows: mirror deletes nothing in that case.[/]");
                output.Line($"Mirror would permanently delete {Formats.Count(deletes)} record(s): {Markup.Escape(string.Join(", ", removed))}{(t.Removed > removed.Count ? ", ..." : "")}");
                if (guardTrips)
                    output.Line($"[red]The mirror guard would stop this run:[/] {Formats.Count(deletes)} deletes > max_deletes {config.MaxDeletes} ({Formats.Count(allowed)} of {Formats.Count(t.LedgerSize)}). Run with --allow-mass-delete if intended.");
            }
            if (t.NullKeys + t.DuplicateKeys > 0)
                output.Line($"[yellow]{Formats.Count(t.NullKeys)} row(s) with a null key and {Formats.Count(t.DuplicateKeys)} duplicated key(s) will be rejected.[/]");
            if (t.DuplicateMatches > 0)
            {
                output.Line($"[yellow]{Formats.Count(t.DuplicateMatches)} row(s) share a {Markup.Escape(config.Match.Field)} with another row " +
                    "(the destination would merge them) and will be rejected.[/]");
            }
            if (everyRowChanged)
            {
                output.Line("[yellow]Every row the ledger holds changed.[/] If you edited this sync's match or mappings (added, removed or renamed one), " +
                    "that is why: Sluice compares a hash of the mapped fields, so every row is sent again, with the fields mapped now.");
            }
            if (runPlan.Estimate is { } pacing)
                output.Line(Markup.Escape($"The destination's limits pace this delivery: {pacing.ToString().TrimEnd('.')}."));
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>A sample value, there to recognise a row: long text is cut (a key or a number never is).</summary>
    private static string Cell(object? value) => Formats.Value(value) is { Length: > 40 } text && value is string ? text[..39] + "…" : Formats.Value(value);
}

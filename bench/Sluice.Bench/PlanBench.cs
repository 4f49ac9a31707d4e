using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Core.Models;
using Sluice.Sources.DuckDb;
using Sluice.Core.Planning;
using Sluice.State;

namespace Sluice.Bench;

/// <summary>
/// <c>plan</c>: how long <see cref="Planner.PlanAsync"/> takes, and how much memory, on a large model whose
/// ledger says every row was delivered before and of which a small share changed since. Each measurement runs
/// in a fresh process (<c>plan-child</c>), so its peak RSS is the plan's own.
/// </summary>
internal static class PlanBench
{
    private const int SetupVersion = 1;
    private const double TargetSeconds = 5;
    private const double TargetRssMiB = 1024;

    public static async Task<int> RunAsync(BenchArgs args, CancellationToken ct)
    {
        var rows = args.Long("rows", 10_000_000);
        var percent = args.Double("change-percent", 1);
        var repeat = (int)Math.Max(1, args.Long("repeat", 3));
        var work = args.String("work") ?? Path.Combine(Path.GetTempPath(), "sluice-bench");
        var regenerate = args.Flag("regenerate");
        var stream = !args.Flag("no-stream");
        args.RejectUnknown();

        var report = new Report("plan");
        Machine.Describe(report);
        var dir = Path.Combine(work, $"plan-{rows}-{percent.ToString(System.Globalization.CultureInfo.InvariantCulture)}pct");
        var setup = await PrepareAsync(dir, rows, percent, regenerate, ct);
        report.Line("work", dir);
        report.Line("ledger seeding", "one SQL INSERT ... SELECT of the planner's own hash expression; checked by a plan of the unchanged model (0 added, 0 changed, 0 removed)");

        var runs = new List<JsonObject>();
        for (var i = 1; i <= repeat; i++)
        {
            var childArgs = new List<string> { "plan-child", "--dir", dir };
            if (!stream)
                childArgs.Add("--no-stream");
            var info = Spawn.Self([.. childArgs]);
            info.WorkingDirectory = dir;
            var result = await Spawn.RunAsync(info, TimeSpan.FromMinutes(20), ct);
            result.EnsureSuccess($"plan run {i}");
            var json = LastJson(result.Stdout);
            runs.Add(json);
            Report.Note($"run {i}: plan {(double)json["plan_seconds"]!:0.000} s (CPU {(double)json["plan_cpu_seconds"]!:0.00} s), " +
                $"peak RSS {(double)json["peak_rss_after_plan_mib"]!:0} MiB, spilled {(double)json["spilled_mib"]!:0} MiB" +
                (stream ? $", streaming {(long)json["streamed_rows"]!:N0} rows {(double)json["stream_seconds"]!:0.000} s (peak RSS {(double)json["peak_rss_after_stream_mib"]!:0} MiB)" : "") +
                $", load {(double)json["load"]!:0.0}");
        }

        var first = runs[0];
        var seconds = runs.Select(r => (double)r["plan_seconds"]!).ToList();
        var rss = runs.Select(r => (double)r["peak_rss_after_plan_mib"]!).ToList();
        report.Line("rows", (long)first["model_rows"]!);
        report.Line("ledger", (long)first["ledger_size"]!);
        report.Line("added", (long)first["added"]!);
        report.Line("changed", (long)first["changed"]!);
        report.Line("removed", (long)first["removed"]!);
        report.Line("unchanged", (long)first["unchanged"]!);
        report.Line("unmapped edits (not changes)", setup.UnmappedEdits);
        report.Line("counts as expected", runs.All(r => (bool)r["counts_ok"]!));
        report.Line("runs", repeat);
        report.Line("seconds min", seconds.Min(), "s");
        report.Line("seconds median", Stats.Median(seconds), "s");
        report.Line("cpu seconds median", Stats.Median(runs.Select(r => (double)r["plan_cpu_seconds"]!).ToList()), "s");
        report.Line("peak rss min", rss.Min(), "MiB");
        report.Line("peak rss median", Stats.Median(rss), "MiB");
        report.Line("spilled to disk median", Stats.Median(runs.Select(r => (double)r["spilled_mib"]!).ToList()), "MiB");
        report.Line("state open seconds median", Stats.Median(runs.Select(r => (double)r["open_seconds"]!).ToList()), "s");
        if (stream)
        {
            report.Line("stream changes seconds median", Stats.Median(runs.Select(r => (double)r["stream_seconds"]!).ToList()), "s");
            report.Line("peak rss after stream median", Stats.Median(runs.Select(r => (double)r["peak_rss_after_stream_mib"]!).ToList()), "MiB");
        }
        report.Line("load after", Machine.Load());
        report.Line("target", $"<= {TargetSeconds} s and < {TargetRssMiB} MiB");
        report.Line("target met", Stats.Median(seconds) <= TargetSeconds && Stats.Median(rss) < TargetRssMiB);
        report.Json["runs_detail"] = new JsonArray([.. runs.Select(r => r.DeepClone())]);
        report.Finish();
        return 0;
    }

    /// <summary>The measured step, in its own process: open the state, plan, (stream the changes), report.</summary>
    public static async Task<int> ChildAsync(BenchArgs args, CancellationToken ct)
    {
        var dir = args.String("dir") ?? throw new UsageException("plan-child needs --dir.");
        var stream = !args.Flag("no-stream");
        args.RejectUnknown();
        var setup = JsonSerializer.Deserialize<PlanSetup>(await File.ReadAllTextAsync(Path.Combine(dir, "ready.json"), ct))!;
        var load = Machine.Load();

        var watch = Stopwatch.StartNew();
        await using var store = await StateStore.OpenAsync(dir, ct);
        var openSeconds = watch.Elapsed.TotalSeconds;
        var request = await RequestAsync(dir, ct);

        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        watch.Restart();
        var plan = await new Planner(store).PlanAsync(request, ct);
        var planSeconds = watch.Elapsed.TotalSeconds;
        var planCpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        var rssAfterPlan = Machine.PeakRssMiB();
        var totals = plan.Totals;
        // DuckDB spills what does not fit its memory_limit to temporary files; the plan's tables are still alive here.
        long spilled;
        await using (var probe = store.NewConnection())
            spilled = await probe.ScalarAsync<long>("SELECT coalesce(sum(size), 0)::BIGINT FROM duckdb_temporary_files()", ct);

        long streamed = 0;
        double streamSeconds = 0;
        if (stream)
        {
            // What a run does next: read every added and changed row with its values.
            watch.Restart();
            await foreach (var _ in plan.ReadChangesAsync(true, true, ct: ct))
                streamed++;
            streamSeconds = watch.Elapsed.TotalSeconds;
        }
        await plan.DisposeAsync();

        var countsOk = totals.Added == setup.Added && totals.Changed == setup.Changed && totals.Removed == setup.Removed
            && totals.ModelRows == setup.Rows + setup.Added - setup.Removed && (!stream || streamed == setup.Added + setup.Changed);
        var json = new JsonObject
        {
            ["bench"] = "plan-child",
            ["load"] = load,
            ["open_seconds"] = Math.Round(openSeconds, 4),
            ["plan_seconds"] = Math.Round(planSeconds, 4),
            ["plan_cpu_seconds"] = Math.Round(planCpuSeconds, 3),
            ["spilled_mib"] = Math.Round(spilled / 1048576.0, 1),
            ["peak_rss_after_plan_mib"] = Math.Round(rssAfterPlan, 1),
            ["model_rows"] = totals.ModelRows,
            ["ledger_size"] = totals.LedgerSize,
            ["added"] = totals.Added,
            ["changed"] = totals.Changed,
            ["removed"] = totals.Removed,
            ["unchanged"] = totals.Unchanged,
            ["counts_ok"] = countsOk,
            ["streamed_rows"] = streamed,
            ["stream_seconds"] = Math.Round(streamSeconds, 4),
            ["peak_rss_after_stream_mib"] = Math.Round(Machine.PeakRssMiB(), 1),
        };
        Console.Out.WriteLine(json.ToJsonString());
        return 0;
    }

    private static async Task<PlanRequest> RequestAsync(string dir, CancellationToken ct)
    {
        var source = new DuckDbSource("warehouse", Path.Combine(dir, "warehouse.duckdb"));
        IReadOnlyList<ModelColumn> columns = await source.DescribeAsync(Warehouse.ModelSql, ct);
        return new PlanRequest(Warehouse.Sync, Warehouse.ModelSql, source, Warehouse.PrimaryKey, Warehouse.Match, Warehouse.Mappings, columns);
    }

    /// <summary>Builds (once) the warehouse, the ledger of a previous full delivery, then the changes.</summary>
    private static async Task<PlanSetup> PrepareAsync(string dir, long rows, double percent, bool regenerate, CancellationToken ct)
    {
        var ready = Path.Combine(dir, "ready.json");
        if (!regenerate && File.Exists(ready))
        {
            var existing = JsonSerializer.Deserialize<PlanSetup>(await File.ReadAllTextAsync(ready, ct));
            if (existing is not null && existing.Version == SetupVersion && existing.Rows == rows && existing.Percent == percent)
            {
                Report.Note($"reusing the prepared warehouse and ledger in {dir} (--regenerate to rebuild)");
                return existing;
            }
        }

        if (Directory.Exists(dir))
            Directory.Delete(dir, recursive: true);
        Directory.CreateDirectory(dir);
        var warehouse = Path.Combine(dir, "warehouse.duckdb");
        var watch = Stopwatch.StartNew();
        Report.Note($"preparing {rows:N0} customers in {dir} (once; reused by later runs)");
        await Warehouse.CreateAsync(warehouse, rows, ct);
        Report.Note($"warehouse written in {watch.Elapsed.TotalSeconds:0.0} s");

        watch.Restart();
        await using (var store = await StateStore.OpenAsync(dir, ct))
        {
            await SeedLedgerAsync(store, warehouse, ct);
            Report.Note($"ledger seeded in {watch.Elapsed.TotalSeconds:0.0} s");
            watch.Restart();
            // Proves the seeded hashes are the planner's: an unchanged model must plan to nothing.
            await using var plan = await new Planner(store).PlanAsync(await RequestAsync(dir, ct), ct);
            var t = plan.Totals;
            if (t.Added != 0 || t.Changed != 0 || t.Removed != 0 || t.Unchanged != rows)
                throw new BenchException($"The seeded ledger does not match the planner: {t}. The planner's hash expression changed; update PlanBench.HashExpression.");
            Report.Note($"checked: the unchanged model plans to 0 added, 0 changed, 0 removed ({watch.Elapsed.TotalSeconds:0.0} s, in-process)");
        }

        watch.Restart();
        var changes = await Warehouse.ChangeAsync(warehouse, rows, percent, ct);
        Report.Note($"changed {changes.Changed:N0}, added {changes.Added:N0}, removed {changes.Removed:N0}, edited an unmapped column of {changes.UnmappedEdits:N0} ({watch.Elapsed.TotalSeconds:0.0} s)");
        var setup = new PlanSetup(SetupVersion, rows, percent, changes.Changed, changes.Added, changes.Removed, changes.UnmappedEdits);
        await File.WriteAllTextAsync(ready, JsonSerializer.Serialize(setup), ct);
        return setup;
    }

    /// <summary>
    /// Writes the ledger of a run that delivered every row, in one statement: key, the planner's hash of the match
    /// and mapped values, the destination id Iterable's writer records (the email), now.
    /// </summary>
    private static async Task SeedLedgerAsync(StateStore store, string warehouse, CancellationToken ct)
    {
        await store.EnsureLedgerAsync(Warehouse.Sync, ct);
        await using var connection = store.NewConnection();
        const string alias = "bench_warehouse";
        await connection.ExecuteAsync($"ATTACH {Sql.Literal(warehouse)} AS {alias} (READ_ONLY); USE {alias};", ct);
        try
        {
            await connection.ExecuteAsync($"""
                INSERT INTO {store.LedgerName(Warehouse.Sync)}
                SELECT CAST({Sql.Ident(Warehouse.PrimaryKey)} AS VARCHAR), {HashExpression()}, {Sql.Ident(Warehouse.Match.Column)}, ?
                FROM ({Warehouse.ModelSql}) AS sluice_model
                """, ct, DateTime.UtcNow);
        }
        finally
        {
            await connection.ExecuteAsync($"USE {Sql.Ident(store.Catalog)}; DETACH {alias};", ct);
        }
    }

    /// <summary>The planner's hash (Plan.HashExpression): the match field and column, then each field and column.</summary>
    private static string HashExpression()
    {
        var parts = new List<string> { Sql.Literal("match:" + Warehouse.Match.Field), Sql.Ident(Warehouse.Match.Column) };
        foreach (var mapping in Warehouse.Mappings)
        {
            parts.Add(Sql.Literal(mapping.Field));
            parts.Add(Sql.Ident(mapping.Column));
        }
        return $"hash({string.Join(", ", parts)})";
    }

    private static JsonObject LastJson(string stdout)
    {
        var line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .LastOrDefault(l => l.StartsWith('{'));
        return line is null
            ? throw new BenchException("The child printed no JSON line:\n" + stdout)
            : JsonNode.Parse(line)!.AsObject();
    }

    private sealed record PlanSetup(int Version, long Rows, double Percent, long Changed, long Added, long Removed, long UnmappedEdits);
}

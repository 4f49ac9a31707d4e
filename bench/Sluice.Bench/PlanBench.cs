using Sluice.Core.State;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Core.Models;
using Sluice.Core.Planning;
using Sluice.Sources.DuckDb;
using Sluice.State;

namespace Sluice.Bench;

/// <summary>
/// <c>plan</c>: how long <see cref="Planner.PlanAsync"/> takes, and how much memory, on a large model whose
/// ledger says every row was delivered before and of which a small share changed since. Each measurement runs
/// in a fresh process (<c>plan-child</c>), so its peak RSS is the plan's own.
/// </summary>
internal static class PlanBench
{
    private const int SetupVersion = 2;
    private const double TargetPlannerRatio = 2;
    private const double TargetProcessRatio = 3;
    private const double TargetRssMiB = 600;

    /// <summary>The two plans measured: the first one (empty ledger) and one after 1% changed.</summary>
    private static readonly string[] Scenarios = ["first", "changed"];

    public static async Task<int> RunAsync(BenchArgs args, CancellationToken ct)
    {
        var rows = args.Long("rows", 10_000_000);
        var percent = args.Double("change-percent", 1);
        var repeat = (int)Math.Max(1, args.Long("repeat", 3));
        var work = args.String("work") ?? Path.Combine(Path.GetTempPath(), "sluice-bench");
        var regenerate = args.Flag("regenerate");
        var stream = !args.Flag("no-stream");
        var cli = Spawn.FindCli(args.String("cli"));
        args.RejectUnknown();

        var report = new Report("plan");
        Machine.Describe(report);
        var dir = Path.Combine(work, $"plan-{rows}-{percent.ToString(System.Globalization.CultureInfo.InvariantCulture)}pct");
        var setup = await PrepareAsync(dir, rows, percent, regenerate, ct);
        report.Line("work", dir);
        report.Line("cli", cli);
        report.Line("ledger seeding", "one SQL INSERT ... SELECT of the planner's own hash expression; checked by a plan of the unchanged model (0 added, 0 changed, 0 removed)");

        // Every variant runs in a fresh process, the variants in turn, so a burst of load from elsewhere hits all of them.
        var results = new Dictionary<string, List<JsonObject>>();
        var processes = new Dictionary<string, List<(double Seconds, double RssMiB)>>();
        for (var i = 1; i <= repeat; i++)
        {
            foreach (var scenario in Scenarios)
            {
                var state = StateDir(dir, scenario);
                foreach (var child in new[] { "plan-child", "plan-duckdb" })
                {
                    var childArgs = new List<string> { child, "--dir", dir, "--state", state };
                    if (scenario == "first")
                        childArgs.Add("--first");
                    if (!stream && child == "plan-child")
                        childArgs.Add("--no-stream");
                    var result = await Spawn.RunAsync(Spawn.Self([.. childArgs]), TimeSpan.FromMinutes(20), ct);
                    result.EnsureSuccess($"{child} {scenario} run {i}");
                    var json = LastJson(result.Stdout);
                    if (!(bool)json["counts_ok"]!)
                        throw new BenchException($"{child} {scenario} run {i} planned other counts than the setup made: {json.ToJsonString()}");
                    Add(results, $"{child}:{scenario}", json);
                    Report.Note($"run {i} {scenario} {(child == "plan-child" ? "sluice planner" : "DuckDB alone")}: " +
                        $"{(double)json["plan_seconds"]!:0.000} s (CPU {(double)json["plan_cpu_seconds"]!:0.00} s), " +
                        $"peak RSS {(double)json["peak_rss_after_plan_mib"]!:0} MiB" +
                        (json["stream_seconds"] is { } ss && stream ? $", then streaming {(long)json["streamed_rows"]!:N0} rows {(double)ss:0.000} s (peak RSS {(double)json["peak_rss_after_stream_mib"]!:0} MiB)" : "") +
                        $", load {(double)json["load"]!:0.0}");
                }

                var process = await PlanProcessAsync(cli, state, ct);
                if (!processes.TryGetValue(scenario, out var list))
                    processes[scenario] = list = [];
                list.Add(process);
                Report.Note($"run {i} {scenario} `sluice plan` process: {process.Seconds:0.000} s start to exit, peak RSS {process.RssMiB:0} MiB, load {Machine.Load():0.0}");
            }
        }

        var changed = results["plan-child:changed"][0];
        report.Line("rows", (long)changed["model_rows"]!);
        report.Line("ledger", (long)changed["ledger_size"]!);
        report.Line("added", (long)changed["added"]!);
        report.Line("changed", (long)changed["changed"]!);
        report.Line("removed", (long)changed["removed"]!);
        report.Line("unmapped edits (not changes)", setup.UnmappedEdits);
        report.Line("runs", repeat);
        var met = true;
        foreach (var scenario in Scenarios)
        {
            double Median(string child, string field) => Stats.Median(results[$"{child}:{scenario}"].Select(r => (double)r[field]!).ToList());
            var planner = Median("plan-child", "plan_seconds");
            var alone = Median("plan-duckdb", "plan_seconds");
            var process = Stats.Median(processes[scenario].Select(p => p.Seconds).ToList());
            var plannerRss = Median("plan-child", "peak_rss_after_plan_mib");
            var processRss = Stats.Median(processes[scenario].Select(p => p.RssMiB).ToList());
            report.Line($"{scenario}: duckdb alone seconds median", alone, "s");
            report.Line($"{scenario}: planner seconds median", planner, "s");
            report.Line($"{scenario}: planner cpu seconds median", Median("plan-child", "plan_cpu_seconds"), "s");
            report.Line($"{scenario}: planner / duckdb alone", Math.Round(planner / alone, 2));
            report.Line($"{scenario}: sluice plan process seconds median", process, "s");
            report.Line($"{scenario}: sluice plan process / duckdb alone", Math.Round(process / alone, 2));
            report.Line($"{scenario}: planner peak rss median", plannerRss, "MiB");
            report.Line($"{scenario}: sluice plan process peak rss median", processRss, "MiB");
            report.Line($"{scenario}: duckdb alone peak rss median", Median("plan-duckdb", "peak_rss_after_plan_mib"), "MiB");
            report.Line($"{scenario}: spilled to disk median", Median("plan-child", "spilled_mib"), "MiB");
            if (stream)
            {
                report.Line($"{scenario}: stream changes seconds median", Median("plan-child", "stream_seconds"), "s");
                report.Line($"{scenario}: peak rss after stream median", Median("plan-child", "peak_rss_after_stream_mib"), "MiB");
            }
            met &= planner / alone <= TargetPlannerRatio && process / alone <= TargetProcessRatio && processRss < TargetRssMiB && plannerRss < TargetRssMiB;
        }
        report.Line("load after", Machine.Load());
        report.Line("target", $"planner <= {TargetPlannerRatio}x DuckDB alone, process <= {TargetProcessRatio}x, peak RSS < {TargetRssMiB} MiB, first and changed");
        report.Line("target met", met);
        report.Json["runs_detail"] = new JsonObject(results.Select(r => KeyValuePair.Create(r.Key, (JsonNode?)new JsonArray([.. r.Value.Select(j => j.DeepClone())]))));
        report.Finish();
        return 0;
    }

    private static void Add(Dictionary<string, List<JsonObject>> results, string key, JsonObject json)
    {
        if (!results.TryGetValue(key, out var list))
            results[key] = list = [];
        list.Add(json);
    }

    /// <summary>The project (state) of a scenario: the seeded ledger, or an empty one for the first plan.</summary>
    private static string StateDir(string dir, string scenario) => scenario == "first" ? Path.Combine(dir, "first") : dir;

    /// <summary>The real <c>sluice plan</c> process, start to exit, its peak RSS from GNU time.</summary>
    private static async Task<(double Seconds, double RssMiB)> PlanProcessAsync(string cli, string project, CancellationToken ct)
    {
        var info = Spawn.Info("/usr/bin/time", ["-f", "sluice-bench-time %M", Spawn.DotnetHost, cli, "plan", Warehouse.Sync, "--project", project]);
        info.WorkingDirectory = project;
        // plan needs no destination secret; the variables only have to exist for the project to parse.
        info.Environment["ITERABLE_BASE_URL"] = "http://127.0.0.1:9";
        info.Environment["ITERABLE_API_KEY"] = "bench-plan-key";
        var result = await Spawn.RunAsync(info, TimeSpan.FromMinutes(20), ct);
        result.EnsureSuccess("sluice plan");
        var line = result.Stderr.Split('\n').LastOrDefault(l => l.StartsWith("sluice-bench-time ", StringComparison.Ordinal))
            ?? throw new BenchException("GNU time printed no figure:\n" + result.Stderr);
        var kib = double.Parse(line["sluice-bench-time ".Length..], System.Globalization.CultureInfo.InvariantCulture);
        return (result.Elapsed.TotalSeconds, Math.Round(kib / 1024, 1));
    }

    /// <summary>The measured step, in its own process: open the state, plan, (stream the changes), report.</summary>
    public static async Task<int> ChildAsync(BenchArgs args, CancellationToken ct)
    {
        var dir = args.String("dir") ?? throw new UsageException("plan-child needs --dir.");
        var stateDir = args.String("state") ?? dir;
        var first = args.Flag("first");
        var stream = !args.Flag("no-stream");
        args.RejectUnknown();
        var setup = JsonSerializer.Deserialize<PlanSetup>(await File.ReadAllTextAsync(Path.Combine(dir, "ready.json"), ct))!;
        var load = Machine.Load();

        var watch = Stopwatch.StartNew();
        await using var state = await EmbeddedState.OpenAsync(stateDir, ct);
        await using var store = await state.ClaimAsync(Warehouse.Sync, ct);
        var openSeconds = watch.Elapsed.TotalSeconds;
        var request = await RequestAsync(dir, ct);

        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        watch.Restart();
        var plan = await new Planner().PlanAsync(request, store, ct);
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

        var (added, changed, removed) = Expected(setup, first);
        var countsOk = totals.Added == added && totals.Changed == changed && totals.Removed == removed
            && totals.ModelRows == setup.Rows + setup.Added - setup.Removed && (!stream || streamed == added + changed);
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

    private static (long Added, long Changed, long Removed) Expected(PlanSetup setup, bool first) => first
        ? (setup.Rows + setup.Added - setup.Removed, 0, 0)
        : (setup.Added, setup.Changed, setup.Removed);

    /// <summary>
    /// DuckDB alone computing the same diff, in a fresh process and a fresh DuckDB with its default settings: group the
    /// model on its key (for duplicates) with the hash of match + mapped columns, full outer join with the ledger, keep
    /// the keys that differ with their kind and hash.
    /// </summary>
    public static async Task<int> DuckDbAloneAsync(BenchArgs args, CancellationToken ct)
    {
        var dir = args.String("dir") ?? throw new UsageException("plan-duckdb needs --dir.");
        var stateDir = args.String("state") ?? dir;
        var first = args.Flag("first");
        args.RejectUnknown();
        var setup = JsonSerializer.Deserialize<PlanSetup>(await File.ReadAllTextAsync(Path.Combine(dir, "ready.json"), ct))!;
        var load = Machine.Load();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        await using var connection = new DuckDB.NET.Data.DuckDBConnection("Data Source=:memory:");
        await connection.OpenAsync(ct);
        var ledger = "bench_state.main.ledger";
        if (first)
        {
            await connection.ExecuteAsync("CREATE TEMP TABLE empty_ledger (key BIGINT, hash UBIGINT)", ct);
            ledger = "temp.main.empty_ledger";
        }
        else
        {
            await connection.ExecuteAsync($"ATTACH {Sql.Literal(Path.Combine(stateDir, ".sluice", "syncs", Sql.LedgerFile(Warehouse.Sync)))} AS bench_state (READ_ONLY)", ct);
        }
        await connection.ExecuteAsync($"ATTACH {Sql.Literal(Path.Combine(dir, "warehouse.duckdb"))} AS bench_warehouse (READ_ONLY); USE bench_warehouse;", ct);
        await connection.ExecuteAsync($"""
            CREATE TEMP TABLE diff AS
            WITH m AS (
                SELECT {Sql.Ident(Warehouse.PrimaryKey)} AS key, count(*) AS n, any_value({HashExpression()}) AS h
                FROM ({Warehouse.ModelSql}) AS model GROUP BY 1)
            SELECT coalesce(m.key, l.key) AS key,
                   CASE WHEN m.key IS NULL THEN 'R' WHEN m.n > 1 THEN 'D' WHEN l.key IS NULL THEN 'A' ELSE 'C' END AS kind, m.h AS h
            FROM m FULL OUTER JOIN {ledger} l ON m.key = l.key
            WHERE m.key IS NULL OR l.key IS NULL OR m.n > 1 OR m.h <> l.hash
            """, ct);
        var counts = new Dictionary<string, long>();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT kind, count(*) FROM diff GROUP BY kind";
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
                counts[reader.GetString(0)] = reader.GetInt64(1);
        }
        var seconds = watch.Elapsed.TotalSeconds;
        var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        var (added, changed, removed) = Expected(setup, first);
        long Count(string kind) => counts.GetValueOrDefault(kind);
        var json = new JsonObject
        {
            ["bench"] = "plan-duckdb",
            ["load"] = load,
            ["plan_seconds"] = Math.Round(seconds, 4),
            ["plan_cpu_seconds"] = Math.Round(cpuSeconds, 3),
            ["peak_rss_after_plan_mib"] = Math.Round(Machine.PeakRssMiB(), 1),
            ["added"] = Count("A"),
            ["changed"] = Count("C"),
            ["removed"] = Count("R"),
            ["counts_ok"] = Count("A") == added && Count("C") == changed && Count("R") == removed && Count("D") == 0,
        };
        Console.Out.WriteLine(json.ToJsonString());
        return 0;
    }

    private static async Task<PlanRequest> RequestAsync(string dir, CancellationToken ct)
    {
        var source = new DuckDbSource("warehouse", Path.Combine(dir, "warehouse.duckdb"));
        IReadOnlyList<ModelColumn> columns = await source.DescribeAsync(Warehouse.ModelSql, ct);
        // As an Iterable email sync: emails compared without regard to case (the duplicate match check runs).
        return new PlanRequest(Warehouse.Sync, Warehouse.ModelSql, source, Warehouse.PrimaryKey, Warehouse.Match, Warehouse.Mappings, columns,
            MatchComparison: MatchComparison.IgnoreCase);
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
        await using (var state = await EmbeddedState.OpenAsync(dir, ct))
        await using (var store = await state.ClaimAsync(Warehouse.Sync, ct))
        {
            await SeedLedgerAsync(store, warehouse, ct);
            Report.Note($"ledger seeded in {watch.Elapsed.TotalSeconds:0.0} s");
            watch.Restart();
            // Proves the seeded hashes are the planner's: an unchanged model must plan to nothing.
            await using var plan = await new Planner().PlanAsync(await RequestAsync(dir, ct), store, ct);
            var t = plan.Totals;
            if (t.Added != 0 || t.Changed != 0 || t.Removed != 0 || t.Unchanged != rows)
                throw new BenchException($"The seeded ledger does not match the planner: {t}. The planner's hash expression changed; update PlanBench.HashExpression.");
            Report.Note($"checked: the unchanged model plans to 0 added, 0 changed, 0 removed ({watch.Elapsed.TotalSeconds:0.0} s, in-process)");
        }

        watch.Restart();
        var changes = await Warehouse.ChangeAsync(warehouse, rows, percent, ct);
        Report.Note($"changed {changes.Changed:N0}, added {changes.Added:N0}, removed {changes.Removed:N0}, edited an unmapped column of {changes.UnmappedEdits:N0} ({watch.Elapsed.TotalSeconds:0.0} s)");
        // The projects `sluice plan` runs in: the seeded one, and one with the same warehouse and an empty state.
        await File.WriteAllTextAsync(Path.Combine(dir, "sluice.yaml"), Warehouse.ProjectYaml(warehouse, paceRequests: false), ct);
        Directory.CreateDirectory(StateDir(dir, "first"));
        await File.WriteAllTextAsync(Path.Combine(StateDir(dir, "first"), "sluice.yaml"), Warehouse.ProjectYaml(warehouse, paceRequests: false), ct);
        var setup = new PlanSetup(SetupVersion, rows, percent, changes.Changed, changes.Added, changes.Removed, changes.UnmappedEdits);
        await File.WriteAllTextAsync(ready, JsonSerializer.Serialize(setup), ct);
        return setup;
    }

    /// <summary>
    /// Writes the ledger of a run that delivered every row, in one statement: key, the planner's hash of the match
    /// and mapped values, the destination id Iterable's writer records (the email), now, and the hash of the email as
    /// compared (lower case).
    /// </summary>
    private static async Task SeedLedgerAsync(DuckDbLedger store, string warehouse, CancellationToken ct)
    {
        await store.PrepareAsync("BIGINT", ct);
        await using var connection = store.NewConnection();
        const string alias = "bench_warehouse";
        await connection.ExecuteAsync($"ATTACH {Sql.Literal(warehouse)} AS {alias} (READ_ONLY); USE {alias};", ct);
        try
        {
            await connection.ExecuteAsync($"""
                INSERT INTO {store.LedgerName} (key, hash, dest_id, delivered_at, match_hash)
                SELECT {Sql.Ident(Warehouse.PrimaryKey)}, {HashExpression()}, {Sql.Ident(Warehouse.Match.Column)}, ?,
                       hash(lower(CAST({Sql.Ident(Warehouse.Match.Column)} AS VARCHAR)))
                FROM ({Warehouse.ModelSql}) AS sluice_model
                """, ct, DateTime.UtcNow);
        }
        finally
        {
            await connection.ExecuteAsync($"USE {DuckDbLedger.CatalogName}; DETACH {alias};", ct);
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

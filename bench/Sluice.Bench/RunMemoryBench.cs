using System.Text.Json.Nodes;

namespace Sluice.Bench;

/// <summary>
/// <c>run-memory</c>: the peak RSS of the real <c>sluice run</c> process (GNU time's maximum resident set) on a first
/// run of an upsert to the Iterable emulator in its own process, rate limits off, for models of different sizes: memory
/// must not grow with the model (the 1,000,000-row run within 1.3x of the 100,000-row one).
/// </summary>
internal static class RunMemoryBench
{
    private const string ApiKey = "bench-memory-key";
    private const double TargetRatio = 1.3;

    public static async Task<int> RunAsync(BenchArgs args, CancellationToken ct)
    {
        var sizes = (args.String("rows") ?? "100000,1000000").Split(',').Select(s => long.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var repeat = (int)Math.Max(1, args.Long("repeat", 1));
        var work = args.String("work") ?? Path.Combine(Path.GetTempPath(), "sluice-bench");
        var cli = Spawn.FindCli(args.String("cli"));
        args.RejectUnknown();

        var report = new Report("run-memory");
        Machine.Describe(report);
        report.Line("cli", cli);
        await using var emulator = await EmulatorProcess.StartAsync(cli, ApiKey, rateLimits: false, ct);
        report.Line("emulator", "separate process, rate limits off");
        var peaks = new Dictionary<long, double>();
        var details = new JsonArray();
        foreach (var rows in sizes)
        {
            var dir = Path.Combine(work, $"run-memory-{rows}");
            var warehouse = Path.Combine(dir, "warehouse.duckdb");
            if (!File.Exists(Path.Combine(dir, "warehouse.ready")))
            {
                Directory.CreateDirectory(dir);
                await Warehouse.CreateAsync(warehouse, rows, ct);
                await File.WriteAllTextAsync(Path.Combine(dir, "warehouse.ready"), "", ct);
            }
            var rss = new List<double>();
            for (var i = 1; i <= repeat; i++)
            {
                var project = Path.Combine(dir, "project");
                if (Directory.Exists(project))
                    Directory.Delete(project, recursive: true);
                Directory.CreateDirectory(project);
                await File.WriteAllTextAsync(Path.Combine(project, "sluice.yaml"), Warehouse.ProjectYaml(warehouse, paceRequests: false), ct);
                var before = await UsersReceivedAsync(emulator, ct);
                var info = Spawn.Info("/usr/bin/time", ["-f", "sluice-bench-time %M", Spawn.DotnetHost, cli, "run", Warehouse.Sync, "--project", project]);
                info.WorkingDirectory = project;
                info.Environment["ITERABLE_BASE_URL"] = emulator.BaseUrl.ToString().TrimEnd('/');
                info.Environment["ITERABLE_API_KEY"] = ApiKey;
                var load = Machine.Load();
                var result = await Spawn.RunAsync(info, TimeSpan.FromMinutes(30), ct);
                result.EnsureSuccess($"sluice run of {rows:N0} rows");
                var sent = await UsersReceivedAsync(emulator, ct) - before;
                if (sent != rows)
                    throw new BenchException($"The run of {rows:N0} rows delivered {sent:N0} users to the emulator.");
                var line = result.Stderr.Split('\n').Last(l => l.StartsWith("sluice-bench-time ", StringComparison.Ordinal));
                var mib = double.Parse(line["sluice-bench-time ".Length..], System.Globalization.CultureInfo.InvariantCulture) / 1024;
                rss.Add(mib);
                var rate = rows / result.Elapsed.TotalSeconds;
                Report.Note($"{rows:N0} rows run {i}: peak RSS {mib:0} MiB, {result.Elapsed.TotalSeconds:0.00} s start to exit ({rate:N0} rows/s, process CPU {result.CpuTime.TotalSeconds:0.0} s), load {load:0.0}");
                details.Add(new JsonObject
                {
                    ["rows"] = rows,
                    ["peak_rss_mib"] = Math.Round(mib, 1),
                    ["seconds"] = Math.Round(result.Elapsed.TotalSeconds, 3),
                    ["rows_per_s"] = Math.Round(rate),
                    ["load"] = load,
                });
            }
            peaks[rows] = Stats.Median(rss);
            report.Line($"{rows} rows: peak rss median", peaks[rows], "MiB");
        }
        var smallest = peaks[sizes.Min()];
        foreach (var rows in sizes.Where(s => s != sizes.Min()))
            report.Line($"{rows} / {sizes.Min()} rows peak rss", Math.Round(peaks[rows] / smallest, 2));
        if (peaks.ContainsKey(100_000) && peaks.ContainsKey(1_000_000))
        {
            report.Line("target", $"1,000,000-row run within {TargetRatio}x of the 100,000-row run");
            report.Line("target met", peaks[1_000_000] / peaks[100_000] <= TargetRatio);
        }
        report.Json["runs_detail"] = details;
        report.Line("load after", Machine.Load());
        report.Finish();
        return 0;
    }

    private static async Task<long> UsersReceivedAsync(EmulatorProcess emulator, CancellationToken ct)
    {
        var stats = await emulator.StatsAsync(ct);
        return stats["usersReceived"]!.AsObject().Sum(p => (long)p.Value!);
    }
}

using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Sluice.Bench;

/// <summary>
/// <c>cli-10k</c>: the real <c>sluice run &lt;sync&gt;</c> process, from start to exit, on a 10,000-row model of
/// which 1% changed since a first full run, against the Iterable emulator in its own process. Each repetition
/// starts from the state saved after the first run, so each one sends the same changes. <c>--diagnose</c>
/// adds runs that show where the time goes.
/// </summary>
internal static class CliBench
{
    private const string ApiKey = "bench-cli-key";
    private const double TargetSeconds = 2;

    public static async Task<int> RunAsync(BenchArgs args, CancellationToken ct)
    {
        var rows = args.Long("rows", 10_000);
        var percent = args.Double("change-percent", 1);
        var repeat = (int)Math.Max(1, args.Long("repeat", 5));
        var work = args.String("work") ?? Path.Combine(Path.GetTempPath(), "sluice-bench");
        var cli = Spawn.FindCli(args.String("cli"));
        var limits = args.Choice("rate-limits", "on", "on", "off") == "on";
        var diagnose = args.Flag("diagnose");
        var diagnoseRepeat = (int)Math.Max(1, args.Long("diagnose-repeat", 5));
        args.RejectUnknown();

        var report = new Report("cli-10k");
        Machine.Describe(report);
        report.Line("cli", cli);
        var dir = Path.Combine(work, $"cli-{rows}");
        if (Directory.Exists(dir))
            Directory.Delete(dir, recursive: true);
        Directory.CreateDirectory(dir);
        var warehouse = Path.Combine(dir, "warehouse.duckdb");
        await Warehouse.CreateAsync(warehouse, rows, ct);
        await File.WriteAllTextAsync(Path.Combine(dir, "sluice.yaml"), Warehouse.ProjectYaml(warehouse, paceRequests: limits), ct);

        await using var emulator = await EmulatorProcess.StartAsync(cli, ApiKey, limits, ct);
        report.Line("emulator", $"separate process, rate limits {(limits ? "on" : "off")}");
        var runner = new CliRunner(cli, dir, emulator.BaseUrl);

        var first = await runner.RunAsync(["run", Warehouse.Sync], ct);
        first.EnsureSuccess("the first full run");
        report.Line("rows", rows);
        report.Line("first full run seconds", first.Elapsed.TotalSeconds, "s");

        var state = Path.Combine(dir, ".sluice");
        var saved = Path.Combine(dir, "state-after-first-run");
        CopyDirectory(state, saved);
        var changes = await Warehouse.ChangeAsync(warehouse, rows, percent, ct);
        report.Line("changed", changes.Changed);
        report.Line("added", changes.Added);
        report.Line("removed (upsert: not sent)", changes.Removed);
        var expected = changes.Changed + changes.Added;

        var times = new List<double>();
        for (var i = 1; i <= repeat; i++)
        {
            RestoreState(saved, state);
            var received = await UsersReceivedAsync(emulator, ct);
            var result = await runner.RunAsync(["run", Warehouse.Sync], ct);
            result.EnsureSuccess($"run {i}");
            var sent = await UsersReceivedAsync(emulator, ct) - received;
            if (sent != expected)
                throw new BenchException($"Run {i} sent {sent} users to the emulator; {expected} were expected.");
            times.Add(result.Elapsed.TotalSeconds);
            Report.Note($"run {i}: {result.Elapsed.TotalSeconds:0.000} s (process CPU {result.CpuTime.TotalSeconds:0.00} s), sent {sent:N0} users, load {Machine.Load():0.0}");
        }
        report.Line("users sent per run", expected);
        report.Line("runs", repeat);
        report.Line("seconds min", times.Min(), "s");
        report.Line("seconds median", Stats.Median(times), "s");
        report.Line("seconds max", times.Max(), "s");
        report.Line("target", $"< {TargetSeconds} s");
        report.Line("target met", Stats.Median(times) < TargetSeconds);

        if (diagnose)
            report.Json["diagnosis"] = await DiagnoseAsync(runner, saved, state, diagnoseRepeat, ct);
        report.Line("load after", Machine.Load());
        report.Finish();
        return 0;
    }

    /// <summary>
    /// Where the seconds go: the bare process, config + checks, the engine's own time, and runtime knobs. The
    /// variants take turns (round robin) so that a burst of load from elsewhere does not land on one of them only.
    /// </summary>
    private static async Task<JsonObject> DiagnoseAsync(CliRunner runner, string saved, string state, int reps, CancellationToken ct)
    {
        // A ledger already up to date with the changed model: a run that has nothing to send.
        RestoreState(saved, state);
        (await runner.RunAsync(["run", Warehouse.Sync], ct)).EnsureSuccess("the run before the no-change runs");
        var current = state + "-current";
        CopyDirectory(state, current);

        string[] run = ["run", Warehouse.Sync];
        string[] runJson = ["run", Warehouse.Sync, "--json"];
        var variants = new List<Variant>
        {
            new("sluice --version (host, runtime, command line)", ["--version"], null),
            new("sluice validate (+ config, DuckDB describe, getFields)", ["validate"], null),
            new("sluice run, 1% changed", run, saved),
            new("sluice run --json, 1% changed", runJson, saved),
            new("sluice run --json, nothing changed", runJson, current),
            new("sluice run, 1% changed, DOTNET_TieredPGO=0", run, saved, new() { ["DOTNET_TieredPGO"] = "0" }),
            new("sluice run, 1% changed, DOTNET_TC_QuickJitForLoops=1 DOTNET_OSR_HitLimit=0", run, saved,
                new() { ["DOTNET_TC_QuickJitForLoops"] = "1", ["DOTNET_OSR_HitLimit"] = "0" }),
            new("sluice run, 1% changed, DOTNET_TieredCompilation=0", run, saved, new() { ["DOTNET_TieredCompilation"] = "0" }),
            new("sluice run, 1% changed, DOTNET_ReadyToRun=0 (framework without precompiled code)", run, saved,
                new() { ["DOTNET_ReadyToRun"] = "0" }),
        };
        Report.Note($"diagnosis: medians of {reps} runs each, variants in turn");
        for (var i = 0; i < reps; i++)
        {
            foreach (var variant in variants)
            {
                if (variant.RestoreFrom is { } from)
                    RestoreState(from, state);
                var result = await runner.RunAsync(variant.Args, ct, variant.Env);
                result.EnsureSuccess(variant.Name);
                variant.Wall.Add(result.Elapsed.TotalSeconds);
                variant.Cpu.Add(result.CpuTime.TotalSeconds);
                if (variant.Args.Contains("--json") && EngineSeconds(result) is { } inside)
                    variant.Engine.Add(inside);
            }
        }

        var json = new JsonObject();
        foreach (var variant in variants)
        {
            var entry = new JsonObject
            {
                ["seconds_median"] = Math.Round(Stats.Median(variant.Wall), 4),
                ["cpu_seconds_median"] = Math.Round(Stats.Median(variant.Cpu), 3),
            };
            var text = $"{variant.Name}: {Stats.Median(variant.Wall):0.000} s (process CPU {Stats.Median(variant.Cpu):0.00} s)";
            if (variant.Engine.Count > 0)
            {
                entry["engine_seconds_median"] = Math.Round(Stats.Median(variant.Engine), 4);
                text += $"; the run itself (engine: plan, deliver, commit, record) {Stats.Median(variant.Engine):0.000} s";
            }
            json[variant.Name] = entry;
            Console.Out.WriteLine("  " + text);
        }
        return json;
    }

    private sealed record Variant(string Name, string[] Args, string? RestoreFrom, Dictionary<string, string>? Env = null)
    {
        public List<double> Wall { get; } = [];

        public List<double> Cpu { get; } = [];

        public List<double> Engine { get; } = [];
    }

    /// <summary>The engine's own duration of the run, from <c>--json</c>.</summary>
    private static double? EngineSeconds(ProcessResult result)
    {
        var start = result.Stdout.IndexOf('{', StringComparison.Ordinal);
        if (start < 0)
            return null;
        var json = JsonNode.Parse(result.Stdout[start..]);
        return (double?)json?["runs"]?[0]?["durationSeconds"];
    }

    private static async Task<long> UsersReceivedAsync(EmulatorProcess emulator, CancellationToken ct)
    {
        var stats = await emulator.StatsAsync(ct);
        return stats["usersReceived"]!.AsObject().Sum(p => (long)p.Value!);
    }

    private static void RestoreState(string saved, string state)
    {
        if (Directory.Exists(state))
            Directory.Delete(state, recursive: true);
        CopyDirectory(saved, state);
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
        foreach (var sub in Directory.GetDirectories(from))
            CopyDirectory(sub, Path.Combine(to, Path.GetFileName(sub)));
    }

    /// <summary>Runs <c>dotnet sluice.dll ... --project DIR</c> with the emulator's URL and key in the environment.</summary>
    private sealed class CliRunner(string cli, string project, Uri emulator)
    {
        public Task<ProcessResult> RunAsync(string[] args, CancellationToken ct, IReadOnlyDictionary<string, string>? env = null)
        {
            ProcessStartInfo info = args is ["--version"] ? Spawn.Cli(cli, args) : Spawn.Cli(cli, [.. args, "--project", project]);
            info.WorkingDirectory = project;
            info.Environment["ITERABLE_BASE_URL"] = emulator.ToString().TrimEnd('/');
            info.Environment["ITERABLE_API_KEY"] = ApiKey;
            foreach (var (name, value) in env ?? new Dictionary<string, string>())
                info.Environment[name] = value;
            return Spawn.RunAsync(info, TimeSpan.FromMinutes(5), ct);
        }
    }
}

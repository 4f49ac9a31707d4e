using Sluice.Core.State;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Sluice.Core.Configuration;
using Sluice.Core.Destinations;
using Sluice.Destinations.Iterable;
using Sluice.Emulators.Iterable;
using Sluice.Engine;
using Sluice.Sources.DuckDb;
using Sluice.State;

namespace Sluice.Bench;

/// <summary>
/// <c>iterable-throughput</c>: one first run (every user is new) of an upsert sync to the Iterable emulator,
/// with Iterable's documented rate limits (how close to the 5 bulkUpdate/s x 1,000 users ceiling the engine
/// gets) or without them (the engine's own ceiling). The emulator runs in this process, in its own, or both.
/// </summary>
internal static class ThroughputBench
{
    private const string ApiKey = "bench-iterable-key";
    private const double UsersPerBulkRequest = 1000;
    private const double TargetUnlimited = 35_000;

    public static async Task<int> RunAsync(BenchArgs args, CancellationToken ct)
    {
        var users = args.Long("users", 100_000);
        var limits = args.Choice("rate-limits", "on", "on", "off") == "on";
        var where = args.Choice("emulator", "both", "in-process", "process", "both");
        // An emulator started by hand (e.g. under dotnet-trace): `sluice emulate iterable --api-key bench-iterable-key`.
        var external = args.String("emulator-url") is { } url ? new Uri(url) : null;
        var work = args.String("work") ?? Path.Combine(Path.GetTempPath(), "sluice-bench");
        var cliGiven = args.String("cli");
        var repeat = (int)Math.Max(1, args.Long("repeat", 1));
        args.RejectUnknown();

        var report = new Report("iterable-throughput");
        Machine.Describe(report);
        report.Line("users", users);
        report.Line("rate limits", limits ? "on" : "off");
        var bulkPerSecond = new IterableRateLimitOptions().BulkUpdatePerSecond;
        var ceiling = bulkPerSecond * UsersPerBulkRequest;
        if (limits)
        {
            report.Line("ceiling", ceiling, "users/s");
            Report.Note($"ceiling: bulkUpdate {bulkPerSecond:0}/s x {UsersPerBulkRequest:0} users; the emulator's bucket starts full " +
                $"({bulkPerSecond:0} requests), so a perfect client finishes {users:N0} users in {Math.Max(0, users / UsersPerBulkRequest - bulkPerSecond) / bulkPerSecond:0.0} s");
        }

        var dir = Path.Combine(work, $"iterable-{users}");
        var warehouse = await PrepareAsync(dir, users, ct);
        var modes = external is not null ? ["external"] : where == "both" ? new[] { "in-process", "process" } : [where];
        var cli = modes.Contains("process") ? Spawn.FindCli(cliGiven) : null;
        foreach (var mode in modes)
        {
            var runs = new List<JsonObject>();
            for (var i = 1; i <= repeat; i++)
            {
                var run = await RunOnceAsync(dir, warehouse, users, limits, mode, cli, external, ct);
                runs.Add(run);
                Report.Note($"[{mode}] run {i}: {(double)run["seconds"]!:0.000} s, {(double)run["users_per_s"]!:N0} users/s, " +
                    $"CPU engine {(double)run["engine_cpu_seconds"]!:0.00} s" +
                    (run["emulator_cpu_seconds"] is { } cpu ? $" + emulator {(double)cpu:0.00} s" : "") + $", load {Machine.Load():0.0}");
            }
            // The run with the median rate stands for the mode; min and max show the spread.
            var rates = runs.Select(r => (double)r["users_per_s"]!).ToList();
            var figures = runs.OrderBy(r => (double)r["users_per_s"]!).ElementAt(runs.Count / 2);
            var section = (JsonObject)figures.DeepClone();
            section["users_per_s_min"] = rates.Min();
            section["users_per_s_max"] = rates.Max();
            section["runs"] = new JsonArray([.. runs.Select(r => r.DeepClone())]);
            report.Json[mode.Replace('-', '_')] = section;

            var seconds = (double)figures["seconds"]!;
            var rate = (double)figures["users_per_s"]!;
            var tag = $"[{mode}]{(repeat > 1 ? " (median run)" : "")}";
            Console.Out.WriteLine($"{tag} status: {figures["status"]}");
            Console.Out.WriteLine($"{tag} delivered: {(long)figures["delivered"]!:N0} of {users:N0} (rejected {(long)figures["rejected"]!:N0})");
            Console.Out.WriteLine($"{tag} seconds: {seconds:0.000} s");
            Console.Out.WriteLine($"{tag} users/s delivered: {rate:N0}" + (repeat > 1 ? $" (min {rates.Min():N0}, max {rates.Max():N0} over {repeat} runs)" : ""));
            Console.Out.WriteLine($"{tag} requests: {(long)figures["requests"]!:N0} (bulkUpdate {(long)figures["bulk_requests"]!:N0})");
            Console.Out.WriteLine($"{tag} 429s received: {(long)figures["too_many_requests"]!:N0}" +
                (repeat > 1 ? $" (all runs: {runs.Sum(r => (long)r["too_many_requests"]!):N0})" : ""));
            Console.Out.WriteLine($"{tag} time to first committed batch: {(double)figures["first_batch_seconds"]!:0.000} s; after the last batch (compact, record): {(double)figures["tail_seconds"]!:0.000} s");
            Console.Out.WriteLine($"{tag} CPU: engine process {(double)figures["engine_cpu_seconds"]!:0.00} s" +
                (figures["emulator_cpu_seconds"] is { } emuCpu ? $", emulator process {(double)emuCpu:0.00} s" : " (emulator included)") +
                $" for {seconds:0.00} s of wall time on {Machine.Cores} cores");
            if (limits)
            {
                var share = rate / ceiling;
                section["achieved_share_of_ceiling"] = Math.Round(share, 4);
                Console.Out.WriteLine($"{tag} achieved share of ceiling: {share:P1}");
            }
            else
            {
                section["target_met"] = rate >= TargetUnlimited;
                Console.Out.WriteLine($"{tag} target >= {TargetUnlimited:N0} users/s met: {(rate >= TargetUnlimited ? "yes" : "no")}");
            }
            Console.Out.WriteLine($"{tag} load after: {Machine.Load():0.00}");
        }
        report.Finish();
        return 0;
    }

    private static async Task<string> PrepareAsync(string dir, long users, CancellationToken ct)
    {
        Directory.CreateDirectory(dir);
        var warehouse = Path.Combine(dir, "warehouse.duckdb");
        var marker = Path.Combine(dir, "warehouse.ready");
        if (!File.Exists(marker))
        {
            await Warehouse.CreateAsync(warehouse, users, ct);
            await File.WriteAllTextAsync(marker, users.ToString(System.Globalization.CultureInfo.InvariantCulture), ct);
        }
        return warehouse;
    }

    private static async Task<JsonObject> RunOnceAsync(string dir, string warehouse, long users, bool limits, string mode, string? cli,
        Uri? external, CancellationToken ct)
    {
        var project = Path.Combine(dir, mode);
        if (Directory.Exists(project))
            Directory.Delete(project, recursive: true);
        Directory.CreateDirectory(project);
        await File.WriteAllTextAsync(Path.Combine(project, "sluice.yaml"), Warehouse.ProjectYaml(warehouse, paceRequests: limits), ct);

        IterableEmulator? local = null;
        EmulatorProcess? remote = null;
        try
        {
            Uri baseUrl;
            if (mode == "in-process")
            {
                local = await IterableEmulator.StartAsync(new IterableEmulatorOptions { ApiKey = ApiKey, RateLimits = limits }, ct);
                baseUrl = local.BaseUrl;
            }
            else
            {
                remote = external is null ? await EmulatorProcess.StartAsync(cli!, ApiKey, limits, ct) : EmulatorProcess.Attach(external);
                baseUrl = remote.BaseUrl;
            }

            var catalog = new ProjectCatalog([new DuckDbSourceProvider()], [new IterableDestinationProvider()]);
            var environment = new Dictionary<string, string?>
            {
                ["ITERABLE_API_KEY"] = ApiKey,
                ["ITERABLE_BASE_URL"] = baseUrl.ToString().TrimEnd('/'),
            };
            var config = ProjectLoader.Load(project, catalog, environment);
            await using var resolved = await EngineRun.ResolveAsync(config, catalog, Warehouse.Sync, ct);
            await using var state = await EmbeddedState.OpenAsync(project, ct);
            var engine = new RunEngine(state);
            var progress = new PhaseClock();

            var before = await CountersAsync(local, remote, ct);
            var engineCpu = Process.GetCurrentProcess().TotalProcessorTime;
            var emulatorCpu = remote?.CpuTime;
            progress.Start();
            var outcome = await engine.RunAsync(resolved.Request, new RunOptions(), progress, ct);
            var seconds = progress.Elapsed;
            engineCpu = Process.GetCurrentProcess().TotalProcessorTime - engineCpu;
            var emulatorCpuUsed = remote?.CpuTime - emulatorCpu;
            var after = await CountersAsync(local, remote, ct);

            var counts = outcome.Record.Counts;
            if (outcome.Record.Error is { } error)
                Report.Note($"[{mode}] the run failed: {error}");
            return new JsonObject
            {
                ["status"] = outcome.Record.Status.ToString().ToLowerInvariant(),
                ["users"] = users,
                ["delivered"] = counts.Delivered,
                ["rejected"] = counts.Rejected + counts.NotFound,
                ["seconds"] = Math.Round(seconds, 4),
                ["users_per_s"] = Math.Round(counts.Delivered / seconds, 1),
                ["requests"] = after.Requests - before.Requests,
                ["bulk_requests"] = after.BulkRequests - before.BulkRequests,
                ["too_many_requests"] = after.TooMany - before.TooMany,
                ["users_received"] = after.UsersReceived - before.UsersReceived,
                ["first_batch_seconds"] = Math.Round(progress.FirstDelivery ?? seconds, 4),
                ["tail_seconds"] = Math.Round(seconds - (progress.LastDelivery ?? seconds), 4),
                ["engine_cpu_seconds"] = Math.Round(engineCpu.TotalSeconds, 3),
                ["emulator_cpu_seconds"] = emulatorCpuUsed is { } e ? Math.Round(e.TotalSeconds, 3) : null,
                ["run_record_seconds"] = outcome.Record.Duration is { } d ? Math.Round(d.TotalSeconds, 4) : null,
            };
        }
        finally
        {
            if (local is not null)
                await local.DisposeAsync();
            if (remote is not null)
                await remote.DisposeAsync();
        }
    }

    private static async Task<Counters> CountersAsync(IterableEmulator? local, EmulatorProcess? remote, CancellationToken ct)
    {
        if (local is not null)
        {
            var s = local.GetStats();
            return new Counters(s.Requests.Values.Sum(), s.Requests[IterableEndpoint.BulkUpdate], s.TooManyRequests,
                s.UsersReceived.Values.Sum());
        }
        var json = await remote!.StatsAsync(ct);
        long Sum(string name) => json[name]!.AsObject().Sum(p => (long)p.Value!);
        return new Counters(Sum("requests"), (long)json["requests"]!["bulkUpdate"]!, (long)json["tooManyRequests"]!, Sum("usersReceived"));
    }

    private sealed record Counters(long Requests, long BulkRequests, long TooMany, long UsersReceived);
}

using System.Globalization;
using System.Text.Json.Nodes;
using DuckDB.NET.Data;
using Sluice.Core.Configuration;
using Sluice.Destinations.Actito;
using Sluice.Emulators.Actito;
using Sluice.Sources.DuckDb;

namespace Sluice.Bench;

/// <summary>
/// <c>actito-throughput</c>: N profiles to the Actito emulator with its limits on at their real values (100 calls a minute,
/// throttled; 5 requests at once; 12 imports per table per day; 100 MB per import). Three runs of one sync against one
/// emulator and state: an upsert of N new profiles, an upsert of the same N profiles all changed (each through one one-shot
/// ETL execution), then the sync in mirror mode after 1% of the rows left the model (those are deleted one by one: Actito
/// documents no deletion import). Each is compared with the minimum the limits allow.
/// </summary>
internal static class ActitoBench
{
    private const string ApiKey = "bench-actito-key";
    private const string Sync = "customers-to-actito";
    private const string Entity = "sluice_demo";
    private const string Table = "Profiles";

    // Actito's documented limits, which the emulator enforces with RateLimits on (its defaults).
    private const int CallsPerMinute = 100;
    private const int ConcurrentRequests = 5;
    private const int ImportsPerDay = 12;
    private const long ImportBytes = 100L * 1024 * 1024;

    // The destination's default bulk_threshold: runs (and operations) above it go through imports.
    private const int BulkThreshold = ActitoOptions.DefaultBulkThreshold;

    public static async Task<int> RunAsync(BenchArgs args, CancellationToken ct)
    {
        var profiles = args.Long("profiles", 100_000);
        var where = args.Choice("emulator", "in-process", "in-process", "process");
        var work = args.String("work") ?? Path.Combine(Path.GetTempPath(), "sluice-bench");
        var cliGiven = args.String("cli");
        args.RejectUnknown();

        var report = new Report("actito-throughput");
        Machine.Describe(report);
        report.Line("profiles", profiles);
        report.Line("emulator", $"{where}, limits on: {CallsPerMinute} calls/min (throttled), {ConcurrentRequests} concurrent (429 above), " +
            $"{ImportsPerDay} imports/table/day, {ImportBytes / 1048576} MB per import");
        var dir = Path.Combine(work, $"actito-{profiles}");
        if (Directory.Exists(dir))
            Directory.Delete(dir, recursive: true);
        Directory.CreateDirectory(dir);
        var warehouse = Path.Combine(dir, "warehouse.duckdb");
        await CreateAsync(warehouse, profiles, ct);
        var project = Path.Combine(dir, "project");
        Directory.CreateDirectory(project);

        ActitoEmulator? local = null;
        EmulatorProcess? remote = null;
        try
        {
            Uri baseUrl;
            if (where == "in-process")
            {
                local = await ActitoEmulator.StartAsync(new ActitoEmulatorOptions { ApiKey = ApiKey, RateLimits = true }, ct);
                baseUrl = local.BaseUrl;
            }
            else
            {
                remote = await EmulatorProcess.StartAsync(Spawn.FindCli(cliGiven), ["emulate", "actito", "--port", "0", "--api-key", ApiKey], ct);
                baseUrl = remote.BaseUrl;
            }
            var environment = new Dictionary<string, string?>
            {
                ["ACTITO_BASE_URL"] = baseUrl.ToString().TrimEnd('/'),
                ["ACTITO_API_KEY"] = ApiKey,
            };
            var catalog = new ProjectCatalog([new DuckDbSourceProvider()], [new ActitoDestinationProvider()]);
            var onePercent = Math.Max(1, profiles / 100);

            var steps = new (string Name, string Mode, Func<Task> Before, long Expected, Func<ActitoCounters, ActitoCounters, long> Applied)[]
            {
                ("upsert of new profiles", "upsert", () => Task.CompletedTask, profiles, (a, b) => b.Created - a.Created),
                ("upsert of changed profiles", "upsert", () => ChangeAllAsync(warehouse, ct), profiles, (a, b) => b.Updated - a.Updated),
                ("mirror deleting 1%", "mirror", () => RemoveAsync(warehouse, onePercent, ct), onePercent, (a, b) => b.Deleted - a.Deleted),
            };
            var expectedStored = profiles;
            foreach (var step in steps)
            {
                await step.Before();
                await File.WriteAllTextAsync(Path.Combine(project, "sluice.yaml"), Yaml(warehouse, step.Mode), ct);
                ActitoCounters before = null!;
                TimeSpan? cpu = null;
                var run = await EngineRun.RunAsync(project, catalog, environment, Sync, ct, async () =>
                {
                    before = await StatsAsync(local, remote, ct);
                    cpu = remote?.CpuTime;
                });
                var emulatorCpu = remote?.CpuTime - cpu;
                var after = await StatsAsync(local, remote, ct);
                if (step.Mode == "mirror")
                    expectedStored -= onePercent;

                var applied = step.Applied(before, after);
                var sent = step.Mode == "mirror" ? run.Counts.Deleted : run.Counts.Delivered;
                var calls = after.Calls - before.Calls;
                var imports = after.Imports - before.Imports;
                var endpoints = new JsonObject();
                foreach (var (name, count) in after.Endpoints)
                {
                    var delta = count - before.Endpoints.GetValueOrDefault(name);
                    if (delta > 0)
                        endpoints[name] = delta;
                }
                // The limits force at least one ETL execution per operation (a file holds one mode) and one more per
                // 100 MB; each needs its start and at least one status read. Those few calls fit in one minute's 100 and
                // in 5 at once, so the limits force no waiting: the minimum is the execution's own work. Deletes have no
                // import mode: each is a single call, two for a profile known by key (GET by key, DELETE by id).
                var records = step.Expected;
                var viaImport = step.Mode != "mirror" && records > BulkThreshold;
                // One file per operation; a 100,000-row file is a few MB zipped, far under the 100 MB a file may hold.
                var minImports = viaImport ? 1 : 0;
                // Without an import (a run the destination sends by single calls): one call per upsert, two per delete.
                var minCalls = viaImport ? 2 * minImports : (step.Mode == "mirror" ? 2 : 1) * records;
                var forcedWaitMinutes = Math.Max(0, Math.Ceiling(minCalls / (double)CallsPerMinute) - 1);
                // Single calls only: one call per upsert (POST profile?allowUpdate=true), two per delete of a profile
                // known by key (GET by key, DELETE), at 100 calls a minute.
                var singleCalls = step.Mode == "mirror" ? 2 * onePercent : profiles;
                var singleMinutes = singleCalls / (double)CallsPerMinute;
                var ok = sent == step.Expected && applied == step.Expected && after.Stored == expectedStored && run.Status == "succeeded";
                var tag = $"[{step.Name}]";
                Console.Out.WriteLine($"{tag} status: {run.Status}; sent {sent:N0} of {step.Expected:N0}, applied by Actito {applied:N0}, stored now {after.Stored:N0} (expected {expectedStored:N0}): {(ok ? "ok" : "MISMATCH")}");
                Console.Out.WriteLine($"{tag} seconds: {run.Seconds:0.000} s ({sent / run.Seconds:N0} profiles/s); first batch committed at {run.FirstBatchSeconds:0.000} s, after it {run.TailSeconds:0.000} s");
                Console.Out.WriteLine($"{tag} calls: {calls:N0} ({endpoints.ToJsonString()}); imports: {imports:N0} (rows read {after.ImportRows - before.ImportRows:N0}, in error {after.ImportErrors - before.ImportErrors:N0})");
                Console.Out.WriteLine($"{tag} 429s: {after.TooMany - before.TooMany:N0}; throttled (delayed) calls: {after.Throttled - before.Throttled:N0}");
                Console.Out.WriteLine($"{tag} limit-bound minimum: {minImports} import(s), {minCalls} calls" +
                    (viaImport ? " (start + one status read per ETL execution)" : " (single calls)") + $", forced wait {forcedWaitMinutes:0} min; " +
                    $"ratio: {imports}/{minImports} imports, {calls}/{minCalls} calls = {calls / (double)minCalls:0.0}x");
                Console.Out.WriteLine($"{tag} client pacing: {calls} calls, of which those beyond its burst of 5 wait {60.0 / 94:0.00} s each " +
                    $"(94/min), a floor of about {Math.Max(0, calls - 5) * 60.0 / 94:0.0} s if the burst was full");
                Console.Out.WriteLine($"{tag} through single calls only: {singleCalls:N0} calls at {CallsPerMinute}/min = {singleMinutes:N0} min ({singleMinutes / 60:0.0} h); " +
                    $"this run took {run.Seconds / (singleMinutes * 60):P3} of that ({singleMinutes * 60 / run.Seconds:N0}x faster)");
                Console.Out.WriteLine($"{tag} CPU: engine process {run.CpuSeconds:0.00} s" +
                    (emulatorCpu is { } e ? $", emulator process {e.TotalSeconds:0.00} s" : " (emulator included)") + $"; load {Machine.Load():0.00}");
                report.Json[step.Name.Replace(' ', '_').Replace("%", "pct", StringComparison.Ordinal)] = new JsonObject
                {
                    ["mode"] = step.Mode,
                    ["status"] = run.Status,
                    ["expected"] = step.Expected,
                    ["sent"] = sent,
                    ["applied"] = applied,
                    ["stored_after"] = after.Stored,
                    ["counts_ok"] = ok,
                    ["seconds"] = Math.Round(run.Seconds, 4),
                    ["first_batch_seconds"] = Math.Round(run.FirstBatchSeconds, 4),
                    ["tail_seconds"] = Math.Round(run.TailSeconds, 4),
                    ["calls"] = calls,
                    ["endpoints"] = endpoints,
                    ["imports"] = imports,
                    ["too_many_requests"] = after.TooMany - before.TooMany,
                    ["throttled_calls"] = after.Throttled - before.Throttled,
                    ["min_imports"] = minImports,
                    ["min_calls"] = minCalls,
                    ["forced_wait_minutes"] = forcedWaitMinutes,
                    ["calls_ratio"] = Math.Round(calls / (double)minCalls, 2),
                    ["single_call_calls"] = singleCalls,
                    ["single_call_minutes"] = Math.Round(singleMinutes, 1),
                    ["engine_cpu_seconds"] = Math.Round(run.CpuSeconds, 3),
                    ["emulator_cpu_seconds"] = emulatorCpu is { } c ? Math.Round(c.TotalSeconds, 3) : null,
                    ["load"] = Machine.Load(),
                };
                if (!ok)
                    throw new BenchException($"{step.Name}: the counts do not add up (sent {sent}, applied {applied}, stored {after.Stored}); see above.");
            }
        }
        finally
        {
            if (local is not null)
                await local.DisposeAsync();
            if (remote is not null)
                await remote.DisposeAsync();
        }
        report.Line("load after", Machine.Load());
        report.Finish();
        return 0;
    }

    private static async Task CreateAsync(string warehouse, long profiles, CancellationToken ct)
    {
        await using var connection = new DuckDBConnection($"Data Source={warehouse}");
        await connection.OpenAsync(ct);
        await Warehouse.ExecuteAsync(connection, $"""
            CREATE TABLE customers AS
            SELECT i AS customer_id,
                   'C-' || i AS customer_ref,
                   'customer' || i || '@example.com' AS email,
                   (['Ada','Grace','Alan','Edsger','Barbara','Donald','Frances','Ken'])[1 + i % 8] AS first_name,
                   (['Lovelace','Hopper','Turing','Dijkstra','Liskov','Knuth','Allen','Thompson'])[1 + (i // 8) % 8] AS last_name,
                   CASE WHEN i % 10 < 2 THEN 'pro' WHEN i % 10 < 3 THEN 'enterprise' ELSE 'free' END AS plan,
                   CAST((i * 7919) % 100000 / 100.0 AS DECIMAL(10, 2)) AS ltv
            FROM range(1, {profiles + 1}) t(i);
            CHECKPOINT;
            """, ct);
    }

    /// <summary>Changes a mapped value of every profile.</summary>
    private static async Task ChangeAllAsync(string warehouse, CancellationToken ct)
    {
        await using var connection = new DuckDBConnection($"Data Source={warehouse}");
        await connection.OpenAsync(ct);
        await Warehouse.ExecuteAsync(connection, "UPDATE customers SET ltv = ltv + 1; CHECKPOINT;", ct);
    }

    /// <summary>Removes the <paramref name="count"/> highest ids from the model.</summary>
    private static async Task RemoveAsync(string warehouse, long count, CancellationToken ct)
    {
        await using var connection = new DuckDBConnection($"Data Source={warehouse}");
        await connection.OpenAsync(ct);
        await Warehouse.ExecuteAsync(connection,
            $"DELETE FROM customers WHERE customer_id > (SELECT max(customer_id) FROM customers) - {count}; CHECKPOINT;", ct);
    }

    private static string Yaml(string warehouse, string mode) => $"""
        # Written by Sluice.Bench (actito-throughput).
        sources:
          warehouse:
            type: duckdb
            path: {warehouse}
        models:
          customers:
            source: warehouse
            kind: user
            primary_key: customer_id
            sql: select customer_id, customer_ref, email, first_name, last_name, plan, ltv from customers
        destinations:
          actito:
            type: actito
            api_key: ${"{"}ACTITO_API_KEY{"}"}
            base_url: ${"{"}ACTITO_BASE_URL{"}"}
            entity: {Entity}
            table: {Table}
        syncs:
          {Sync}:
            model: customers
            destination: actito
            mode: {mode}
            match: {"{"} column: customer_ref, field: customerId {"}"}
            mappings:
              email: emailAddress
              first_name: firstName
              last_name: lastName
              plan: plan
              ltv: lifetimeValue

        """;

    private sealed record ActitoCounters(long Calls, long Throttled, long TooMany, long Created, long Updated, long Deleted, long Imports,
        long ImportRows, long ImportErrors, long Stored, IReadOnlyDictionary<string, long> Endpoints);

    private static async Task<ActitoCounters> StatsAsync(ActitoEmulator? local, EmulatorProcess? remote, CancellationToken ct)
    {
        if (local is not null)
        {
            var s = local.GetStats();
            return new ActitoCounters(s.Calls, s.ThrottledCalls, s.TooManyRequests, s.ProfilesCreated, s.ProfilesUpdated, s.ProfilesDeleted,
                s.ImportsRun, s.ImportRowsRead, s.ImportRowsInError, local.ProfileCount(Table, Entity), s.RequestsPerEndpoint);
        }
        var j = await remote!.StatsAsync(ct);
        long L(string name) => (long)j[name]!;
        return new ActitoCounters(L("calls"), L("throttledCalls"), L("tooManyRequests"), L("profilesCreated"), L("profilesUpdated"),
            L("profilesDeleted"), L("importsRun"), L("importRowsRead"), L("importRowsInError"),
            (long)j["profilesStored"]![$"{Entity}/{Table}"]!,
            j["requestsPerEndpoint"]!.AsObject().ToDictionary(p => p.Key, p => (long)p.Value!));
    }
}

using System.Globalization;
using System.Text.Json.Nodes;
using DuckDB.NET.Data;
using Sluice.Core.Configuration;
using Sluice.Destinations.Salesforce;
using Sluice.Emulators.Salesforce;
using Sluice.Sources.DuckDb;

namespace Sluice.Bench;

/// <summary>
/// <c>salesforce-throughput</c>: a first run (every contact new) of a sync of N contacts to the Salesforce emulator's
/// Contact object, by External_Id__c, through sObject Collections (<c>bulk_threshold</c> above N) and through Bulk API 2.0
/// (<c>bulk_threshold</c> below N), in upsert and optionally insert mode, counting API calls (per 100,000 rows too). Each run gets a fresh emulator and state; the
/// contacts are then read back from the emulator and counted.
/// </summary>
internal static class SalesforceBench
{
    private const string ClientId = "bench-connected-app";
    private const string ClientSecret = "bench-client-secret";
    private const string Sync = "contacts-to-salesforce";
    private const int DailyApiLimit = 100_000_000;

    public static async Task<int> RunAsync(BenchArgs args, CancellationToken ct)
    {
        var contacts = args.Long("contacts", 100_000);
        var transport = args.Choice("transport", "both", "collections", "bulk", "both");
        var mode = args.Choice("mode", "upsert", "upsert", "insert", "both");
        var where = args.Choice("emulator", "both", "in-process", "process", "both");
        var repeat = (int)Math.Max(1, args.Long("repeat", 1));
        var work = args.String("work") ?? Path.Combine(Path.GetTempPath(), "sluice-bench");
        var cliGiven = args.String("cli");
        args.RejectUnknown();

        var report = new Report("salesforce-throughput");
        Machine.Describe(report);
        report.Line("contacts", contacts);
        report.Line("object", "Contact (user model: LastName, FirstName, Email; match external_id -> External_Id__c)");
        var dir = Path.Combine(work, $"salesforce-{contacts}");
        var warehouse = await PrepareAsync(dir, contacts, ct);
        var cli = where != "in-process" ? Spawn.FindCli(cliGiven) : null;

        string[] transports = transport == "both" ? ["collections", "bulk"] : [transport];
        string[] modes = mode == "both" ? ["upsert", "insert"] : [mode];
        string[] places = where == "both" ? ["in-process", "process"] : [where];
        foreach (var m in modes)
        {
            foreach (var t in transports)
            {
                foreach (var place in places)
                {
                    var runs = new List<JsonObject>();
                    for (var i = 1; i <= repeat; i++)
                    {
                        var run = await RunOnceAsync(dir, warehouse, contacts, m, t, place, cli, ct);
                        runs.Add(run);
                        Report.Note($"[{m} {t} {place}] run {i}: {(double)run["seconds"]!:0.000} s, {(double)run["rows_per_s"]!:N0} rows/s, " +
                            $"{(long)run["api_calls"]!:N0} API calls, read back {(long)run["read_back"]!:N0}, CPU engine {(double)run["engine_cpu_seconds"]!:0.00} s" +
                            (run["emulator_cpu_seconds"] is { } cpu ? $" + emulator {(double)cpu:0.00} s" : "") + $", load {Machine.Load():0.0}");
                    }
                    var rates = runs.Select(r => (double)r["rows_per_s"]!).ToList();
                    var figures = runs.OrderBy(r => (double)r["rows_per_s"]!).ElementAt(runs.Count / 2);
                    var section = (JsonObject)figures.DeepClone();
                    section["rows_per_s_min"] = rates.Min();
                    section["rows_per_s_max"] = rates.Max();
                    section["runs"] = new JsonArray([.. runs.Select(r => r.DeepClone())]);
                    report.Json[$"{m}_{t}_{place.Replace('-', '_')}"] = section;

                    var tag = $"[{m} {t} {place}]{(repeat > 1 ? " (median run)" : "")}";
                    Console.Out.WriteLine($"{tag} status: {figures["status"]}");
                    Console.Out.WriteLine($"{tag} delivered: {(long)figures["delivered"]!:N0} of {contacts:N0} (rejected {(long)figures["rejected"]!:N0})");
                    Console.Out.WriteLine($"{tag} seconds: {(double)figures["seconds"]!:0.000} s");
                    Console.Out.WriteLine($"{tag} rows/s delivered: {(double)figures["rows_per_s"]!:N0}" +
                        (repeat > 1 ? $" (min {rates.Min():N0}, max {rates.Max():N0} over {repeat} runs)" : ""));
                    Console.Out.WriteLine($"{tag} API calls (Sforce-Limit-Info count): {(long)figures["api_calls"]!:N0} ({(double)figures["api_calls_per_100k"]!:N1} per 100,000 rows); requests: {figures["requests"]!.ToJsonString()}");
                    Console.Out.WriteLine($"{tag} records read back: {(long)figures["read_back"]!:N0} Contact, {(long)figures["distinct_external_ids"]!:N0} distinct External_Id__c (expected {contacts:N0}): " +
                        ((bool)figures["read_back_ok"]! ? "ok" : "MISMATCH"));
                    Console.Out.WriteLine($"{tag} record errors: {(long)figures["record_errors"]!:N0}, limit refusals: {(long)figures["limit_refusals"]!:N0}");
                    Console.Out.WriteLine($"{tag} time to first committed batch: {(double)figures["first_batch_seconds"]!:0.000} s; after the last batch: {(double)figures["tail_seconds"]!:0.000} s");
                    Console.Out.WriteLine($"{tag} CPU: engine process {(double)figures["engine_cpu_seconds"]!:0.00} s" +
                        (figures["emulator_cpu_seconds"] is { } emuCpu ? $", emulator process {(double)emuCpu:0.00} s" : " (emulator included)") +
                        $" for {(double)figures["seconds"]!:0.00} s of wall time on {Machine.Cores} cores");
                    Console.Out.WriteLine($"{tag} load after: {Machine.Load():0.00}");
                }
            }
        }
        report.Finish();
        return 0;
    }

    private static async Task<string> PrepareAsync(string dir, long contacts, CancellationToken ct)
    {
        Directory.CreateDirectory(dir);
        var warehouse = Path.Combine(dir, "warehouse.duckdb");
        var marker = Path.Combine(dir, "warehouse.ready");
        if (File.Exists(marker))
            return warehouse;
        File.Delete(warehouse);
        await using (var connection = new DuckDBConnection($"Data Source={warehouse}"))
        {
            await connection.OpenAsync(ct);
            await Warehouse.ExecuteAsync(connection, $"""
                CREATE TABLE contacts AS
                SELECT i AS contact_id,
                       'C-' || i AS external_id,
                       (['Ada','Grace','Alan','Edsger','Barbara','Donald','Frances','Ken'])[1 + i % 8] AS first_name,
                       (['Lovelace','Hopper','Turing','Dijkstra','Liskov','Knuth','Allen','Thompson'])[1 + (i // 8) % 8] || ' ' || i AS last_name,
                       'contact' || i || '@example.com' AS email
                FROM range(1, {contacts + 1}) t(i);
                CHECKPOINT;
                """, ct);
        }
        await File.WriteAllTextAsync(marker, contacts.ToString(CultureInfo.InvariantCulture), ct);
        return warehouse;
    }

    private static string Yaml(string warehouse, string mode, long bulkThreshold) => $"""
        # Written by Sluice.Bench (salesforce-throughput).
        sources:
          warehouse:
            type: duckdb
            path: {warehouse}
        models:
          contacts:
            source: warehouse
            kind: user
            primary_key: contact_id
            sql: select contact_id, external_id, first_name, last_name, email from contacts
        destinations:
          salesforce:
            type: salesforce
            login_url: ${"{"}SF_LOGIN_URL{"}"}
            client_id: ${"{"}SF_CLIENT_ID{"}"}
            client_secret: ${"{"}SF_CLIENT_SECRET{"}"}
            object: Contact
            bulk_threshold: {bulkThreshold}
        syncs:
          {Sync}:
            model: contacts
            destination: salesforce
            mode: {mode}
            match: {"{"} column: external_id, field: External_Id__c {"}"}
            mappings:
              last_name: LastName
              first_name: FirstName
              email: Email

        """;

    private static async Task<JsonObject> RunOnceAsync(string dir, string warehouse, long contacts, string mode, string transport, string place,
        string? cli, CancellationToken ct)
    {
        var project = Path.Combine(dir, $"{mode}-{transport}-{place}");
        if (Directory.Exists(project))
            Directory.Delete(project, recursive: true);
        Directory.CreateDirectory(project);
        // Collections: a threshold the run never reaches; bulk: one the run is far above.
        var threshold = transport == "collections" ? contacts + 1 : 1;
        await File.WriteAllTextAsync(Path.Combine(project, "sluice.yaml"), Yaml(warehouse, mode, threshold), ct);

        SalesforceEmulator? local = null;
        EmulatorProcess? remote = null;
        try
        {
            Uri baseUrl;
            if (place == "in-process")
            {
                local = await SalesforceEmulator.StartAsync(new SalesforceEmulatorOptions
                {
                    ClientId = ClientId,
                    ClientSecret = ClientSecret,
                    DailyApiLimit = DailyApiLimit,
                }, ct);
                baseUrl = local.BaseUrl;
            }
            else
            {
                remote = await EmulatorProcess.StartAsync(cli!,
                [
                    "emulate", "salesforce", "--port", "0", "--client-id", ClientId, "--client-secret", ClientSecret,
                    "--daily-api-limit", DailyApiLimit.ToString(CultureInfo.InvariantCulture),
                ], ct);
                baseUrl = remote.BaseUrl;
            }
            var environment = new Dictionary<string, string?>
            {
                ["SF_LOGIN_URL"] = baseUrl.ToString().TrimEnd('/'),
                ["SF_CLIENT_ID"] = ClientId,
                ["SF_CLIENT_SECRET"] = ClientSecret,
            };
            var catalog = new ProjectCatalog([new DuckDbSourceProvider()], [new SalesforceDestinationProvider()]);

            Counters before = null!;
            TimeSpan? emulatorCpu = null;
            var run = await EngineRun.RunAsync(project, catalog, environment, Sync, ct, async () =>
            {
                before = await CountersAsync(local, remote, ct);
                emulatorCpu = remote?.CpuTime;
            });
            var emulatorCpuUsed = remote?.CpuTime - emulatorCpu;
            var after = await CountersAsync(local, remote, ct);
            var (readBack, distinct) = await ReadBackAsync(local, remote, ct);

            var requests = new JsonObject();
            foreach (var (endpoint, count) in after.Requests)
            {
                var delta = count - before.Requests.GetValueOrDefault(endpoint);
                if (delta > 0 && !endpoint.Contains("/_emulator/", StringComparison.Ordinal))
                    requests[endpoint] = delta;
            }
            return new JsonObject
            {
                ["mode"] = mode,
                ["transport"] = transport,
                ["emulator"] = place,
                ["status"] = run.Status,
                ["contacts"] = contacts,
                ["delivered"] = run.Counts.Delivered + run.Counts.Skipped,
                ["rejected"] = run.Counts.Rejected + run.Counts.NotFound,
                ["seconds"] = Math.Round(run.Seconds, 4),
                ["rows_per_s"] = Math.Round(run.Counts.Delivered / run.Seconds, 1),
                ["api_calls"] = after.ApiUsage - before.ApiUsage,
                ["api_calls_per_100k"] = Math.Round((after.ApiUsage - before.ApiUsage) * 100_000.0 / Math.Max(1, contacts), 1),
                ["requests"] = requests,
                ["read_back"] = readBack,
                ["distinct_external_ids"] = distinct,
                ["read_back_ok"] = readBack == contacts && distinct == contacts,
                ["record_errors"] = after.RecordErrors - before.RecordErrors,
                ["limit_refusals"] = after.LimitRefusals - before.LimitRefusals,
                ["first_batch_seconds"] = Math.Round(run.FirstBatchSeconds, 4),
                ["tail_seconds"] = Math.Round(run.TailSeconds, 4),
                ["engine_cpu_seconds"] = Math.Round(run.CpuSeconds, 3),
                ["emulator_cpu_seconds"] = emulatorCpuUsed is { } e ? Math.Round(e.TotalSeconds, 3) : null,
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

    private sealed record Counters(long ApiUsage, long RecordErrors, long LimitRefusals, IReadOnlyDictionary<string, long> Requests);

    private static async Task<Counters> CountersAsync(SalesforceEmulator? local, EmulatorProcess? remote, CancellationToken ct)
    {
        if (local is not null)
        {
            var s = local.GetStats();
            return new Counters(s.ApiUsage, s.RecordErrors, s.LimitRefusals, s.Requests);
        }
        var json = await remote!.StatsAsync(ct);
        var requests = json["requests"]!.AsObject().ToDictionary(p => p.Key, p => (long)p.Value!);
        return new Counters((long)json["apiUsage"]!, (long)json["recordErrors"]!, (long)json["limitRefusals"]!, requests);
    }

    /// <summary>How many Contact records the emulator holds, and how many distinct External_Id__c values among them.</summary>
    private static async Task<(long Count, long Distinct)> ReadBackAsync(SalesforceEmulator? local, EmulatorProcess? remote, CancellationToken ct)
    {
        List<string?> ids;
        if (local is not null)
        {
            ids = [.. local.GetRecords("Contact").Select(r => r.TryGetValue("External_Id__c", out var v) ? v?.ToString() : null)];
        }
        else
        {
            var records = (await remote!.GetNodeAsync("/_emulator/records/Contact", ct)).AsArray();
            ids = [.. records.Select(r => r?.AsObject().FirstOrDefault(p => string.Equals(p.Key, "External_Id__c", StringComparison.OrdinalIgnoreCase)).Value?.ToString())];
        }
        return (ids.Count, ids.Where(i => !string.IsNullOrEmpty(i)).Distinct(StringComparer.Ordinal).LongCount());
    }
}

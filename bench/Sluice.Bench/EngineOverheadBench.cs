using System.Globalization;
using System.Text.Json.Nodes;
using Sluice.Core.Configuration;
using Sluice.Core.Destinations;
using Sluice.Core.Models;
using Sluice.Sources.DuckDb;

namespace Sluice.Bench;

/// <summary>
/// <c>engine-overhead</c>: the engine's own cost per row. A first run (every row new) of an upsert sync to a destination
/// that only acknowledges: plan, stream the changes, batch, commit each batch to the ledger, compact, record. No HTTP,
/// no emulator, so what is left is Sluice itself (and DuckDB under it).
/// </summary>
internal static class EngineOverheadBench
{
    public static async Task<int> RunAsync(BenchArgs args, CancellationToken ct)
    {
        var rows = args.Long("rows", 100_000);
        var batchSize = (int)Math.Max(1, args.Long("batch-size", 1000));
        var concurrency = (int)Math.Max(1, args.Long("concurrency", 4));
        var repeat = (int)Math.Max(1, args.Long("repeat", 3));
        var work = args.String("work") ?? Path.Combine(Path.GetTempPath(), "sluice-bench");
        args.RejectUnknown();

        var report = new Report("engine-overhead");
        Machine.Describe(report);
        report.Line("rows", rows);
        report.Line("destination", $"acknowledge-only (batch {batchSize}, {concurrency} at once)");
        var dir = Path.Combine(work, $"engine-{rows}");
        Directory.CreateDirectory(dir);
        var warehouse = Path.Combine(dir, "warehouse.duckdb");
        if (!File.Exists(Path.Combine(dir, "warehouse.ready")))
        {
            await Warehouse.CreateAsync(warehouse, rows, ct);
            await File.WriteAllTextAsync(Path.Combine(dir, "warehouse.ready"), rows.ToString(CultureInfo.InvariantCulture), ct);
        }

        var runs = new List<JsonObject>();
        for (var i = 1; i <= repeat; i++)
        {
            var project = Path.Combine(dir, "project");
            if (Directory.Exists(project))
                Directory.Delete(project, recursive: true);
            Directory.CreateDirectory(project);
            await File.WriteAllTextAsync(Path.Combine(project, "sluice.yaml"), Yaml(warehouse, batchSize, concurrency), ct);
            var sink = new AckDestinationProvider();
            var catalog = new ProjectCatalog([new DuckDbSourceProvider()], [sink]);
            var run = await EngineRun.RunAsync(project, catalog, new Dictionary<string, string?>(), Warehouse.Sync, ct);
            if (run.Counts.Delivered != rows || sink.Acknowledged != rows)
                throw new BenchException($"Run {i} delivered {run.Counts.Delivered:N0} (the destination saw {sink.Acknowledged:N0}); {rows:N0} were expected.");
            var json = new JsonObject
            {
                ["status"] = run.Status,
                ["delivered"] = run.Counts.Delivered,
                ["batches"] = sink.Batches,
                ["seconds"] = Math.Round(run.Seconds, 4),
                ["rows_per_s"] = Math.Round(rows / run.Seconds, 0),
                ["us_per_row"] = Math.Round(run.Seconds * 1e6 / rows, 2),
                ["cpu_seconds"] = Math.Round(run.CpuSeconds, 3),
                ["cpu_us_per_row"] = Math.Round(run.CpuSeconds * 1e6 / rows, 2),
                ["plan_and_first_batch_seconds"] = Math.Round(run.FirstBatchSeconds, 4),
                ["tail_seconds"] = Math.Round(run.TailSeconds, 4),
                ["allocated_bytes_per_row"] = Math.Round((double)run.AllocatedBytes / rows, 0),
                ["load"] = Machine.Load(),
            };
            runs.Add(json);
            Report.Note($"run {i}: {run.Seconds:0.000} s, {rows / run.Seconds:N0} rows/s, {run.Seconds * 1e6 / rows:0.0} µs/row wall, " +
                $"{run.CpuSeconds * 1e6 / rows:0.0} µs/row CPU; plan + first batch {run.FirstBatchSeconds:0.000} s, after the last batch {run.TailSeconds:0.000} s, " +
                $"{(double)run.AllocatedBytes / rows:N0} B allocated/row, load {Machine.Load():0.0}");
        }

        double Median(string name) => Stats.Median(runs.Select(r => (double)r[name]!).ToList());
        report.Line("runs", repeat);
        report.Line("delivered per run", rows);
        report.Line("seconds median", Median("seconds"), "s");
        report.Line("rows/s median", Median("rows_per_s"));
        report.Line("rows/s best", runs.Max(r => (double)r["rows_per_s"]!));
        report.Line("us per row median (wall)", Median("us_per_row"), "µs");
        report.Line("cpu us per row median (both cores)", Median("cpu_us_per_row"), "µs");
        report.Line("plan + first batch median", Median("plan_and_first_batch_seconds"), "s");
        report.Line("after the last batch (compact, record) median", Median("tail_seconds"), "s");
        report.Line("allocated per row median", Median("allocated_bytes_per_row"), "B");
        report.Line("load after", Machine.Load());
        report.Json["runs_detail"] = new JsonArray([.. runs.Select(r => r.DeepClone())]);
        report.Finish();
        return 0;
    }

    private static string Yaml(string warehouse, int batchSize, int concurrency) => $"""
        # Written by Sluice.Bench (engine-overhead).
        sources:
          warehouse:
            type: duckdb
            path: {warehouse}
        models:
          customers:
            source: warehouse
            kind: user
            primary_key: {Warehouse.PrimaryKey}
            sql: {Warehouse.ModelSql}
        destinations:
          sink:
            type: {AckDestinationProvider.TypeName}
            batch_size: {batchSize}
            max_concurrency: {concurrency}
        syncs:
          {Warehouse.Sync}:
            model: customers
            destination: sink
            mode: upsert
            match: {"{"} column: {Warehouse.Match.Column}, field: {Warehouse.Match.Field} {"}"}
            mappings:
        {string.Join("\n", Warehouse.Mappings.Select(m => $"      {m.Column}: {m.Field}"))}

        """;
}

/// <summary>A destination that accepts everything and does nothing: every record comes back Delivered.</summary>
internal sealed class AckDestinationProvider : IDestinationProvider
{
    public const string TypeName = "bench-ack";
    private long _acknowledged;
    private long _batches;

    public string Type => TypeName;

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new("batch_size", OptionType.Integer, "Records per batch.", Default: "1000"),
        new("max_concurrency", OptionType.Integer, "Batches in flight at once.", Default: "4"),
    ];

    public IReadOnlySet<SyncMode> Modes { get; } = new HashSet<SyncMode> { SyncMode.Insert, SyncMode.Update, SyncMode.Upsert, SyncMode.Mirror };

    public long Acknowledged => Interlocked.Read(ref _acknowledged);

    public long Batches => Interlocked.Read(ref _batches);

    public IReadOnlyList<SyncProblem> CheckSync(DestinationSettings settings, SyncContext sync) => [];

    public IDestination Create(DestinationSettings settings, DestinationServices services) =>
        new AckDestination(this, settings.GetInt("batch_size") ?? 1000, settings.GetInt("max_concurrency") ?? 4);

    private sealed class AckDestination(AckDestinationProvider owner, int batchSize, int concurrency) : IDestination
    {
        public Task<IReadOnlyList<SyncProblem>> CheckAsync(SyncContext sync, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<SyncProblem>>([]);

        public Task<IDestinationWriter> OpenAsync(SyncContext sync, PlanCounts plan, CancellationToken cancellationToken) =>
            Task.FromResult<IDestinationWriter>(new AckWriter(owner, batchSize, concurrency));

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class AckWriter(AckDestinationProvider owner, int batchSize, int concurrency) : IDestinationWriter
    {
        public int BatchSize => batchSize;

        public int MaxConcurrency => concurrency;

        public Task<IReadOnlyList<RecordResult>> WriteAsync(DeliveryBatch batch, CancellationToken cancellationToken)
        {
            var results = new RecordResult[batch.Records.Count];
            for (var i = 0; i < results.Length; i++)
                results[i] = RecordResult.Delivered(batch.Records[i].Key);
            Interlocked.Add(ref owner._acknowledged, results.Length);
            Interlocked.Increment(ref owner._batches);
            return Task.FromResult<IReadOnlyList<RecordResult>>(results);
        }

        public Task<IReadOnlyList<RecordResult>> ReconcileAsync(DeliveryBatch batch, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<RecordResult>>([.. batch.Records.Select(r => RecordResult.NotFound(r.Key))]);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

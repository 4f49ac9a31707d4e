using Sluice.Core.State;
using System.Diagnostics;
using Sluice.State;

namespace Sluice.Bench;

/// <summary>
/// <c>ledger-commit</c>: the cost of recording one batch's writes in doubt before it is sent, of committing it once
/// acknowledged (journal rows and clearing its in-doubt keys in one DuckDB transaction), and of folding the journal
/// into the ledger at the end of a run. Both steps are serialised by the store, so <c>batch size / (mark + commit
/// time)</c> is a ceiling on delivery throughput whatever the destination does.
/// </summary>
internal static class CommitBench
{
    private const string Sync = "bench-commit";

    public static async Task<int> RunAsync(BenchArgs args, CancellationToken ct)
    {
        var batches = (int)Math.Max(1, args.Long("batches", 100));
        var batchSize = (int)Math.Max(1, args.Long("batch-size", 1000));
        var work = args.String("work") ?? Path.Combine(Path.GetTempPath(), "sluice-bench");
        args.RejectUnknown();

        var report = new Report("ledger-commit");
        Machine.Describe(report);
        var dir = Path.Combine(work, "ledger-commit");
        if (Directory.Exists(dir))
            Directory.Delete(dir, recursive: true);
        Directory.CreateDirectory(dir);

        await using var state = await EmbeddedState.OpenAsync(dir, ct);
        await using var store = await state.ClaimAsync(Sync, ct);
        var runId = await state.Runs.StartRunAsync(Sync, fullResync: false, ct);

        // Transaction overhead alone: a commit with nothing in it.
        var empty = new List<double>();
        for (var i = 0; i < 20; i++)
        {
            var watch = Stopwatch.StartNew();
            await store.CommitAsync(new BatchId(runId, i + 1), [], [], ct);
            empty.Add(watch.Elapsed.TotalMilliseconds);
        }

        var times = new List<double>();
        var marks = new List<double>();
        var total = Stopwatch.StartNew();
        for (var b = 0; b < batches; b++)
        {
            var entries = new LedgerEntry[batchSize];
            for (var i = 0; i < batchSize; i++)
            {
                var id = (long)b * batchSize + i + 1;
                entries[i] = new LedgerEntry(id.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    (ulong)id * 0x9E3779B97F4A7C15UL, $"customer{id}@example.com");
            }
            var batch = new BatchId(runId, 100 + b);
            var mark = Stopwatch.StartNew();
            await store.MarkInDoubtAsync(batch,
                entries.Select(e => new InDoubtWrite(e.Key, Core.Destinations.RecordOperation.Upsert, e.DestinationId, e.Hash)).ToList(), ct);
            marks.Add(mark.Elapsed.TotalMilliseconds);
            var watch = Stopwatch.StartNew();
            await store.CommitAsync(batch, entries, [], ct);
            times.Add(watch.Elapsed.TotalMilliseconds);
        }
        var allCommits = total.Elapsed.TotalSeconds;

        var compact = Stopwatch.StartNew();
        await store.CompactAsync(ct);
        var compactSeconds = compact.Elapsed.TotalSeconds;
        var ledger = await store.SizeAsync(ct);

        var median = Stats.Median(times);
        report.Line("batches", batches);
        report.Line("batch size", batchSize);
        report.Line("empty commit ms median", Stats.Median(empty), "ms");
        report.Line("mark in doubt ms median", Stats.Median(marks), "ms");
        report.Line("commit ms median", median, "ms");
        report.Line("commit ms max", times.Max(), "ms");
        report.Line("all commits seconds", allCommits, "s");
        report.Line("serialised mark + commit ceiling", batchSize / ((median + Stats.Median(marks)) / 1000), "users/s");
        report.Line("compact seconds", compactSeconds, "s");
        report.Line("ledger rows", ledger);
        report.Line("load after", Machine.Load());
        report.Finish();
        return 0;
    }
}

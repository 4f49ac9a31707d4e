using System.Runtime.CompilerServices;
using CsCheck;
using DuckDB.NET.Data;
using Sluice.Core.Destinations;
using Sluice.Core.Models;
using Sluice.Core.Planning;
using Sluice.Core.Sources;
using Sluice.Core.State;
using Sluice.Sources.DuckDb;
using Sluice.State;

namespace Sluice.Engine.Tests;

/// <summary>
/// The planner's two paths, attaching a DuckDB source in place and streaming any other source's rows into DuckDB, give
/// the same plan for the same data and the same state: totals, the rows to send with their values, hashes and ids,
/// the removals and the invalid keys, with ledger entries, created ids and writes in doubt in the state.
/// </summary>
public sealed class PlannerEquivalenceTests
{
    private const int Keys = 12;
    private const string SyncName = "equivalence";

    /// <summary>A row of the generated model: every kind of value the destinations take, nulls included.</summary>
    private sealed record Item(long? Id, string Email, string? Name, decimal? Amount, DateOnly? Day, bool? Flag, double? Ratio, int? Small);

    private static readonly Gen<Item> ItemGen =
        Gen.Select(Gen.Int[0, 7], Gen.String[Gen.Char.AlphaNumeric, 0, 6].Null(), Gen.Int[-99999, 99999], Gen.Int[0, 3000],
                Gen.Int[0, 3], Gen.Int[-1000, 1000], Gen.Int[0, 3])
            .Select((email, name, cents, day, flag, ratio, small) => new Item(null, Email(email), name,
                cents % 7 == 0 ? null : cents / 100m, day % 5 == 0 ? null : new DateOnly(2020, 1, 1).AddDays(day),
                flag == 3 ? null : flag == 1, ratio % 9 == 0 ? null : ratio / 8.0, small == 0 ? null : small * 1000));

    /// <summary>Four emails, each in two cases: rows share a match value often, some only without regard to case.</summary>
    private static string Email(int n) => n < 4 ? $"u{n}@example.com" : $"U{n - 4}@Example.COM";

    /// <summary>A model: each key present or not (sometimes twice), and sometimes rows with a null key.</summary>
    private static readonly Gen<Item[]> ModelGen =
        Gen.Select(Gen.Int[0, 5].Array[Keys], ItemGen.Array[Keys], ItemGen.Array[0, 2])
            .Select((presence, items, nulls) => items
                .SelectMany((item, k) => presence[k] switch
                {
                    0 => [],
                    5 => new[] { item with { Id = k }, item with { Id = k, Name = "twin" } },
                    _ => [item with { Id = k }],
                })
                .Concat(nulls)
                .ToArray());

    /// <summary>What the state holds before the plan: the ledger of an earlier delivery, and writes in doubt.</summary>
    private sealed record History(Item[] Before, bool[] Delivered, bool[] Created, int[] Doubt);

    private static readonly Gen<History> HistoryGen =
        Gen.Select(ModelGen, Gen.Bool.Array[Keys], Gen.Bool.Array[Keys], Gen.Int[0, 6].Array[Keys])
            .Select((before, delivered, created, doubt) => new History(before, delivered, created, doubt));

    [Fact]
    public void The_attached_and_streamed_paths_plan_the_same_changes()
    {
        var duplicates = 0L;
        Gen.Select(HistoryGen, ModelGen, Gen.Bool)
            .Sample((history, now, full) => duplicates += CheckAsync(history, now, full).GetAwaiter().GetResult(), iter: 20, threads: 1);
        // Not vacuous: the generated models share match values, and the plans rejected rows for it.
        Assert.True(duplicates > 0);
    }

    /// <summary>Checks one case; returns the number of rows rejected for a duplicate match value.</summary>
    private static async Task<long> CheckAsync(History history, Item[] now, bool fullResync)
    {
        var directory = Path.Combine(Path.GetTempPath(), "sluice-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            var warehouse = Path.Combine(directory, "warehouse.duckdb");
            await using var store = await EmbeddedState.OpenAsync(directory);
            await using var ledger = await store.ClaimAsync(SyncName);
            var planner = new Planner();

            // The earlier run: plan the model as it was, and record some of its rows as delivered (some created).
            await WriteAsync(warehouse, history.Before);
            var delivered = new List<LedgerEntry>();
            await using (var before = await planner.PlanAsync(await RequestAsync(warehouse, attached: true, fullResync: false), ledger))
            {
                await foreach (var row in before.ReadChangesAsync(true, true))
                {
                    var k = int.Parse(row.Key, System.Globalization.CultureInfo.InvariantCulture);
                    if (history.Delivered[k])
                    {
                        // Every third entry as a ledger written before Sluice kept match hashes.
                        delivered.Add(new LedgerEntry(row.Key, row.Hash, $"dest-{k}", Created: history.Created[k],
                            MatchHash: k % 3 == 0 ? null : row.MatchHash));
                    }
                }
            }
            await ledger.CommitAsync(new BatchId(1, 1), delivered, []);
            // A run that died with writes in flight: any operation, on keys in the ledger or not, in the model or not.
            var doubts = history.Doubt.Select((op, k) => (op, k)).Where(d => d.op < 4)
                .Select(d => new InDoubtWrite(d.k.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    (RecordOperation)d.op, $"u{d.k}@example.com", (ulong)d.k))
                .ToList();
            await ledger.MarkInDoubtAsync(new BatchId(2, 1), doubts);

            await WriteAsync(warehouse, now);
            var attached = await SnapshotAsync(planner, ledger, await RequestAsync(warehouse, attached: true, fullResync));
            // The streamed plan is read in pages of three rows (a run's pages are 20,000): paging loses and repeats nothing.
            var streamed = await SnapshotAsync(new Planner { PageRows = 3 }, ledger, await RequestAsync(warehouse, attached: false, fullResync));

            Assert.Equal(attached.Totals, streamed.Totals);
            Assert.Equal(attached.Changes, streamed.Changes);
            Assert.Equal(attached.Removed, streamed.Removed);
            Assert.Equal(attached.Invalid, streamed.Invalid);
            Assert.Equal(attached.Duplicates, streamed.Duplicates);
            AssertOneRowPerMatchValue(attached);
            // Not vacuous: the plan saw what the data holds.
            Assert.Equal(now.Length, attached.Totals.ModelRows);
            return attached.Totals.DuplicateMatches;
        }
        finally
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private sealed record Snapshot(PlanTotals Totals, List<string> Changes, List<RemovedRow> Removed, List<(string?, long)> Invalid,
        List<DuplicateMatch> Duplicates, List<string> SentMatches);

    /// <summary>No two rows sent share a match value (emails compare without regard to case); each rejected row names its winner.</summary>
    private static void AssertOneRowPerMatchValue(Snapshot plan)
    {
        var sent = plan.SentMatches.Select(m => m.ToLowerInvariant()).ToList();
        Assert.Equal(sent.Count, sent.Distinct().Count());
        Assert.Equal(plan.Duplicates.Count, plan.Totals.DuplicateMatches);
        Assert.All(plan.Duplicates, d => Assert.NotEqual(d.Key, d.WinnerKey));
    }

    private static async Task<Snapshot> SnapshotAsync(IChangePlanner planner, ISyncLedger ledger, PlanRequest request)
    {
        await using var plan = await planner.PlanAsync(request, ledger);
        var changes = new List<string>();
        var sentMatches = new List<string>();
        await foreach (var row in plan.ReadChangesAsync(true, true))
        {
            if (row.MatchValue is string match)
                sentMatches.Add(match);
            // Values as text with their .NET type, so 1.5m and 1.5d or 7L and 7 never compare equal.
            var values = string.Join("|", row.Values.Prepend(row.MatchValue).Select(v => v is null ? "null" : $"{v.GetType().Name}:{v}"));
            changes.Add($"{row.Key} {row.Added} {row.Hash} {row.MatchHash} {row.DestinationId} [{string.Join(",", row.KnownIds.Order())}] {values}");
        }
        var removed = new List<RemovedRow>();
        await foreach (var row in plan.ReadRemovedAsync())
            removed.Add(row);
        var invalid = new List<(string?, long)>();
        await foreach (var key in plan.ReadInvalidKeysAsync())
            invalid.Add(key);
        var duplicates = new List<DuplicateMatch>();
        await foreach (var duplicate in plan.ReadDuplicateMatchesAsync())
            duplicates.Add(duplicate);
        changes.Sort(StringComparer.Ordinal);
        removed.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        return new Snapshot(plan.Totals, changes, removed, invalid, duplicates, sentMatches);
    }

    private static async Task<PlanRequest> RequestAsync(string warehouse, bool attached, bool fullResync)
    {
        var duckdb = new DuckDbSource("warehouse", warehouse);
        ISource source = attached ? duckdb : new StreamingOnly(duckdb);
        const string sql = "select * from items";
        var columns = await source.DescribeAsync(sql, CancellationToken.None);
        return new PlanRequest(SyncName, sql, source, "id", new FieldMapping("email", "email"),
        [
            new FieldMapping("name", "name"), new FieldMapping("amount", "amount"), new FieldMapping("day", "day"),
            new FieldMapping("flag", "flag"), new FieldMapping("ratio", "ratio"), new FieldMapping("small", "small"),
        ], columns, fullResync, MatchComparison.IgnoreCase);
    }

    private static async Task WriteAsync(string warehouse, Item[] items)
    {
        await using var connection = new DuckDBConnection($"Data Source={warehouse}");
        await connection.OpenAsync();
        await using (var create = connection.CreateCommand())
        {
            create.CommandText = """
                CREATE OR REPLACE TABLE items (id BIGINT, email VARCHAR, name VARCHAR, amount DECIMAL(10, 2), day DATE,
                    flag BOOLEAN, ratio DOUBLE, small INTEGER, unmapped VARCHAR)
                """;
            await create.ExecuteNonQueryAsync();
        }
        using var appender = connection.CreateAppender("items");
        foreach (var item in items)
        {
            var r = appender.CreateRow();
            if (item.Id is { } id) r.AppendValue(id); else r.AppendNullValue();
            r.AppendValue(item.Email).AppendValue(item.Name).AppendValue(item.Amount).AppendValue(item.Day)
                .AppendValue(item.Flag).AppendValue(item.Ratio).AppendValue(item.Small).AppendValue("x").EndRow();
        }
    }

    /// <summary>A DuckDB source seen only through <see cref="ISource"/>: the planner has to stream its rows.</summary>
    private sealed class StreamingOnly(DuckDbSource inner) : ISource
    {
        public Task<IReadOnlyList<ModelColumn>> DescribeAsync(string sql, CancellationToken cancellationToken) =>
            inner.DescribeAsync(sql, cancellationToken);

        public async IAsyncEnumerable<object?[]> ReadAsync(string sql, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await foreach (var row in inner.ReadAsync(sql, cancellationToken))
                yield return row;
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}

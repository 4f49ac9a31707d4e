using CsCheck;
using Npgsql;
using Sluice.Core.Destinations;
using Sluice.Core.Planning;
using Sluice.Core.Sources;
using Sluice.Core.State;
using Sluice.EndToEnd.Tests.Support;
using Sluice.Sources.Postgres;
using Sluice.State.Postgres.Warehouse;

namespace Sluice.State.Tests;

/// <summary>
/// A PostgreSQL model planned in the warehouse (the diff computed by PostgreSQL against a ledger in its schema) and
/// planned locally (rows streamed into the embedded DuckDB planner) gives the same plan, for the same sequences of model
/// states: totals, the rows to send with their values and ids, removals and invalid keys, with ledgers that hold
/// earlier deliveries, created ids and writes in doubt. Only the hashes differ (each planner's own function).
/// </summary>
public sealed class WarehousePlannerEquivalenceTests(PostgresServer server)
{
    private const int Keys = 12;

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

    /// <summary>Three model states in a row, each delivered in part (the rest left to the next run), then writes in doubt.</summary>
    private sealed record Story(Item[][] States, bool[][] Delivered, bool[] Created, int[] Doubt, bool FullResync);

    private static readonly Gen<Story> StoryGen =
        Gen.Select(ModelGen.Array[3], Gen.Bool.Array[Keys].Array[2], Gen.Bool.Array[Keys], Gen.Int[0, 6].Array[Keys], Gen.Bool)
            .Select((states, delivered, created, doubt, full) => new Story(states, delivered, created, doubt, full));

    [Fact]
    public void The_warehouse_and_local_planners_plan_the_same_changes()
    {
        StoryGen.Sample(story => CheckAsync(story).GetAwaiter().GetResult(), iter: 8, threads: 1);
    }

    private async Task CheckAsync(Story story)
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        var table = $"items_{id}";
        var folder = Path.Combine(Path.GetTempPath(), "sluice-state-tests", id);
        Directory.CreateDirectory(folder);
        await using var local = new PostgresSource("warehouse", server.ConnectionString());
        await using var inWarehouse = new PostgresSource("warehouse", server.ConnectionString(), w => new WarehousePlanner(w), "sluice_eq");
        await using var embedded = await EmbeddedState.OpenAsync(folder);
        await using var localLedger = await embedded.ClaimAsync(id);
        var warehousePlanner = inWarehouse.Planner!;
        await using var warehouseLedger = (await warehousePlanner.OpenLedgerAsync(id))!;
        var localPlanner = new Planner();
        try
        {
            for (var step = 0; step < story.States.Length; step++)
            {
                await WriteAsync(table, story.States[step]);
                var last = step == story.States.Length - 1;
                var full = last && story.FullResync;
                var expected = await SnapshotAsync(localPlanner, localLedger, await RequestAsync(local, id, table, full));
                var actual = await SnapshotAsync(warehousePlanner, warehouseLedger, await RequestAsync(inWarehouse, id, table, full));

                Assert.Equal(expected.Totals, actual.Totals);
                Assert.Equal(expected.Changes, actual.Changes);
                Assert.Equal(expected.Removed, actual.Removed);
                Assert.Equal(expected.Invalid, actual.Invalid);
                Assert.Equal(expected.Duplicates, actual.Duplicates);
                Assert.Equal(story.States[step].Length, actual.Totals.ModelRows);
                if (last)
                    break;

                // Deliver part of the plan, the same keys to both ledgers (each with its own hashes), as a run would.
                await DeliverAsync(localLedger, expected, story, step);
                await DeliverAsync(warehouseLedger, actual, story, step);
                if (step == story.States.Length - 2)
                {
                    var doubts = story.Doubt.Select((op, k) => (op, k)).Where(d => d.op < 4)
                        .Select(d => new InDoubtWrite(Key(d.k), (RecordOperation)d.op, $"u{d.k}@example.com", (ulong)d.k))
                        .ToList();
                    await localLedger.MarkInDoubtAsync(new BatchId(step + 1, 2), doubts);
                    await warehouseLedger.MarkInDoubtAsync(new BatchId(step + 1, 2), doubts);
                }
            }
        }
        finally
        {
            await ExecuteAsync($"DROP TABLE IF EXISTS {table}");
        }
    }

    private static async Task DeliverAsync(ISyncLedger ledger, Snapshot plan, Story story, int step)
    {
        var delivered = plan.Sent
            .Where(r => story.Delivered[step][int.Parse(r.Key, System.Globalization.CultureInfo.InvariantCulture)])
            .Select(r => (Row: r, K: int.Parse(r.Key, System.Globalization.CultureInfo.InvariantCulture)))
            // Every third entry as a ledger written before Sluice kept match hashes.
            .Select(r => new LedgerEntry(r.Row.Key, r.Row.Hash, $"dest-{r.Row.Key}", Created: story.Created[r.K],
                MatchHash: r.K % 3 == 0 ? null : r.Row.MatchHash))
            .Concat(plan.Removed.Where(r => r.DestinationId is not null).Select(r => new LedgerEntry(r.Key, 0, null, Deleted: true)))
            .ToList();
        await ledger.CommitAsync(new BatchId(step + 1, 1), delivered, []);
    }

    private static string Key(int k) => k.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private sealed record Snapshot(PlanTotals Totals, List<string> Changes, List<ChangeRow> Sent, List<RemovedRow> Removed, List<(string?, long)> Invalid,
        List<DuplicateMatch> Duplicates);

    private static async Task<Snapshot> SnapshotAsync(IChangePlanner planner, ISyncLedger ledger, PlanRequest request)
    {
        await using var plan = await planner.PlanAsync(request, ledger);
        var changes = new List<string>();
        var sent = new List<ChangeRow>();
        await foreach (var row in plan.ReadChangesAsync(true, true))
        {
            // Values as text with their .NET type, so 1.5m and 1.5d or 7L and 7 never compare equal. Not the hash.
            var values = string.Join("|", row.Values.Prepend(row.MatchValue).Select(v => v is null ? "null" : $"{v.GetType().Name}:{v}"));
            changes.Add($"{row.Key} {row.Added} {row.DestinationId} [{string.Join(",", row.KnownIds.Order())}] {values}");
            sent.Add(row with { Values = [.. row.Values] });
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
        return new Snapshot(plan.Totals, changes, sent, removed, invalid, duplicates);
    }

    private static async Task<PlanRequest> RequestAsync(ISource source, string sync, string table, bool fullResync)
    {
        var sql = $"select * from {table}";
        var columns = await source.DescribeAsync(sql, CancellationToken.None);
        return new PlanRequest(sync, sql, source, "id", new FieldMapping("email", "email"),
        [
            new FieldMapping("name", "name"), new FieldMapping("amount", "amount"), new FieldMapping("day", "day"),
            new FieldMapping("flag", "flag"), new FieldMapping("ratio", "ratio"), new FieldMapping("small", "small"),
        ], columns, fullResync, MatchComparison.IgnoreCase);
    }

    private async Task WriteAsync(string table, Item[] items)
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString());
        await connection.OpenAsync();
        await using (var create = new NpgsqlCommand($"""
            DROP TABLE IF EXISTS {table};
            CREATE TABLE {table} (id bigint, email text, name text, amount numeric(10, 2), day date, flag boolean, ratio double precision,
                small integer, unmapped text)
            """, connection))
        {
            await create.ExecuteNonQueryAsync();
        }
        await using var writer = await connection.BeginBinaryImportAsync(
            $"COPY {table} (id, email, name, amount, day, flag, ratio, small, unmapped) FROM STDIN (FORMAT BINARY)");
        foreach (var item in items)
        {
            await writer.StartRowAsync();
            await writer.WriteAsync(item.Id, NpgsqlTypes.NpgsqlDbType.Bigint);
            await writer.WriteAsync(item.Email, NpgsqlTypes.NpgsqlDbType.Text);
            await writer.WriteAsync(item.Name, NpgsqlTypes.NpgsqlDbType.Text);
            await writer.WriteAsync(item.Amount, NpgsqlTypes.NpgsqlDbType.Numeric);
            await writer.WriteAsync(item.Day, NpgsqlTypes.NpgsqlDbType.Date);
            await writer.WriteAsync(item.Flag, NpgsqlTypes.NpgsqlDbType.Boolean);
            await writer.WriteAsync(item.Ratio, NpgsqlTypes.NpgsqlDbType.Double);
            await writer.WriteAsync(item.Small, NpgsqlTypes.NpgsqlDbType.Integer);
            await writer.WriteAsync("x", NpgsqlTypes.NpgsqlDbType.Text);
        }
        await writer.CompleteAsync();
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}

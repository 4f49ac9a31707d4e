using DuckDB.NET.Data;
using Npgsql;
using Sluice.Core.Destinations;
using Sluice.Core.Planning;
using Sluice.Core.State;
using Sluice.EndToEnd.Tests.Support;
using Sluice.Sources.DuckDb;
using Sluice.State.Postgres;

namespace Sluice.State.Tests;

/// <summary>
/// The state contract (<see cref="IStateStore"/>), the same cases against each store: claims, in-doubt writes and their
/// commits, settled creates, the ledger's fold, run history and rejected rows, and a plan made against the ledger.
/// </summary>
public abstract class StoreContractTests : IAsyncLifetime
{
    protected const string Sync = "people";
    private readonly List<IAsyncDisposable> _opened = [];

    protected string Folder { get; } = Path.Combine(Path.GetTempPath(), "sluice-state-tests", Guid.NewGuid().ToString("N"));

    /// <summary>The store under test (a new instance: for a shared database, another process's view of the same state).</summary>
    protected abstract Task<IStateStore> OpenStoreAsync();

    protected async Task<IStateStore> OpenAsync()
    {
        var store = await OpenStoreAsync();
        _opened.Add(store);
        return store;
    }

    public virtual ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(Folder);
        return ValueTask.CompletedTask;
    }

    public virtual async ValueTask DisposeAsync()
    {
        foreach (var store in _opened)
            await store.DisposeAsync();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    protected static InDoubtWrite Write(string key, RecordOperation op = RecordOperation.Upsert, ulong hash = 1) => new(key, op, key + "@x", hash);

    private static async Task<List<T>> ListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
            list.Add(item);
        return list;
    }

    [Fact]
    public async Task A_second_claim_of_a_sync_is_refused_until_the_first_is_released()
    {
        var store = await OpenAsync();
        var ledger = await store.ClaimAsync(Sync);
        var busy = await Assert.ThrowsAsync<SyncBusyException>(() => store.ClaimAsync(Sync));
        Assert.Contains($"Sync '{Sync}'", busy.Message);
        await using (await store.ClaimAsync("another-sync"))
        {
            // Other syncs are claimed side by side.
        }
        await ledger.DisposeAsync();
        await using var again = await store.ClaimAsync(Sync);
        Assert.Equal(Sync, again.Sync);
    }

    [Fact]
    public async Task A_refused_resend_keeps_the_earlier_write_in_doubt_and_an_acknowledged_one_settles_every_earlier_write()
    {
        var store = await OpenAsync();
        await using var ledger = await store.ClaimAsync(Sync);
        // Run 1 sends a, b, c and dies before its answer.
        await ledger.MarkInDoubtAsync(new BatchId(1, 1), [Write("a"), Write("b"), Write("c")]);
        // Run 2 resends them: a is acknowledged, b refused, c unanswered.
        await ledger.MarkInDoubtAsync(new BatchId(2, 1), [Write("a", hash: 2), Write("b", hash: 2), Write("c", hash: 2)]);
        await ledger.CommitAsync(new BatchId(2, 1), [new LedgerEntry("a", 2, "id-a")], ["c"]);

        var left = (await ListAsync(ledger.ReadInDoubtAsync())).Select(d => $"{d.Batch} {d.Write.Key}").Order().ToList();
        Assert.Equal(["1/1 b", "1/1 c", "2/1 c"], left);
        Assert.Equal(3, await ledger.InDoubtCountAsync());
        Assert.Equal([new LedgerRecord("a", 2, "id-a", default)], (await ListAsync(ledger.ReadLedgerAsync())).Select(r => r with { DeliveredAt = default }));
    }

    [Fact]
    public async Task The_ledger_keeps_the_latest_write_per_key_in_batch_order_and_an_id_the_later_write_did_not_bring()
    {
        var store = await OpenAsync();
        await using (var ledger = await store.ClaimAsync(Sync))
        {
            await ledger.CommitAsync(new BatchId(1, 1), [new("a", 1, "id-a"), new("b", 1, "id-b"), new("c", 1, "id-c")], []);
            Assert.Equal(3, await ledger.SizeAsync());
            // Batch 3 is answered before batch 2: batch order wins, not commit order.
            await ledger.CommitAsync(new BatchId(1, 3), [new("a", 3, null), new("b", 0, "id-b", Deleted: true)], []);
            await ledger.CommitAsync(new BatchId(1, 2), [new("a", 2, "id-a2"), new("b", 2, null)], []);
            Assert.Equal(2, await ledger.SizeAsync());
        }
        await using var next = await store.ClaimAsync(Sync);
        var records = (await ListAsync(next.ReadLedgerAsync())).Select(r => $"{r.Key} {r.Hash} {r.DestinationId}").ToList();
        Assert.Equal(["a 3 id-a", "c 1 id-c"], records);
    }

    [Fact]
    public async Task Creates_in_doubt_are_read_with_what_the_ledger_knows_and_settled_atomically()
    {
        var store = await OpenAsync();
        await using var ledger = await store.ClaimAsync(Sync);
        await ledger.CommitAsync(new BatchId(1, 1), [new("k1", 7, "old-1", Created: true)], []);
        Assert.Equal(1, await ledger.SizeAsync());
        await ledger.MarkInDoubtAsync(new BatchId(2, 1), [Write("k1", RecordOperation.Create, 8), Write("k2", RecordOperation.Create, 9),
            Write("k3", RecordOperation.Update, 9)]);
        await ledger.MarkInDoubtAsync(new BatchId(3, 1), [Write("k2", RecordOperation.Create, 10)]);

        var creates = await ledger.ReadInDoubtCreatesAsync();
        Assert.Equal(2, creates.Count);
        var k1 = creates.Single(c => c.Key == "k1");
        Assert.Equal((8UL, "old-1", (ulong?)7), (k1.Hash, k1.DestinationId, k1.LedgerHash));
        Assert.Equal(["old-1"], k1.KnownIds);
        var k2 = creates.Single(c => c.Key == "k2");
        Assert.Equal((10UL, (string?)null, (ulong?)null), (k2.Hash, k2.DestinationId, k2.LedgerHash));
        Assert.Empty(k2.KnownIds);

        await ledger.SettleCreatesAsync(new BatchId(4, 0), [new("k2", 10, "new-2", Created: true)], ["k1", "k2"]);
        Assert.Equal(["k3"], (await ListAsync(ledger.ReadInDoubtAsync())).Select(d => d.Write.Key));
        Assert.Equal(["k1 old-1", "k2 new-2"], (await ListAsync(ledger.ReadCreatedIdsAsync())).Select(c => $"{c.Key} {c.DestinationId}"));
        Assert.Equal(2, await ledger.SizeAsync());
    }

    [Fact]
    public async Task History_records_runs_newest_first_with_increasing_ids_and_keeps_the_latest_finished_runs_rejected_rows()
    {
        var store = await OpenAsync();
        long first, second;
        await using (await store.ClaimAsync(Sync))
        {
            first = await store.Runs.StartRunAsync(Sync, fullResync: false);
            await store.Runs.AddRejectedAsync(Sync, first, [new(Sync, first, "k2", "rejected", "E1", "bad email", default),
                new(Sync, first, "k1", "rejected", null, "too long", default)]);
            await store.Runs.FinishRunAsync(first, RunStatus.Failed, new RunCounts { ModelRows = 5, Rejected = 2 }, ["one warning"], "it failed");
        }
        var rejected = await store.Runs.RejectedAsync(Sync);
        Assert.Equal(["k1 too long", "k2 bad email E1"], rejected.Select(r => $"{r.Key} {r.Reason}{(r.Code is null ? "" : " " + r.Code)}"));

        await using (await store.ClaimAsync(Sync))
        {
            second = await store.Runs.StartRunAsync(Sync, fullResync: true);
            await store.Runs.AddRejectedAsync(Sync, second, [new(Sync, second, "k9", "rejected", null, "still bad", default)]);
            await store.Runs.FinishRunAsync(second, RunStatus.Succeeded, new RunCounts { Delivered = 4 }, [], null);
        }
        Assert.True(second > first);
        Assert.Equal(["k9"], (await store.Runs.RejectedAsync(Sync)).Select(r => r.Key));

        var history = await store.Runs.HistoryAsync(Sync);
        Assert.Equal([second, first], history.Select(r => r.RunId));
        Assert.Equal((RunStatus.Succeeded, true, 4L), (history[0].Status, history[0].FullResync, history[0].Counts.Delivered));
        Assert.Equal((RunStatus.Failed, "it failed", 5L), (history[1].Status, history[1].Error, history[1].Counts.ModelRows));
        Assert.Equal(["one warning"], history[1].Warnings);
        Assert.NotNull(history[1].FinishedAt);
        Assert.Empty(await store.Runs.HistoryAsync("never-ran"));
    }

    [Fact]
    public async Task A_run_is_read_by_its_id_and_a_warning_added_after_it_finished_is_kept_once()
    {
        var store = await OpenAsync();
        long first, running;
        await using (await store.ClaimAsync(Sync))
        {
            first = await store.Runs.StartRunAsync(Sync, fullResync: true);
            await store.Runs.FinishRunAsync(first, RunStatus.Failed, new RunCounts { ModelRows = 3, Rejected = 1 }, ["run_failed"], "it failed");
        }
        // Held to the end: a run whose claim is released may be found interrupted, and this one must be running.
        await using var claim = await store.ClaimAsync("another-sync");
        running = await store.Runs.StartRunAsync("another-sync", fullResync: false);

        // Another instance of the store (another process, for a shared database) reads the same run.
        var other = await OpenAsync();
        var run = await other.Runs.GetRunAsync(first);
        Assert.NotNull(run);
        Assert.Equal((first, Sync, RunStatus.Failed, true, 3L, "it failed"), (run.RunId, run.Sync, run.Status, run.FullResync, run.Counts.ModelRows, run.Error));
        Assert.Equal(["run_failed"], run.Warnings);
        Assert.NotNull(run.FinishedAt);
        Assert.Equal("another-sync", (await store.Runs.GetRunAsync(running))!.Sync);
        Assert.Null(await store.Runs.GetRunAsync(running + 1000));

        Assert.True(await store.Runs.AddWarningAsync(first, "not_succeeded_hours"));
        Assert.False(await other.Runs.AddWarningAsync(first, "not_succeeded_hours"));
        Assert.Equal(["run_failed", "not_succeeded_hours"], (await other.Runs.GetRunAsync(first))!.Warnings);
        Assert.Equal(["run_failed", "not_succeeded_hours"], (await store.Runs.HistoryAsync(Sync, 1))[0].Warnings);
        // A run still going records its warnings when it finishes: nothing is added to it before.
        Assert.False(await store.Runs.AddWarningAsync(running, "not_succeeded_hours"));
        Assert.Empty((await store.Runs.GetRunAsync(running))!.Warnings);
        Assert.False(await store.Runs.AddWarningAsync(running + 1000, "not_succeeded_hours"));
    }

    [Fact]
    public async Task A_run_left_running_is_interrupted_when_its_sync_is_next_claimed_and_run()
    {
        var store = await OpenAsync();
        long stale;
        await using (await store.ClaimAsync(Sync))
            stale = await store.Runs.StartRunAsync(Sync, false);
        await using (await store.ClaimAsync(Sync))
            await store.Runs.StartRunAsync(Sync, false);
        var run = (await store.Runs.HistoryAsync(Sync)).Single(r => r.RunId == stale);
        Assert.Equal(RunStatus.Interrupted, run.Status);
        Assert.Contains("stopped before the run finished", run.Error);
    }

    [Fact]
    public async Task A_pause_is_seen_by_another_process_keeps_since_when_paused_again_and_is_resumed_once()
    {
        var one = await OpenAsync();
        var other = await OpenAsync();
        Assert.Empty(await one.Pauses.ListAsync());
        Assert.False(await one.Pauses.StillBrokenAsync(Sync, "source", "not paused"));

        Assert.True(await one.Pauses.PauseAsync(Sync, "destination credentials", "The destination refused the API key.", 7));
        var seen = Assert.Single(await other.Pauses.ListAsync());
        Assert.Equal((Sync, "destination credentials", "The destination refused the API key.", (long?)7, (DateTime?)null),
            (seen.Sync, seen.Part, seen.Reason, seen.RunId, seen.CheckedAt));

        // Paused again by another run (of another process): the part, reason and run are the new ones, since stays.
        Assert.False(await other.Pauses.PauseAsync(Sync, "source", "The source is unreachable.", 8));
        // A check that names no part keeps the paused one; one that names a part replaces it.
        Assert.True(await one.Pauses.StillBrokenAsync(Sync, null, "Still refused."));
        var checkedOnce = Assert.Single(await other.Pauses.ListAsync());
        Assert.Equal(("source", "Still refused.", (long?)8, seen.Since), (checkedOnce.Part, checkedOnce.Reason, checkedOnce.RunId, checkedOnce.Since));
        Assert.NotNull(checkedOnce.CheckedAt);
        Assert.True(await other.Pauses.StillBrokenAsync(Sync, "model", "The model lost a column."));
        Assert.Equal("model", Assert.Single(await one.Pauses.ListAsync()).Part);

        Assert.True(await one.Pauses.PauseAsync("another-sync", "source", "x", null));
        Assert.Equal(["another-sync", Sync], (await other.Pauses.ListAsync()).Select(p => p.Sync));

        // Two processes resuming at once: one of them did.
        var resumed = await Task.WhenAll(one.Pauses.ResumeAsync(Sync), other.Pauses.ResumeAsync(Sync));
        Assert.Single(resumed, r => r);
        Assert.Equal(["another-sync"], (await one.Pauses.ListAsync()).Select(p => p.Sync));
        Assert.False(await other.Pauses.ResumeAsync(Sync));
        Assert.True(await other.Pauses.PauseAsync(Sync, "source", "broken again", 9));
    }

    /// <summary>Turns the store's ledgers back into the shape Sluice wrote before it kept match hashes.</summary>
    protected abstract Task MakeLedgersOldAsync();

    [Fact]
    public async Task A_ledger_from_before_match_hashes_is_migrated_and_keeps_its_records()
    {
        await using (var ledger = await (await OpenAsync()).ClaimAsync(Sync))
            await ledger.CommitAsync(new BatchId(1, 1), [new("1", 11, "d1"), new("2", 22, "d2")], []);
        await MakeLedgersOldAsync();

        var store = await OpenAsync();
        await using var again = await store.ClaimAsync(Sync);
        Assert.Equal(["1 11 d1 none", "2 22 d2 none"],
            (await ListAsync(again.ReadLedgerAsync())).Select(r => $"{r.Key} {r.Hash} {r.DestinationId} {r.MatchHash?.ToString() ?? "none"}"));
        await again.CommitAsync(new BatchId(2, 1), [new("2", 23, null, MatchHash: 42), new("3", 33, "d3", MatchHash: ulong.MaxValue)], []);
        Assert.Equal(["1 11 d1 none", "2 23 d2 42", $"3 33 d3 {ulong.MaxValue}"],
            (await ListAsync(again.ReadLedgerAsync())).Select(r => $"{r.Key} {r.Hash} {r.DestinationId} {r.MatchHash?.ToString() ?? "none"}"));
    }

    [Fact]
    public async Task A_plan_against_the_stores_ledger_sees_its_records_writes_in_doubt_and_created_ids()
    {
        var warehouse = Path.Combine(Folder, "warehouse.duckdb");
        await using (var connection = new DuckDBConnection($"Data Source={warehouse}"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = """
                CREATE TABLE people (id BIGINT, email VARCHAR, name VARCHAR);
                INSERT INTO people VALUES (1, 'a@x', 'ann'), (2, 'b@x', 'bob'), (3, 'c@x', 'cy'), (5, 'e@x', 'eve');
                """;
            await command.ExecuteNonQueryAsync();
        }
        var source = new DuckDbSource("warehouse", warehouse);
        const string sql = "select * from people";
        var request = new PlanRequest(Sync, sql, source, "id", new FieldMapping("email", "email"), [new FieldMapping("name", "name")],
            await source.DescribeAsync(sql, CancellationToken.None));
        var store = await OpenAsync();
        await using var ledger = await store.ClaimAsync(Sync);

        // The ledger's hashes are the planner's: learn them from a first plan, then deliver 1 and 2, and 4 (since removed).
        Dictionary<string, ulong> hashes;
        await using (var first = await new Planner().PlanAsync(request, ledger))
        {
            Assert.Equal(4, first.Totals.Added);
            hashes = (await ListAsync(first.ReadChangesAsync(true, true))).ToDictionary(r => r.Key, r => r.Hash);
        }
        await ledger.CommitAsync(new BatchId(1, 1), [new("1", hashes["1"], "d1"), new("2", 99, "d2"), new("4", 5, "d4")], []);
        await ledger.CommitAsync(new BatchId(1, 2), [new("5", hashes["5"], "d5", Created: true)], []);
        await ledger.MarkInDoubtAsync(new BatchId(2, 1), [Write("3", RecordOperation.Create)]);

        await using var plan = await new Planner().PlanAsync(request, ledger);
        Assert.Equal((1L, 1L, 1L, 2L, 1L), (plan.Totals.Added, plan.Totals.Changed, plan.Totals.Removed, plan.Totals.Unchanged, plan.Totals.InDoubt));
        var changes = await ListAsync(plan.ReadChangesAsync(true, true));
        Assert.Equal(["2 changed d2", "3 added "], changes.Select(c => $"{c.Key} {(c.Added ? "added" : "changed")} {c.DestinationId}").Order());
        Assert.Equal(["4 d4"], (await ListAsync(plan.ReadRemovedAsync())).Select(r => $"{r.Key} {r.DestinationId}"));
    }
}

/// <summary>The embedded store: <c>.sluice/</c> in a project folder.</summary>
public sealed class EmbeddedStoreTests : StoreContractTests
{
    protected override async Task<IStateStore> OpenStoreAsync() => await EmbeddedState.OpenAsync(Folder);

    [Fact]
    public async Task A_ledger_write_DuckDB_has_no_memory_for_fails_as_the_state_not_the_destination()
    {
        await using var store = await OpenAsync();
        await using var ledger = (DuckDbLedger)await store.ClaimAsync(Sync);
        // A budget DuckDB cannot write a batch in (the instance's, shared by every session) and nowhere to spill.
        await using (var session = ledger.NewConnection())
        {
            await using var command = session.CreateCommand();
            command.CommandText = "SET memory_limit = '256KB'; SET temp_directory = '';";
            await command.ExecuteNonQueryAsync();
        }
        var writes = Enumerable.Range(0, 200_000).Select(i => Write($"key-{i}", hash: (ulong)i)).ToList();

        var error = await Assert.ThrowsAsync<StateException>(() => ledger.MarkInDoubtAsync(new BatchId(1, 1), writes));

        Assert.True(error.Message.Contains("ran out of memory", StringComparison.Ordinal), error.Message);
        Assert.Contains(Path.Combine(Folder, ".sluice", "tmp"), error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_fold_after_a_run_outgrowing_the_delivery_budget_takes_the_planning_one(bool atDeliveryBudget)
    {
        await using var store = await OpenAsync();
        await using var ledger = (DuckDbLedger)await store.ClaimAsync(Sync);
        for (var batch = 0; batch < 10; batch++)
        {
            var entries = Enumerable.Range(batch * 10_000, 10_000).Select(i => new LedgerEntry($"key-{i}", (ulong)i, $"id-{i}")).ToList();
            await ledger.CommitAsync(new BatchId(1, batch + 1), entries, []);
        }
        // A delivery budget the fold of 100,000 entries cannot run in (the instance's, shared by every session).
        await using (var session = ledger.NewConnection())
        {
            await using var command = session.CreateCommand();
            command.CommandText = "SET memory_limit = '4MB';";
            await command.ExecuteNonQueryAsync();
        }
        ledger.AtDeliveryBudget = atDeliveryBudget;

        if (atDeliveryBudget)
        {
            Assert.Equal(100_000, await ledger.SizeAsync());
            Assert.False(ledger.AtDeliveryBudget);
        }
        else
        {
            // Only a delivery's budget is raised: any other stays the user's to see.
            var error = await Assert.ThrowsAsync<StateException>(() => ledger.SizeAsync());
            Assert.True(error.Message.Contains("ran out of memory", StringComparison.Ordinal), error.Message);
        }
    }

    protected override async Task MakeLedgersOldAsync()
    {
        foreach (var file in Directory.GetFiles(Path.Combine(Folder, ".sluice", "syncs"), "*.duckdb"))
        {
            await using var connection = new DuckDBConnection($"Data Source={file}");
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "ALTER TABLE ledger DROP COLUMN match_hash; ALTER TABLE journal DROP COLUMN match_hash;";
            await command.ExecuteNonQueryAsync();
        }
    }
}

/// <summary>The PostgreSQL store: a schema of a database of its own on the test server.</summary>
public sealed class PostgresStoreTests(PostgresServer server) : StoreContractTests
{
    private string _database = "";

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        _database = await server.CreateDatabaseAsync("state");
    }

    private string Url => server.Url(_database);

    protected override async Task<IStateStore> OpenStoreAsync() => await PostgresState.OpenAsync(Url);

    /// <summary>Back to schema version 1: no match hashes (version 2), no claim backends (version 3), no pauses (version 4).</summary>
    protected override Task MakeLedgersOldAsync() => server.ExecuteAsync("""
        ALTER TABLE sluice.ledger DROP COLUMN match_hash; ALTER TABLE sluice.journal DROP COLUMN match_hash;
        ALTER TABLE sluice.claims DROP COLUMN backend_pid; DROP TABLE sluice.pauses;
        DELETE FROM sluice.schema_version WHERE version >= 2;
        """, _database);

    [Fact]
    public async Task A_version_1_schema_is_migrated_through_each_version_once_and_its_old_claims_row_names_no_holder()
    {
        await using (await (await OpenAsync()).ClaimAsync(Sync))
        {
        }
        await MakeLedgersOldAsync();
        // The row the earlier holder left, written before claims knew their backend.
        await server.ExecuteAsync("UPDATE sluice.claims SET host = 'earlier-host', pid = 4242", _database);

        var holder = await OpenAsync();
        await using var c = new NpgsqlConnection(server.ConnectionString(_database));
        await c.OpenAsync();
        Assert.Equal("1,2,3,4", (string)(await new NpgsqlCommand(
            "SELECT string_agg(version::text, ',' ORDER BY version) FROM sluice.schema_version", c).ExecuteScalarAsync())!);
        Assert.Equal(DBNull.Value, await new NpgsqlCommand("SELECT backend_pid FROM sluice.claims", c).ExecuteScalarAsync());

        // A lock taken by a process that has not named itself yet: the old row must not be read as its name.
        await using var taking = new NpgsqlConnection(Unpooled);
        await taking.OpenAsync();
        await TakeLockAsync(taking);
        var refused = await Assert.ThrowsAsync<SyncBusyException>(() => holder.ClaimAsync(Sync));
        Assert.Contains($"Sync '{Sync}' is being taken by another sluice process", refused.Message);
        Assert.DoesNotContain("earlier-host", refused.Message);
        Assert.DoesNotContain("4242", refused.Message);
        await taking.CloseAsync();

        // Once claimed on the migrated schema, the row names its backend and the holder is named.
        await using var ledger = await holder.ClaimAsync(Sync);
        Assert.IsType<int>(await new NpgsqlCommand("SELECT backend_pid FROM sluice.claims", c).ExecuteScalarAsync());
        var third = await OpenAsync();
        var named = await Assert.ThrowsAsync<SyncBusyException>(() => third.ClaimAsync(Sync));
        Assert.Contains($"on host {Environment.MachineName} (pid {Environment.ProcessId}), planning it", named.Message);
    }

    [Fact]
    public async Task A_refused_claim_names_the_holder_only_while_its_backend_holds_the_lock_never_an_earlier_holders_row()
    {
        var earlier = await OpenAsync();
        var other = await OpenAsync();
        await using (await earlier.ClaimAsync(Sync))
        {
        }
        // The released claim's row stays (the next claim overwrites it); make it recognisable.
        await server.ExecuteAsync("UPDATE sluice.claims SET host = 'earlier-host', pid = 4242", _database);

        // Another process has the lock and has not written its row yet (the instant between the two).
        await using var taking = new NpgsqlConnection(Unpooled);
        await taking.OpenAsync();
        await TakeLockAsync(taking);
        var refused = await Assert.ThrowsAsync<SyncBusyException>(() => other.ClaimAsync(Sync));
        Assert.Contains($"Sync '{Sync}' is being taken by another sluice process: one process at a time", refused.Message);
        Assert.DoesNotContain("earlier-host", refused.Message);

        // The same row with the backend that holds the lock: that holder is named.
        await server.ExecuteAsync(
            $"UPDATE sluice.claims SET backend_pid = {await BackendAsync(taking)}, host = 'live-host', pid = 77", _database);
        var named = await Assert.ThrowsAsync<SyncBusyException>(() => other.ClaimAsync(Sync));
        Assert.Contains($"Sync '{Sync}' is in use by a sluice process on host live-host (pid 77), planning it", named.Message);
    }

    /// <summary>A session that ends when closed, and its advisory locks with it.</summary>
    private string Unpooled => new NpgsqlConnectionStringBuilder(server.ConnectionString(_database)) { Pooling = false }.ConnectionString;

    private static async Task TakeLockAsync(NpgsqlConnection connection)
    {
        await using var take = new NpgsqlCommand("SELECT pg_advisory_lock(@k)", connection);
        take.Parameters.AddWithValue("k", PostgresState.LockKey("sluice", Sync));
        await take.ExecuteNonQueryAsync();
    }

    private static async Task<int> BackendAsync(NpgsqlConnection connection) =>
        (int)(await new NpgsqlCommand("SELECT pg_backend_pid()", connection).ExecuteScalarAsync())!;

    [Fact]
    public async Task Another_process_is_refused_a_claimed_sync_with_the_holders_run_host_and_pid()
    {
        var holder = await OpenAsync();
        var other = await OpenAsync();
        await using var ledger = await holder.ClaimAsync(Sync);
        var planning = await Assert.ThrowsAsync<SyncBusyException>(() => other.ClaimAsync(Sync));
        Assert.Contains($"a sluice process on host {Environment.MachineName} (pid {Environment.ProcessId}), planning it", planning.Message);

        var run = await holder.Runs.StartRunAsync(Sync, false);
        var running = await Assert.ThrowsAsync<SyncBusyException>(() => other.ClaimAsync(Sync));
        Assert.Contains($"Sync '{Sync}' is in use by run {run} on host {Environment.MachineName} (pid {Environment.ProcessId})", running.Message);
        Assert.Equal(RunStatus.Running, (await other.Runs.HistoryAsync(Sync)).Single().Status);
    }

    [Fact]
    public async Task A_holder_whose_session_died_releases_its_claim_and_its_run_shows_interrupted()
    {
        var holder = await OpenAsync();
        var other = await OpenAsync();
        var ledger = await holder.ClaimAsync(Sync);
        var run = await holder.Runs.StartRunAsync(Sync, false);

        // What PostgreSQL sees when a process is killed: its claim's session ends.
        var locks = $"FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = '{_database}')";
        await server.ExecuteAsync($"SELECT pg_terminate_backend(pid) {locks}");
        await using (var watch = new NpgsqlConnection(server.ConnectionString()))
        {
            await watch.OpenAsync();
            // The backend ends a moment after the signal: wait for its lock to go.
            while ((long)(await new NpgsqlCommand($"SELECT count(*) {locks}", watch).ExecuteScalarAsync())! > 0)
                await Task.Delay(10);
        }
        var history = await other.Runs.HistoryAsync(Sync);
        Assert.Equal(RunStatus.Interrupted, history.Single(r => r.RunId == run).Status);
        // The holder, if it still ran, could no longer write: its writes go through the claim's session.
        var lost = await Assert.ThrowsAsync<StateException>(() => ledger.MarkInDoubtAsync(new BatchId(run, 1), [Write("a")]));
        Assert.Contains($"The claim on sync '{Sync}' was lost", lost.Message);
        await using (await other.ClaimAsync(Sync))
        {
            Assert.True(await other.Runs.StartRunAsync(Sync, false) > run);
        }
        try
        {
            await ledger.DisposeAsync();
        }
        catch (NpgsqlException)
        {
            // The killed session's connection is gone already.
        }
    }

    [Fact]
    public async Task The_schema_is_created_with_its_version_and_a_newer_version_is_refused()
    {
        await using (var store = await PostgresState.OpenAsync(Url, "custom_schema"))
            Assert.Contains("(schema custom_schema)", store.Location);
        await server.ExecuteAsync("INSERT INTO custom_schema.schema_version VALUES (99, now())", _database);
        var e = await Assert.ThrowsAsync<StateException>(() => PostgresState.OpenAsync(Url, "custom_schema"));
        Assert.Contains("written by a newer Sluice (schema version 99; this one knows up to 4)", e.Message);
    }

    [Fact]
    public async Task A_state_of_version_3_gets_the_pauses_table_once_and_keeps_its_history()
    {
        long run;
        await using (var first = await PostgresState.OpenAsync(Url))
        {
            await using (await first.ClaimAsync(Sync))
                run = await first.Runs.StartRunAsync(Sync, false);
        }
        // The state as Sluice wrote it before it kept pauses.
        await server.ExecuteAsync("DROP TABLE sluice.pauses; DELETE FROM sluice.schema_version WHERE version = 4;", _database);

        var stores = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => OpenAsync()));
        Assert.True(await stores[0].Pauses.PauseAsync(Sync, "source", "The source is unreachable.", run));
        Assert.Equal(Sync, Assert.Single(await stores[2].Pauses.ListAsync()).Sync);
        Assert.Equal(run, Assert.Single(await stores[1].Runs.HistoryAsync(Sync)).RunId);
        await using var c = new NpgsqlConnection(server.ConnectionString(_database));
        await c.OpenAsync();
        Assert.Equal(1L, await new NpgsqlCommand("SELECT count(*) FROM sluice.schema_version WHERE version = 4", c).ExecuteScalarAsync());
    }

    [Fact]
    public async Task The_scheduler_tables_are_created_once_when_workers_start_together_and_a_newer_version_is_refused()
    {
        var stores = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => OpenAsync()));
        var opened = await Task.WhenAll(stores.Cast<PostgresState>().Select(s => s.OpenSchedulerStoreAsync()));

        Assert.All(opened, o => Assert.Equal(("sluice.qrtz_", "sluice-sluice"), (o.TablePrefix, o.SchedulerName)));
        Assert.DoesNotContain(server.Password, opened[0].ToString());
        await using var c = new NpgsqlConnection(server.ConnectionString(_database));
        await c.OpenAsync();
        Assert.Equal(1L, await new NpgsqlCommand("SELECT count(*) FROM sluice.scheduler_schema_version", c).ExecuteScalarAsync());
        // Quartz's tables, as Quartz 4.7.3 names them: 15 of them, all empty until a server schedules something.
        Assert.Equal(15L, await new NpgsqlCommand(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'sluice' AND table_name LIKE 'qrtz\\_%'", c).ExecuteScalarAsync());
        Assert.Equal(0L, await new NpgsqlCommand("SELECT count(*) FROM sluice.qrtz_job_details", c).ExecuteScalarAsync());

        await server.ExecuteAsync("INSERT INTO sluice.scheduler_schema_version VALUES (7, now())", _database);
        var newer = await Assert.ThrowsAsync<StateException>(() => ((PostgresState)stores[0]).OpenSchedulerStoreAsync());
        Assert.Contains("written by a newer Sluice (version 7; this one knows up to 1)", newer.Message);
    }

    [Fact]
    public async Task The_location_hides_the_password_and_bad_connections_say_what_is_wrong_without_it()
    {
        var store = await OpenAsync();
        Assert.DoesNotContain(server.Password, store.Location);
        Assert.Contains(":***@127.0.0.1:", store.Location);

        var refused = await Assert.ThrowsAsync<StateException>(() => PostgresState.OpenAsync(Url.Replace(Uri.EscapeDataString(server.Password), "wrong-password")));
        Assert.Contains("refused the login", refused.Message);
        var unreachable = await Assert.ThrowsAsync<StateException>(() => PostgresState.OpenAsync($"postgres://u:{server.Password}@127.0.0.1:1/db"));
        Assert.Contains("cannot reach PostgreSQL at 127.0.0.1:1/db", unreachable.Message);
        var bad = await Assert.ThrowsAsync<StateException>(() => PostgresState.OpenAsync($"mysql://u:{server.Password}@h/db"));
        Assert.Contains("could not be read", bad.Message);
        foreach (var e in new[] { refused, unreachable, bad })
            Assert.DoesNotContain(server.Password, e.Message);
    }
}

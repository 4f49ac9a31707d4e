using System.Data.Common;
using DuckDB.NET.Data;
using Sluice.Core.Destinations;
using Sluice.Core.State;

namespace Sluice.State;

/// <summary>
/// One sync's ledger in its own DuckDB file (<c>.sluice/syncs/&lt;sync&gt;.duckdb</c>), held open, and so claimed, for as
/// long as this object lives: DuckDB's file lock keeps every other process out, and goes with a process that dies. It
/// holds the ledger (key, hash of the values delivered, destination id, time; never the values), a journal of
/// acknowledged batches, the writes in doubt and the ids of records created in insert mode. Batches are committed to
/// the journal as they are acknowledged and folded into the ledger at the end of a run (or at the next plan after a
/// crash). The planner diffs in this object's DuckDB instance, against the ledger in place.
/// </summary>
public sealed partial class DuckDbLedger : ISyncLedger
{
    private const string Catalog = "sluice_state";
    private readonly DuckDBConnection _connection;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly Func<ValueTask> _release;

    private DuckDbLedger(string sync, string path, DuckDBConnection connection, TimeProvider time, Func<ValueTask> release)
    {
        Sync = sync;
        Path = path;
        _connection = connection;
        _time = time;
        _release = release;
    }

    public string Sync { get; }

    /// <summary>The ledger's file.</summary>
    public string Path { get; }

    /// <summary>The ledger's key type when nothing says otherwise (keys of any type, as text).</summary>
    internal const string TextKey = "VARCHAR";

    /// <summary>
    /// DuckDB's memory budget (the planner's grouping and joins spill past it to <see cref="TempDirectory"/>). At 400 MB a
    /// 10,000,000-row plan peaked past 600 MiB and was hardly faster than at a run's budget: the plan is CPU-bound.
    /// </summary>
    internal static string MemoryLimit => "256MB";

    /// <summary>
    /// DuckDB's budget to plan a run: delivery needs the rest of the process's memory (batches, requests), and the diff
    /// spills past it. 64 MB was tried: a 10,000,000-row plan with 1% changed ran out of memory at it.
    /// </summary>
    internal static string RunPlanningMemoryLimit => "96MB";

    /// <summary>
    /// DuckDB's budget once a plan is being delivered: a page of rows to send and the ledger's per-batch writes need
    /// little, and the memory the diff held goes back, so a run's memory does not grow with its model. It stays for the
    /// ledger's fold at the end of the run, which goes up to the planning budget only if it runs out (a 10,000,000-row
    /// first run's fold did); the next plan sets its own. 32 MB was too little for a batch's commit beside a
    /// 10,000,000-row plan's tables.
    /// </summary>
    internal static string DeliveryMemoryLimit => "48MB";

    /// <summary>Whether DuckDB runs within <see cref="DeliveryMemoryLimit"/> (a plan being delivered set it).</summary>
    internal bool AtDeliveryBudget { get; set; }

    /// <summary>Where DuckDB spills: next to the state, so a plan never fills another disk.</summary>
    internal string TempDirectory { get; private init; } = "";

    internal string LedgerName => TableName("ledger");

    /// <summary>A ledger table's name qualified with its catalog (for sessions that USE a source's).</summary>
    internal static string TableName(string table) => $"{Catalog}.main.{Sql.Ident(table)}";

    /// <summary>The catalog to go back to after a source was used.</summary>
    internal static string CatalogName => Catalog;

    private DateTime Now => _time.GetUtcNow().UtcDateTime;

    /// <summary>
    /// Opens (creating) the ledger file at <paramref name="path"/>; throws <see cref="DbException"/> as DuckDB reports it
    /// (a lock held by another process among them). <paramref name="release"/> runs when the ledger is disposed.
    /// </summary>
    internal static async Task<DuckDbLedger> OpenAsync(string sync, string path, string tempDirectory, TimeProvider time,
        Func<ValueTask> release, CancellationToken ct)
    {
        // An in-memory instance with the ledger attached: connections to it can be duplicated, so the planner's session,
        // streaming reads and commits share one database, and a source can be attached next to it.
        var connection = new DuckDBConnection("Data Source=:memory:");
        try
        {
            await connection.OpenAsync(ct);
            await connection.ExecuteAsync($"ATTACH {Sql.Literal(path)} AS {Catalog}; USE {Catalog};", ct);
            var ledger = new DuckDbLedger(sync, path, connection, time, release) { TempDirectory = tempDirectory };
            await ledger.CreateSchemaAsync(ct);
            return ledger;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private Task CreateSchemaAsync(CancellationToken ct) => _connection.ExecuteAsync($"""
        SET memory_limit = {Sql.Literal(MemoryLimit)};
        SET temp_directory = {Sql.Literal(TempDirectory)};
        SET preserve_insertion_order = false;
        CREATE TABLE IF NOT EXISTS journal (
            key VARCHAR NOT NULL, hash UBIGINT NOT NULL, dest_id VARCHAR, delivered_at TIMESTAMP NOT NULL, deleted BOOLEAN NOT NULL,
            run_id BIGINT NOT NULL, batch INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS in_doubt (
            key VARCHAR NOT NULL, op VARCHAR NOT NULL, match_value VARCHAR, hash UBIGINT NOT NULL, run_id BIGINT NOT NULL,
            batch INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS created_ids (key VARCHAR NOT NULL, dest_id VARCHAR NOT NULL);
        CREATE TABLE IF NOT EXISTS ledger (key {TextKey} NOT NULL, hash UBIGINT NOT NULL, dest_id VARCHAR, delivered_at TIMESTAMP NOT NULL);
        -- Added later (a ledger written before has none, and gains it as the last column): the planner's hash of the
        -- delivered match value, so a new row taking an unchanged record's value is found without reading that value.
        ALTER TABLE journal ADD COLUMN IF NOT EXISTS match_hash UBIGINT;
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS match_hash UBIGINT;
        """, ct);

    /// <summary>A new connection to the same database (the planner's session and streaming reads).</summary>
    internal DuckDBConnection NewConnection()
    {
        var connection = _connection.Duplicate();
        connection.Open();
        return connection;
    }

    /// <summary>
    /// The QUALIFY clause keeping, of a table of writes (journal, in doubt), the latest per key: batches order by run,
    /// then number. <paramref name="alias"/>: the table's alias in the query, if any.
    /// </summary>
    internal static string LatestPerKey(string alias = "")
    {
        var p = alias.Length == 0 ? "" : alias + ".";
        return $"QUALIFY row_number() OVER (PARTITION BY {p}key ORDER BY {p}run_id DESC, {p}batch DESC) = 1";
    }

    /// <summary>SQL true for the rows of batches up to <paramref name="batch"/>, in batch order.</summary>
    private static string UpTo(BatchId batch) =>
        $"(run_id < {batch.RunId} OR (run_id = {batch.RunId} AND batch <= {batch.Number}))";

    /// <summary>The type of the ledger's keys: VARCHAR, or the model key's own integer type.</summary>
    internal async Task<string> LedgerKeyTypeAsync(CancellationToken ct) => await _connection.ScalarAsync<string>(
        "SELECT data_type FROM duckdb_columns() WHERE database_name = ? AND schema_name = 'main' AND table_name = 'ledger' AND column_name = 'key'",
        ct, Catalog) ?? TextKey;

    /// <summary>
    /// Makes the ledger hold its keys in <paramref name="keyType"/> (the model key's type: grouping and joining on it is
    /// cheaper than on text), migrating text keys when every key the ledger holds reads back the same. Returns the type
    /// the keys have now (text when they could not be converted).
    /// </summary>
    internal async Task<string> PrepareAsync(string keyType, CancellationToken ct)
    {
        return await WriteAsync(async () =>
        {
            var current = await LedgerKeyTypeAsync(ct);
            if (current == keyType)
                return current;
            if (current == TextKey)
            {
                // A text key converts only when it is the canonical text of its value ('007' is not 7): else it stays text.
                var stray = await _connection.ScalarAsync<long>($"""
                        SELECT count(*) FROM (
                            SELECT key FROM ledger UNION ALL SELECT key FROM journal
                            UNION ALL SELECT key FROM in_doubt UNION ALL SELECT key FROM created_ids)
                        WHERE CAST(TRY_CAST(key AS {keyType}) AS VARCHAR) IS DISTINCT FROM key
                        """, ct);
                if (stray > 0)
                    return TextKey;
            }
            else
            {
                keyType = TextKey;
            }
            await _connection.ExecuteAsync($"ALTER TABLE ledger ALTER COLUMN key TYPE {keyType} USING CAST(key AS {keyType})", ct);
            return keyType;
        }, ct);
    }

    /// <summary>A text key (journal, in doubt, created ids) in the ledger's key type.</summary>
    internal static string KeyAs(string keyType, string expression) =>
        keyType == TextKey ? expression : $"TRY_CAST({expression} AS {keyType})";

    public async Task<long> SizeAsync(CancellationToken ct = default)
    {
        await CompactAsync(ct);
        return await _connection.ScalarAsync<long>("SELECT count(*) FROM ledger", ct);
    }

    public async Task CommitAsync(BatchId batch, IReadOnlyList<LedgerEntry> delivered, IReadOnlyCollection<string> stillInDoubt,
        CancellationToken ct = default)
    {
        await WriteAsync(async () =>
        {
            await using var tx = await _connection.BeginTransactionAsync(ct);
            AppendJournal(batch, delivered);
            // An acknowledged write settles every earlier write of its key; a refused one settles only itself.
            await _connection.ExecuteAsync($"""
                    DELETE FROM in_doubt WHERE {UpTo(batch)}
                      AND key IN (SELECT key FROM journal WHERE run_id = ? AND batch = ?)
                    """, ct, batch.RunId, batch.Number);
            var keep = stillInDoubt.Count == 0 ? "" : $" AND key NOT IN ({string.Join(", ", stillInDoubt.Select(Sql.Literal))})";
            await _connection.ExecuteAsync($"DELETE FROM in_doubt WHERE run_id = ? AND batch = ?{keep}", ct, batch.RunId, batch.Number);
            await tx.CommitAsync(ct);
        }, ct);
    }

    /// <summary>Appends acknowledged records to the journal, and the ids of created records to the known ones.</summary>
    private void AppendJournal(BatchId batch, IReadOnlyList<LedgerEntry> delivered)
    {
        if (delivered.Count == 0)
            return;
        var now = Now;
        using (var appender = _connection.CreateAppender("journal"))
        {
            foreach (var entry in delivered)
            {
                appender.CreateRow()
                    .AppendValue(entry.Key).AppendValue(entry.Hash).AppendValue(entry.DestinationId)
                    .AppendValue(now).AppendValue(entry.Deleted).AppendValue(batch.RunId).AppendValue(batch.Number)
                    .AppendValue(entry.MatchHash).EndRow();
            }
        }
        if (!delivered.Any(e => e.Created && e.DestinationId is not null))
            return;
        using var ids = _connection.CreateAppender("created_ids");
        foreach (var entry in delivered.Where(e => e.Created && e.DestinationId is not null))
            ids.CreateRow().AppendValue(entry.Key).AppendValue(entry.DestinationId).EndRow();
    }

    /// <summary>Folds the journal into the ledger: the latest entry per key wins; deletes remove the key.</summary>
    internal async Task CompactAsync(CancellationToken ct = default)
    {
        await WriteAsync(async () =>
        {
            if (await _connection.ScalarAsync<long>("SELECT count(*) FROM journal", ct) == 0)
                return;
            var keyType = await LedgerKeyTypeAsync(ct);
            if (keyType != TextKey && await _connection.ScalarAsync<long>(
                    $"SELECT count(*) FROM journal WHERE {KeyAs(keyType, "key")} IS NULL", ct) > 0)
            {
                // A key the ledger's type cannot hold (the model's key changed type): the ledger goes back to text.
                await _connection.ExecuteAsync("ALTER TABLE ledger ALTER COLUMN key TYPE VARCHAR USING CAST(key AS VARCHAR)", ct);
                keyType = TextKey;
            }
            try
            {
                await FoldAsync(keyType, ct);
            }
            catch (DbException e) when (AtDeliveryBudget && StateErrors.Classify(e.Message) == StateFailure.OutOfMemory)
            {
                // Folded after a run, DuckDB still has the delivery's budget, which a whole model's entries can outgrow.
                await _connection.ExecuteAsync($"SET memory_limit = {Sql.Literal(RunPlanningMemoryLimit)}", ct);
                AtDeliveryBudget = false;
                await FoldAsync(keyType, ct);
            }
        }, ct);
    }

    private async Task FoldAsync(string keyType, CancellationToken ct)
    {
        await using var tx = await _connection.BeginTransactionAsync(ct);
        await _connection.ExecuteAsync($"""
                    CREATE OR REPLACE TEMP TABLE sluice_fold AS
                    SELECT {KeyAs(keyType, "key")} AS key, hash, dest_id, delivered_at, deleted, match_hash FROM journal
                    {LatestPerKey()};
                    CREATE OR REPLACE TEMP TABLE sluice_fold_ids AS
                    SELECT f.key, coalesce(f.dest_id, l.dest_id) AS dest_id
                    FROM sluice_fold f JOIN ledger l ON l.key = f.key;
                    DELETE FROM ledger WHERE key IN (SELECT key FROM sluice_fold);
                    INSERT INTO ledger (key, hash, dest_id, delivered_at, match_hash)
                    SELECT f.key, f.hash, coalesce(f.dest_id, i.dest_id), f.delivered_at, f.match_hash
                    FROM sluice_fold f LEFT JOIN sluice_fold_ids i ON i.key = f.key WHERE NOT f.deleted;
                    DELETE FROM journal;
                    DROP TABLE sluice_fold; DROP TABLE sluice_fold_ids;
                    """, ct);
        await tx.CommitAsync(ct);
    }

    public async Task MarkInDoubtAsync(BatchId batch, IReadOnlyCollection<InDoubtWrite> writes, CancellationToken ct = default)
    {
        if (writes.Count == 0)
            return;
        await WriteAsync(async () =>
        {
            await using var tx = await _connection.BeginTransactionAsync(ct);
            using (var appender = _connection.CreateAppender("in_doubt"))
            {
                foreach (var write in writes)
                {
                    appender.CreateRow().AppendValue(write.Key).AppendValue(OperationCode(write.Operation))
                        .AppendValue(write.MatchValue).AppendValue(write.Hash).AppendValue(batch.RunId).AppendValue(batch.Number).EndRow();
                }
            }
            await tx.CommitAsync(ct);
        }, ct);
    }

    public async Task<long> InDoubtCountAsync(CancellationToken ct = default) =>
        await _connection.ScalarAsync<long>("SELECT count(*) FROM in_doubt", ct);

    public async Task<IReadOnlyList<InDoubtCreate>> ReadInDoubtCreatesAsync(CancellationToken ct = default)
    {
        var keyType = await LedgerKeyTypeAsync(ct);
        await using var command = _connection.CreateCommand();
        command.CommandText = $"""
            SELECT d.key, d.match_value, d.hash, l.dest_id, l.hash,
                   (SELECT list(c.dest_id) FROM created_ids c WHERE c.key = d.key) AS known
            FROM in_doubt d LEFT JOIN ledger l ON l.key = {KeyAs(keyType, "d.key")}
            WHERE d.op = 'create'
            {LatestPerKey("d")}
            ORDER BY d.run_id, d.batch
            """;
        await using var reader = await command.ExecuteReaderAsync(ct);
        var result = new List<InDoubtCreate>();
        while (await reader.ReadAsync(ct))
        {
            var known = reader.IsDBNull(5) ? [] : reader.GetFieldValue<List<string>>(5);
            result.Add(new InDoubtCreate(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.GetFieldValue<ulong>(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetFieldValue<ulong>(4), known));
        }
        return result;
    }

    public async Task SettleCreatesAsync(BatchId batch, IReadOnlyList<LedgerEntry> created, IReadOnlyCollection<string> settled,
        CancellationToken ct = default)
    {
        if (created.Count == 0 && settled.Count == 0)
            return;
        await WriteAsync(async () =>
        {
            await using var tx = await _connection.BeginTransactionAsync(ct);
            AppendJournal(batch, created);
            if (settled.Count > 0)
            {
                await _connection.ExecuteAsync(
                    $"DELETE FROM in_doubt WHERE op = 'create' AND key IN ({string.Join(", ", settled.Select(Sql.Literal))})", ct);
            }
            await tx.CommitAsync(ct);
        }, ct);
    }

    /// <summary>
    /// Runs one write of the ledger under the write gate. DuckDB's errors become the state's, with what to do (a full
    /// disk, DuckDB's memory budget): they are not the destination's, whatever the run was doing when they came.
    /// </summary>
    private async Task<T> WriteAsync<T>(Func<Task<T>> write, CancellationToken ct)
    {
        await _writeGate.WaitAsync(ct);
        try
        {
            return await write();
        }
        catch (DbException e)
        {
            throw StateErrors.Explain(e, Path, TempDirectory);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private Task WriteAsync(Func<Task> write, CancellationToken ct) => WriteAsync(async () =>
    {
        await write();
        return true;
    }, ct);

    internal static string OperationCode(RecordOperation operation) => operation.ToString().ToLowerInvariant();

    public async ValueTask DisposeAsync()
    {
        try
        {
            // What the run acknowledged is in the journal already; folding it now keeps the next plan fast.
            await CompactAsync(CancellationToken.None);
        }
        catch (StateException)
        {
            // The next claim folds it instead.
        }
        await _connection.DisposeAsync();
        _writeGate.Dispose();
        await _release();
    }
}

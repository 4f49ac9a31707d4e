using System.Runtime.CompilerServices;
using Npgsql;
using NpgsqlTypes;
using Sluice.Core.Destinations;
using Sluice.Core.State;

namespace Sluice.State.Postgres;

/// <summary>
/// One sync's ledger in tables of a PostgreSQL schema shared by every sync (rows keyed by sync): the ledger (key, hash,
/// destination id, time; never the values), a journal of acknowledged batches folded into it at the end of a run (or
/// before the next read), the writes in doubt and the ids of records created in insert mode. The same semantics as the
/// embedded DuckDB ledger. It can be opened on any database and schema (the state's, or a source's for a warehouse
/// planner); claiming the sync is its owner's business (<see cref="PostgresState"/>): this object only reads and writes.
/// </summary>
public sealed class PostgresLedger : ISyncLedger
{
    private readonly NpgsqlDataSource _db;
    private readonly string _schema;
    private readonly TimeProvider _time;
    private readonly Func<ValueTask> _release;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private bool _disposed;

    /// <summary>
    /// The claim's own session, when claimed: every write goes through it, so a ledger whose claim was lost (its
    /// connection cut, and another process free to claim the sync) can no longer write; the write fails and the run stops.
    /// </summary>
    internal NpgsqlConnection? Claim { get; init; }

    internal PostgresLedger(NpgsqlDataSource db, string schema, string sync, TimeProvider time, Func<ValueTask> release)
    {
        _db = db;
        _schema = schema;
        Sync = sync;
        _time = time;
        _release = release;
    }

    public string Sync { get; }

    private DateTime Now => _time.GetUtcNow().UtcDateTime;

    private string T(string table) => $"{Pg.Ident(_schema)}.{Pg.Ident(table)}";

    /// <summary>
    /// The ledger of <paramref name="sync"/> in <paramref name="schema"/> (its tables made by <see cref="CreateTablesSql"/>).
    /// <paramref name="release"/> runs when it is disposed (the claim's end).
    /// </summary>
    public static PostgresLedger Open(NpgsqlDataSource db, string schema, string sync, TimeProvider time, Func<ValueTask>? release = null) =>
        new(db, schema, sync, time, release ?? (() => ValueTask.CompletedTask));

    internal static PostgresLedger Open(NpgsqlDataSource db, string schema, string sync, TimeProvider time, PostgresStateErrors errors,
        Func<ValueTask>? release = null) =>
        new(db, schema, sync, time, release ?? (() => ValueTask.CompletedTask)) { Errors = errors };

    /// <summary>
    /// Schema version 2: the ledger and the journal keep the planner's hash of each record's match value (null in
    /// entries written before), so a new row taking an unchanged record's value is found without reading that value.
    /// </summary>
    public static string AddMatchHashSql(string schema)
    {
        var s = Pg.Ident(schema);
        return $"""
            ALTER TABLE {s}.ledger ADD COLUMN IF NOT EXISTS match_hash bigint;
            ALTER TABLE {s}.journal ADD COLUMN IF NOT EXISTS match_hash bigint;
            """;
    }

    /// <summary>The statements creating the ledger's tables in <paramref name="schema"/> as of schema version 1 (idempotent).</summary>
    public static string CreateTablesSql(string schema)
    {
        var s = Pg.Ident(schema);
        return $"""
            CREATE TABLE IF NOT EXISTS {s}.ledger (
                sync text NOT NULL, key text NOT NULL, hash bigint NOT NULL, dest_id text, delivered_at timestamptz NOT NULL,
                PRIMARY KEY (sync, key));
            CREATE TABLE IF NOT EXISTS {s}.journal (
                sync text NOT NULL, key text NOT NULL, hash bigint NOT NULL, dest_id text, delivered_at timestamptz NOT NULL,
                deleted boolean NOT NULL, run_id bigint NOT NULL, batch integer NOT NULL);
            CREATE INDEX IF NOT EXISTS journal_by_batch ON {s}.journal (sync, run_id, batch);
            CREATE TABLE IF NOT EXISTS {s}.in_doubt (
                sync text NOT NULL, key text NOT NULL, op text NOT NULL, match_value text, hash bigint NOT NULL,
                run_id bigint NOT NULL, batch integer NOT NULL);
            CREATE INDEX IF NOT EXISTS in_doubt_by_key ON {s}.in_doubt (sync, key);
            CREATE INDEX IF NOT EXISTS in_doubt_by_batch ON {s}.in_doubt (sync, run_id, batch);
            CREATE TABLE IF NOT EXISTS {s}.created_ids (sync text NOT NULL, key text NOT NULL, dest_id text NOT NULL);
            CREATE INDEX IF NOT EXISTS created_ids_by_key ON {s}.created_ids (sync, key);
            """;
    }

    /// <summary>Hashes are unsigned 64-bit; PostgreSQL's bigint holds their bits.</summary>
    private static long Bits(ulong hash) => unchecked((long)hash);

    private static ulong Hash(long bits) => unchecked((ulong)bits);

    /// <summary>SQL true for the rows of batches up to <paramref name="batch"/>, in batch order.</summary>
    private static string UpTo(BatchId batch) =>
        $"(run_id < {batch.RunId} OR (run_id = {batch.RunId} AND batch <= {batch.Number}))";

    private Task<T> InTransactionAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken ct) =>
        Pg.InTransactionAsync(_db, Errors, _schema, work, ct);

    /// <summary>How PostgreSQL's errors are told (set by the state that opened this).</summary>
    internal PostgresStateErrors Errors { get; init; } = new("PostgreSQL", null);

    private Task InTransactionAsync(Func<NpgsqlConnection, NpgsqlTransaction, Task> work, CancellationToken ct) =>
        InTransactionAsync(async (c, t) => { await work(c, t); return true; }, ct);

    /// <summary>A write, in one transaction on the claim's session (one at a time), or on a pooled connection when unclaimed.</summary>
    private async Task<T> WriteAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken ct)
    {
        if (Claim is null)
            return await InTransactionAsync(work, ct);
        await _writeGate.WaitAsync(ct);
        try
        {
            await using var tx = await Claim.BeginTransactionAsync(ct);
            var result = await work(Claim, tx);
            await tx.CommitAsync(ct);
            return result;
        }
        catch (PostgresException e) when (Claim.FullState.HasFlag(System.Data.ConnectionState.Open) && !Claim.FullState.HasFlag(System.Data.ConnectionState.Broken))
        {
            // The session is alive (and holds the claim): an error of the statement, told as such.
            throw Errors.Explain(e, _schema);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException && !ct.IsCancellationRequested)
        {
            throw new StateException(
                $"The claim on sync '{Sync}' was lost: its connection to PostgreSQL ended ({e.Message.Split('\n', 2)[0].TrimEnd('.')}). " +
                "Nothing more is written by this run; what was committed stays, and the next run resends what was in flight.", e);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private Task WriteAsync(Func<NpgsqlConnection, NpgsqlTransaction, Task> work, CancellationToken ct) =>
        WriteAsync(async (c, t) => { await work(c, t); return true; }, ct);

    private NpgsqlCommand Command(NpgsqlConnection c, NpgsqlTransaction? tx, string sql)
    {
        // No 30 s limit: a statement grows with the ledger (the fold of a first run's millions of journal rows); the
        // caller's cancellation bounds it, and a dead server ends the session.
        var command = new NpgsqlCommand(sql, c, tx) { CommandTimeout = 0 };
        command.Parameters.AddWithValue("sync", Sync);
        return command;
    }

    public async Task<long> SizeAsync(CancellationToken ct = default)
    {
        await CompactAsync(ct);
        return await InTransactionAsync(async (c, tx) =>
        {
            await using var command = Command(c, tx, $"SELECT count(*) FROM {T("ledger")} WHERE sync = @sync");
            return (long)(await command.ExecuteScalarAsync(ct))!;
        }, ct);
    }

    public Task MarkInDoubtAsync(BatchId batch, IReadOnlyCollection<InDoubtWrite> writes, CancellationToken ct = default)
    {
        if (writes.Count == 0)
            return Task.CompletedTask;
        return WriteAsync(async (c, tx) =>
        {
            await using var command = Command(c, tx, $"""
                INSERT INTO {T("in_doubt")} (sync, key, op, match_value, hash, run_id, batch)
                SELECT @sync, k, o, m, h, @run, @batch FROM unnest(@keys, @ops, @matches, @hashes) AS w(k, o, m, h)
                """);
            command.Parameters.AddWithValue("keys", writes.Select(w => w.Key).ToArray());
            command.Parameters.AddWithValue("ops", writes.Select(w => OperationCode(w.Operation)).ToArray());
            command.Parameters.Add(new NpgsqlParameter("matches", NpgsqlDbType.Array | NpgsqlDbType.Text)
            {
                Value = writes.Select(w => (object?)w.MatchValue ?? DBNull.Value).ToArray(),
            });
            command.Parameters.AddWithValue("hashes", writes.Select(w => Bits(w.Hash)).ToArray());
            command.Parameters.AddWithValue("run", batch.RunId);
            command.Parameters.AddWithValue("batch", batch.Number);
            await command.ExecuteNonQueryAsync(ct);
        }, ct);
    }

    public Task CommitAsync(BatchId batch, IReadOnlyList<LedgerEntry> delivered, IReadOnlyCollection<string> stillInDoubt,
        CancellationToken ct = default) => WriteAsync(async (c, tx) =>
    {
        await AppendJournalAsync(c, tx, batch, delivered, ct);
        // An acknowledged write settles every earlier write of its key; a refused one settles only itself.
        await using var command = Command(c, tx, $"""
            DELETE FROM {T("in_doubt")} WHERE sync = @sync AND {UpTo(batch)}
              AND key IN (SELECT key FROM {T("journal")} WHERE sync = @sync AND run_id = @run AND batch = @batch);
            DELETE FROM {T("in_doubt")} WHERE sync = @sync AND run_id = @run AND batch = @batch AND NOT (key = ANY(@keep));
            """);
        command.Parameters.AddWithValue("run", batch.RunId);
        command.Parameters.AddWithValue("batch", batch.Number);
        command.Parameters.AddWithValue("keep", stillInDoubt.ToArray());
        await command.ExecuteNonQueryAsync(ct);
    }, ct);

    /// <summary>Appends acknowledged records to the journal, and the ids of created records to the known ones.</summary>
    private async Task AppendJournalAsync(NpgsqlConnection c, NpgsqlTransaction tx, BatchId batch, IReadOnlyList<LedgerEntry> delivered,
        CancellationToken ct)
    {
        if (delivered.Count == 0)
            return;
        var created = delivered.Where(e => e.Created && e.DestinationId is not null).ToList();
        await using var command = Command(c, tx, $"""
            INSERT INTO {T("journal")} (sync, key, hash, dest_id, delivered_at, deleted, run_id, batch, match_hash)
            SELECT @sync, k, h, i, @now, d, @run, @batch, m FROM unnest(@keys, @hashes, @ids, @deleted, @matches) AS e(k, h, i, d, m);
            INSERT INTO {T("created_ids")} (sync, key, dest_id) SELECT @sync, k, i FROM unnest(@ckeys, @cids) AS e(k, i);
            """);
        command.Parameters.AddWithValue("keys", delivered.Select(e => e.Key).ToArray());
        command.Parameters.AddWithValue("hashes", delivered.Select(e => Bits(e.Hash)).ToArray());
        command.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Text)
        {
            Value = delivered.Select(e => (object?)e.DestinationId ?? DBNull.Value).ToArray(),
        });
        command.Parameters.AddWithValue("deleted", delivered.Select(e => e.Deleted).ToArray());
        command.Parameters.Add(new NpgsqlParameter("matches", NpgsqlDbType.Array | NpgsqlDbType.Bigint)
        {
            Value = delivered.Select(e => e.MatchHash is { } m ? (object)Bits(m) : DBNull.Value).ToArray(),
        });
        command.Parameters.AddWithValue("ckeys", created.Select(e => e.Key).ToArray());
        command.Parameters.AddWithValue("cids", created.Select(e => e.DestinationId!).ToArray());
        command.Parameters.AddWithValue("now", Now);
        command.Parameters.AddWithValue("run", batch.RunId);
        command.Parameters.AddWithValue("batch", batch.Number);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Folds the journal into the ledger in one statement: the latest entry per key wins; deletes remove the key.</summary>
    internal Task CompactAsync(CancellationToken ct) => WriteAsync(async (c, tx) =>
    {
        await using var command = Command(c, tx, $"""
            WITH j AS (DELETE FROM {T("journal")} WHERE sync = @sync
                       RETURNING key, hash, dest_id, delivered_at, deleted, run_id, batch, match_hash),
            f AS (SELECT DISTINCT ON (key) key, hash, dest_id, delivered_at, deleted, match_hash FROM j ORDER BY key, run_id DESC, batch DESC),
            gone AS (DELETE FROM {T("ledger")} l USING f WHERE l.sync = @sync AND l.key = f.key AND f.deleted)
            INSERT INTO {T("ledger")} AS l (sync, key, hash, dest_id, delivered_at, match_hash)
            SELECT @sync, key, hash, dest_id, delivered_at, match_hash FROM f WHERE NOT deleted
            ON CONFLICT (sync, key) DO UPDATE
            SET hash = excluded.hash, dest_id = coalesce(excluded.dest_id, l.dest_id), delivered_at = excluded.delivered_at,
                match_hash = excluded.match_hash
            """);
        await command.ExecuteNonQueryAsync(ct);
    }, ct);

    public Task<long> InDoubtCountAsync(CancellationToken ct = default) => InTransactionAsync(async (c, tx) =>
    {
        await using var command = Command(c, tx, $"SELECT count(*) FROM {T("in_doubt")} WHERE sync = @sync");
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }, ct);

    public async Task<IReadOnlyList<InDoubtCreate>> ReadInDoubtCreatesAsync(CancellationToken ct = default)
    {
        await CompactAsync(ct);
        return await InTransactionAsync(async (c, tx) =>
        {
            await using var command = Command(c, tx, $"""
                SELECT key, match_value, hash, l_id, l_hash, known FROM (
                    SELECT DISTINCT ON (d.key) d.key, d.match_value, d.hash, l.dest_id AS l_id, l.hash AS l_hash, d.run_id, d.batch,
                           (SELECT array_agg(k.dest_id ORDER BY k.dest_id) FROM {T("created_ids")} k WHERE k.sync = @sync AND k.key = d.key) AS known
                    FROM {T("in_doubt")} d LEFT JOIN {T("ledger")} l ON l.sync = @sync AND l.key = d.key
                    WHERE d.sync = @sync AND d.op = 'create'
                    ORDER BY d.key, d.run_id DESC, d.batch DESC) latest
                ORDER BY run_id, batch, key
                """);
            await using var reader = await command.ExecuteReaderAsync(ct);
            var result = new List<InDoubtCreate>();
            while (await reader.ReadAsync(ct))
            {
                result.Add(new InDoubtCreate(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), Hash(reader.GetInt64(2)),
                    reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : Hash(reader.GetInt64(4)),
                    reader.IsDBNull(5) ? [] : reader.GetFieldValue<string[]>(5)));
            }
            return (IReadOnlyList<InDoubtCreate>)result;
        }, ct);
    }

    public Task SettleCreatesAsync(BatchId batch, IReadOnlyList<LedgerEntry> created, IReadOnlyCollection<string> settled,
        CancellationToken ct = default)
    {
        if (created.Count == 0 && settled.Count == 0)
            return Task.CompletedTask;
        return WriteAsync(async (c, tx) =>
        {
            await AppendJournalAsync(c, tx, batch, created, ct);
            await using var command = Command(c, tx, $"DELETE FROM {T("in_doubt")} WHERE sync = @sync AND op = 'create' AND key = ANY(@settled)");
            command.Parameters.AddWithValue("settled", settled.ToArray());
            await command.ExecuteNonQueryAsync(ct);
        }, ct);
    }

    public async IAsyncEnumerable<LedgerRecord> ReadLedgerAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        await CompactAsync(ct);
        await foreach (var r in StreamAsync(
                           $"SELECT key, hash, dest_id, delivered_at, match_hash FROM {T("ledger")} WHERE sync = @sync ORDER BY key", ct))
        {
            yield return new LedgerRecord(r.GetString(0), Hash(r.GetInt64(1)), r.IsDBNull(2) ? null : r.GetString(2), r.GetDateTime(3),
                r.IsDBNull(4) ? null : Hash(r.GetInt64(4)));
        }
    }

    public async IAsyncEnumerable<InDoubtRecord> ReadInDoubtAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        await foreach (var r in StreamAsync(
                           $"SELECT key, op, match_value, hash, run_id, batch FROM {T("in_doubt")} WHERE sync = @sync ORDER BY run_id, batch, key", ct))
        {
            yield return new InDoubtRecord(new BatchId(r.GetInt64(4), r.GetInt32(5)),
                new InDoubtWrite(r.GetString(0), ParseOperation(r.GetString(1)), r.IsDBNull(2) ? null : r.GetString(2), Hash(r.GetInt64(3))));
        }
    }

    public async IAsyncEnumerable<CreatedId> ReadCreatedIdsAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        await foreach (var r in StreamAsync($"SELECT key, dest_id FROM {T("created_ids")} WHERE sync = @sync ORDER BY key, dest_id", ct))
            yield return new CreatedId(r.GetString(0), r.GetString(1));
    }

    /// <summary>Rows of <paramref name="sql"/>, read as they arrive (a repeatable-read transaction: one consistent view).</summary>
    private async IAsyncEnumerable<NpgsqlDataReader> StreamAsync(string sql, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var connection = await Explained(() => _db.OpenConnectionAsync(ct).AsTask(), ct);
        await using var tx = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
        await using var command = Command(connection, tx, sql);
        await using var reader = await Explained(() => command.ExecuteReaderAsync(ct), ct);
        while (await Explained(() => reader.ReadAsync(ct), ct))
            yield return reader;
    }

    private async Task<T> Explained<T>(Func<Task<T>> work, CancellationToken ct)
    {
        try
        {
            return await work();
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException && !ct.IsCancellationRequested)
        {
            throw Errors.Explain(e, _schema);
        }
    }

    /// <summary>Whether this sync's ledger holds anything: records, journal, writes in doubt or created ids.</summary>
    public async Task<bool> IsEmptyAsync(CancellationToken ct = default) => await InTransactionAsync(async (c, tx) =>
    {
        await using var command = Command(c, tx, $"""
            SELECT NOT (EXISTS (SELECT 1 FROM {T("ledger")} WHERE sync = @sync) OR EXISTS (SELECT 1 FROM {T("journal")} WHERE sync = @sync)
                     OR EXISTS (SELECT 1 FROM {T("in_doubt")} WHERE sync = @sync) OR EXISTS (SELECT 1 FROM {T("created_ids")} WHERE sync = @sync))
            """);
        return (bool)(await command.ExecuteScalarAsync(ct))!;
    }, ct);

    /// <summary>
    /// Replaces this sync's ledger with <paramref name="source"/>'s read-out (a migration from another store), in one
    /// transaction, through binary COPY. Returns the counts copied: records, writes in doubt, created ids.
    /// </summary>
    public Task<(long Records, long InDoubt, long CreatedIds)> ReplaceWithAsync(ISyncLedger source, CancellationToken ct = default) =>
        WriteAsync(async (c, tx) =>
        {
            foreach (var table in new[] { "ledger", "journal", "in_doubt", "created_ids" })
            {
                await using var clear = Command(c, tx, $"DELETE FROM {T(table)} WHERE sync = @sync");
                await clear.ExecuteNonQueryAsync(ct);
            }
            long records = 0, inDoubt = 0, ids = 0;
            await using (var copy = await c.BeginBinaryImportAsync(
                             $"COPY {T("ledger")} (sync, key, hash, dest_id, delivered_at, match_hash) FROM STDIN (FORMAT BINARY)", ct))
            {
                await foreach (var e in source.ReadLedgerAsync(ct))
                {
                    await copy.WriteRowAsync(ct, Sync, e.Key, Bits(e.Hash), (object?)e.DestinationId ?? DBNull.Value,
                        DateTime.SpecifyKind(e.DeliveredAt, DateTimeKind.Utc), e.MatchHash is { } m ? Bits(m) : DBNull.Value);
                    records++;
                }
                await copy.CompleteAsync(ct);
            }
            await using (var copy = await c.BeginBinaryImportAsync(
                             $"COPY {T("in_doubt")} (sync, key, op, match_value, hash, run_id, batch) FROM STDIN (FORMAT BINARY)", ct))
            {
                await foreach (var d in source.ReadInDoubtAsync(ct))
                {
                    await copy.WriteRowAsync(ct, Sync, d.Write.Key, OperationCode(d.Write.Operation), (object?)d.Write.MatchValue ?? DBNull.Value,
                        Bits(d.Write.Hash), d.Batch.RunId, d.Batch.Number);
                    inDoubt++;
                }
                await copy.CompleteAsync(ct);
            }
            await using (var copy = await c.BeginBinaryImportAsync($"COPY {T("created_ids")} (sync, key, dest_id) FROM STDIN (FORMAT BINARY)", ct))
            {
                await foreach (var i in source.ReadCreatedIdsAsync(ct))
                {
                    await copy.WriteRowAsync(ct, Sync, i.Key, i.DestinationId);
                    ids++;
                }
                await copy.CompleteAsync(ct);
            }
            return (records, inDoubt, ids);
        }, ct);

    internal static string OperationCode(RecordOperation operation) => operation.ToString().ToLowerInvariant();

    private static RecordOperation ParseOperation(string code) => Enum.Parse<RecordOperation>(code, ignoreCase: true);

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
            return;
        _disposed = true;
        try
        {
            // What the run acknowledged is in the journal already; folding it now keeps the next read short.
            await CompactAsync(CancellationToken.None);
        }
        catch (StateException)
        {
            // The next read folds it instead.
        }
        finally
        {
            _writeGate.Dispose();
            await _release();
        }
    }
}

/// <summary>Small helpers for writing PostgreSQL SQL safely.</summary>
internal static class Pg
{
    public static string Ident(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>A command of <paramref name="tx"/> with its named parameters (null as SQL NULL).</summary>
    public static NpgsqlCommand Command(NpgsqlConnection c, NpgsqlTransaction tx, string sql, params (string Name, object? Value)[] args)
    {
        var command = new NpgsqlCommand(sql, c, tx);
        foreach (var (name, value) in args)
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    /// <summary>Runs <paramref name="work"/> in one transaction on a pooled connection; PostgreSQL's errors told as the state's.</summary>
    public static async Task<T> InTransactionAsync<T>(NpgsqlDataSource db, PostgresStateErrors errors, string schema,
        Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken ct)
    {
        try
        {
            await using var connection = await db.OpenConnectionAsync(ct);
            await using var tx = await connection.BeginTransactionAsync(ct);
            var result = await work(connection, tx);
            await tx.CommitAsync(ct);
            return result;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException && !ct.IsCancellationRequested)
        {
            throw errors.Explain(e, schema);
        }
    }
}

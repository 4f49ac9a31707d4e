using System.Data.Common;
using System.Text.Json;
using DuckDB.NET.Data;
using Sluice.Core.Destinations;

namespace Sluice.State;

/// <summary>
/// The project's embedded state in <c>.sluice/state.duckdb</c>: per sync a ledger (key, hash of the values
/// delivered, destination id, time; never the values), a journal of acknowledged batches, the writes in doubt
/// (sent or about to be, not yet committed), the ids of records created in insert mode, run history and rejected
/// rows. Batches are committed to the journal as they are acknowledged and folded into the ledger at the end of a
/// run (or at the next plan after a crash), so a killed process loses nothing that was acknowledged, and what was
/// sent but not acknowledged stays in doubt until a later run settles it.
/// </summary>
public sealed class StateStore : IAsyncDisposable
{
    private readonly DuckDBConnection _connection;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _writeGate = new(1, 1);

    private StateStore(DuckDBConnection connection, string path, string catalog, TimeProvider time)
    {
        _connection = connection;
        _time = time;
        Path = path;
        Catalog = catalog;
    }

    /// <summary>The state file.</summary>
    public string Path { get; }

    /// <summary>The DuckDB catalog name of the state database (for qualified names once a source is attached).</summary>
    internal string Catalog { get; }

    /// <summary>Opens (creating when needed) the state of the project in <paramref name="projectDirectory"/>.</summary>
    public static Task<StateStore> OpenAsync(string projectDirectory, CancellationToken ct = default) =>
        OpenAsync(projectDirectory, TimeProvider.System, ct);

    /// <inheritdoc cref="OpenAsync(string, CancellationToken)"/>
    public static async Task<StateStore> OpenAsync(string projectDirectory, TimeProvider time, CancellationToken ct = default)
    {
        var folder = System.IO.Path.Combine(projectDirectory, ".sluice");
        var path = System.IO.Path.Combine(folder, "state.duckdb");
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw StateErrors.Explain(e, path);
        }

        // An in-memory instance with the state file attached: connections to it can be duplicated, so the
        // planner's session, streaming reads and commits share one database.
        var connection = new DuckDBConnection("Data Source=:memory:");
        await connection.OpenAsync(ct);
        const string catalog = "sluice_state";
        try
        {
            await connection.ExecuteAsync($"ATTACH {Sql.Literal(path)} AS {catalog}; USE {catalog};", ct);
        }
        catch (DbException e)
        {
            await connection.DisposeAsync();
            throw StateErrors.Explain(e, path);
        }
        var store = new StateStore(connection, path, catalog, time);
        try
        {
            await store.CreateSchemaAsync(ct);
        }
        catch (DbException e)
        {
            // A full disk or a damaged file can also show first when the schema is written.
            await store.DisposeAsync();
            throw StateErrors.Explain(e, path);
        }
        return store;
    }

    /// <summary>A new connection to the same database (for the planner's session and streaming reads).</summary>
    internal DuckDBConnection NewConnection()
    {
        var connection = _connection.Duplicate();
        connection.Open();
        return connection;
    }

    /// <summary>
    /// DuckDB's memory budget for this state (the planner's grouping and joins spill past it to <see cref="TempDirectory"/>).
    /// DuckDB keeps some memory outside it, so the process peaks above.
    /// </summary>
    internal string MemoryLimit => "400MB";

    /// <summary>Where DuckDB spills: next to the state, so a plan never fills another disk.</summary>
    internal string TempDirectory => System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Path)!, "tmp");

    private DateTime Now => _time.GetUtcNow().UtcDateTime;

    internal string LedgerName(string sync) => TableName(Sql.LedgerTable(sync));

    /// <summary>A state table's name qualified with the state's catalog (for sessions that USE another one).</summary>
    internal string TableName(string table) => $"{Sql.Ident(Catalog)}.main.{Sql.Ident(table)}";

    private async Task CreateSchemaAsync(CancellationToken ct)
    {
        await _connection.ExecuteAsync($"""
            SET memory_limit = {Sql.Literal(MemoryLimit)};
            SET temp_directory = {Sql.Literal(TempDirectory)};
            SET preserve_insertion_order = false;
            CREATE SEQUENCE IF NOT EXISTS run_ids START 1;
            CREATE TABLE IF NOT EXISTS runs (
                run_id BIGINT PRIMARY KEY, sync VARCHAR NOT NULL, started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP,
                status VARCHAR NOT NULL, full_resync BOOLEAN NOT NULL, counts VARCHAR, warnings VARCHAR, error VARCHAR);
            CREATE TABLE IF NOT EXISTS journal (
                sync VARCHAR NOT NULL, key VARCHAR NOT NULL, hash UBIGINT NOT NULL, dest_id VARCHAR,
                delivered_at TIMESTAMP NOT NULL, deleted BOOLEAN NOT NULL, seq BIGINT NOT NULL);
            CREATE TABLE IF NOT EXISTS rejected (
                sync VARCHAR NOT NULL, run_id BIGINT NOT NULL, key VARCHAR, outcome VARCHAR NOT NULL, code VARCHAR,
                reason VARCHAR NOT NULL, rejected_at TIMESTAMP NOT NULL);
            CREATE TABLE IF NOT EXISTS in_doubt (
                sync VARCHAR NOT NULL, key VARCHAR NOT NULL, op VARCHAR NOT NULL, match_value VARCHAR, hash UBIGINT NOT NULL,
                run_id BIGINT NOT NULL, seq BIGINT NOT NULL);
            CREATE TABLE IF NOT EXISTS created_ids (sync VARCHAR NOT NULL, key VARCHAR NOT NULL, dest_id VARCHAR NOT NULL);
            """, ct);
        // State written before writes were tracked in doubt kept insert intents only: they are creates in doubt.
        var hasIntents = await _connection.ScalarAsync<long>(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND table_name = 'intents'", ct);
        if (hasIntents > 0)
        {
            await _connection.ExecuteAsync("""
                INSERT INTO in_doubt SELECT sync, key, 'create', any_value(match_value), max(hash), max(run_id), max(seq)
                FROM intents GROUP BY sync, key;
                DROP TABLE intents;
                """, ct);
        }
        // The state file is held by one process at a time, so a run still marked running now is one whose process died.
        await _connection.ExecuteAsync(
            "UPDATE runs SET status = 'interrupted', finished_at = coalesce(finished_at, ?), error = coalesce(error, ?) WHERE status = 'running'",
            ct, Now, InterruptedMessage);
    }

    /// <summary>The history's explanation of a run whose process died.</summary>
    public const string InterruptedMessage =
        "The process running this sync stopped before the run finished (killed, crashed or the machine went down). " +
        "Acknowledged batches were committed; writes in flight are resent by the next run.";

    /// <summary>The ledger's key type when nothing says otherwise (keys of any type, as text).</summary>
    internal const string TextKey = "VARCHAR";

    /// <summary>Makes sure a sync's ledger table exists (keys as text when it is new).</summary>
    internal Task EnsureLedgerAsync(string sync, CancellationToken ct) => CreateLedgerAsync(sync, TextKey, ct);

    private Task CreateLedgerAsync(string sync, string keyType, CancellationToken ct) => _connection.ExecuteAsync(
        $"CREATE TABLE IF NOT EXISTS {LedgerName(sync)} (key {keyType} NOT NULL, hash UBIGINT NOT NULL, dest_id VARCHAR, delivered_at TIMESTAMP NOT NULL)",
        ct);

    /// <summary>The type of a sync's ledger keys (VARCHAR or the model key's own integer type), null without a ledger.</summary>
    internal Task<string?> LedgerKeyTypeAsync(string sync, CancellationToken ct) => _connection.ScalarAsync<string>(
        "SELECT data_type FROM duckdb_columns() WHERE database_name = ? AND schema_name = 'main' AND table_name = ? AND column_name = 'key'",
        ct, Catalog, Sql.LedgerTable(sync));

    /// <summary>
    /// Makes a sync's ledger hold its keys in <paramref name="keyType"/> (the model key's type: grouping and joining on
    /// it is cheaper than on text), migrating a ledger of text keys when every key the state holds for the sync reads
    /// back the same. Returns the type the ledger's keys have now (text when they could not be converted).
    /// </summary>
    internal async Task<string> PrepareLedgerAsync(string sync, string keyType, CancellationToken ct)
    {
        await _writeGate.WaitAsync(ct);
        try
        {
            var current = await LedgerKeyTypeAsync(sync, ct);
            if (current is null)
            {
                await CreateLedgerAsync(sync, keyType, ct);
                return keyType;
            }
            if (current == keyType)
                return current;
            if (current == TextKey)
            {
                // A text key converts only when it is the canonical text of its value ('007' is not 7): else it stays text.
                var stray = await _connection.ScalarAsync<long>($"""
                    SELECT count(*) FROM (
                        SELECT key FROM {LedgerName(sync)}
                        UNION ALL SELECT key FROM journal WHERE sync = ?
                        UNION ALL SELECT key FROM in_doubt WHERE sync = ?
                        UNION ALL SELECT key FROM created_ids WHERE sync = ?)
                    WHERE CAST(TRY_CAST(key AS {keyType}) AS VARCHAR) IS DISTINCT FROM key
                    """, ct, sync, sync, sync);
                if (stray > 0)
                    return TextKey;
            }
            else
            {
                keyType = TextKey;
            }
            await _connection.ExecuteAsync(
                $"ALTER TABLE {LedgerName(sync)} ALTER COLUMN key TYPE {keyType} USING CAST(key AS {keyType})", ct);
            return keyType;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>A text key (journal, in doubt, created ids) in the ledger's key type.</summary>
    internal static string KeyAs(string keyType, string expression) =>
        keyType == TextKey ? expression : $"TRY_CAST({expression} AS {keyType})";

    /// <summary>The number of records in a sync's ledger (after folding in any journal left by a crash).</summary>
    public async Task<long> LedgerSizeAsync(string sync, CancellationToken ct = default)
    {
        await CompactAsync(sync, ct);
        return await _connection.ScalarAsync<long>($"SELECT count(*) FROM {LedgerName(sync)}", ct);
    }

    /// <summary>
    /// Commits one answered batch atomically: its acknowledged records go to the journal, its rejected rows to the
    /// run's rejected list, and its writes leave the in-doubt list (with every earlier write of an acknowledged key),
    /// except <paramref name="stillInDoubt"/> (keys the destination gave no answer for: they may have landed).
    /// <paramref name="seq"/> null: nothing was in doubt.
    /// </summary>
    public async Task CommitAsync(string sync, long runId, long? seq, IReadOnlyList<LedgerEntry> delivered,
        IReadOnlyList<RejectedRow> rejected, IReadOnlyCollection<string> stillInDoubt, CancellationToken ct = default)
    {
        await _writeGate.WaitAsync(ct);
        try
        {
            await using var tx = await _connection.BeginTransactionAsync(ct);
            AppendJournal(sync, seq ?? 0, delivered);
            if (rejected.Count > 0)
            {
                var now = Now;
                using var appender = _connection.CreateAppender("rejected");
                foreach (var row in rejected)
                {
                    appender.CreateRow()
                        .AppendValue(sync).AppendValue(runId).AppendValue(row.Key).AppendValue(row.Outcome)
                        .AppendValue(row.Code).AppendValue(row.Reason).AppendValue(now)
                        .EndRow();
                }
            }
            if (seq is { } batch)
            {
                // An acknowledged write settles every earlier write of its key; a refused one settles only itself.
                await _connection.ExecuteAsync("""
                    DELETE FROM in_doubt WHERE sync = ? AND seq <= ?
                      AND key IN (SELECT key FROM journal WHERE sync = ? AND seq = ?)
                    """, ct, sync, batch, sync, batch);
                var keep = stillInDoubt.Count == 0 ? "" : $" AND key NOT IN ({string.Join(", ", stillInDoubt.Select(Sql.Literal))})";
                await _connection.ExecuteAsync($"DELETE FROM in_doubt WHERE sync = ? AND seq = ?{keep}", ct, sync, batch);
            }
            await tx.CommitAsync(ct);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Appends acknowledged records to the journal, and the ids of created records to the known ones.</summary>
    private void AppendJournal(string sync, long seq, IReadOnlyList<LedgerEntry> delivered)
    {
        if (delivered.Count == 0)
            return;
        var now = Now;
        using (var appender = _connection.CreateAppender("journal"))
        {
            foreach (var entry in delivered)
            {
                appender.CreateRow()
                    .AppendValue(sync).AppendValue(entry.Key).AppendValue(entry.Hash).AppendValue(entry.DestinationId)
                    .AppendValue(now).AppendValue(entry.Deleted).AppendValue(seq)
                    .EndRow();
            }
        }
        if (!delivered.Any(e => e.Created && e.DestinationId is not null))
            return;
        using var ids = _connection.CreateAppender("created_ids");
        foreach (var entry in delivered.Where(e => e.Created && e.DestinationId is not null))
            ids.CreateRow().AppendValue(sync).AppendValue(entry.Key).AppendValue(entry.DestinationId).EndRow();
    }

    /// <summary>Folds the journal into the ledger: the latest entry per key wins; deletes remove the key.</summary>
    public async Task CompactAsync(string sync, CancellationToken ct = default)
    {
        await EnsureLedgerAsync(sync, ct);
        await _writeGate.WaitAsync(ct);
        try
        {
            var pending = await _connection.ScalarAsync<long>("SELECT count(*) FROM journal WHERE sync = ?", ct, sync);
            if (pending == 0)
                return;
            var ledger = LedgerName(sync);
            var keyType = await LedgerKeyTypeAsync(sync, ct) ?? TextKey;
            if (keyType != TextKey && await _connection.ScalarAsync<long>(
                    $"SELECT count(*) FROM journal WHERE sync = ? AND {KeyAs(keyType, "key")} IS NULL", ct, sync) > 0)
            {
                // A key the ledger's type cannot hold (the model's key changed type): the ledger goes back to text.
                await _connection.ExecuteAsync($"ALTER TABLE {ledger} ALTER COLUMN key TYPE VARCHAR USING CAST(key AS VARCHAR)", ct);
                keyType = TextKey;
            }
            await using var tx = await _connection.BeginTransactionAsync(ct);
            await _connection.ExecuteAsync($"""
                CREATE OR REPLACE TEMP TABLE sluice_fold AS
                SELECT {KeyAs(keyType, "key")} AS key, arg_max(hash, seq) AS hash, arg_max(dest_id, seq) AS dest_id,
                       max(delivered_at) AS delivered_at, arg_max(deleted, seq) AS deleted
                FROM journal WHERE sync = ? GROUP BY 1;
                CREATE OR REPLACE TEMP TABLE sluice_fold_ids AS
                SELECT f.key, coalesce(f.dest_id, l.dest_id) AS dest_id
                FROM sluice_fold f JOIN {ledger} l ON l.key = f.key;
                DELETE FROM {ledger} WHERE key IN (SELECT key FROM sluice_fold);
                INSERT INTO {ledger}
                SELECT f.key, f.hash, coalesce(f.dest_id, i.dest_id), f.delivered_at
                FROM sluice_fold f LEFT JOIN sluice_fold_ids i ON i.key = f.key WHERE NOT f.deleted;
                DELETE FROM journal WHERE sync = ?;
                DROP TABLE sluice_fold; DROP TABLE sluice_fold_ids;
                """, ct, sync, sync);
            await tx.CommitAsync(ct);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>
    /// Records the writes of batch <paramref name="seq"/> as in doubt before they are sent: until the batch is
    /// committed, each may or may not have landed. A key keeps the entries of earlier writes (of runs that died) until
    /// one of its writes is acknowledged: a refused resend says nothing of what the earlier one left there.
    /// </summary>
    public async Task MarkInDoubtAsync(string sync, long runId, long seq, IReadOnlyCollection<InDoubtWrite> writes, CancellationToken ct = default)
    {
        if (writes.Count == 0)
            return;
        await _writeGate.WaitAsync(ct);
        try
        {
            await using var tx = await _connection.BeginTransactionAsync(ct);
            using (var appender = _connection.CreateAppender("in_doubt"))
            {
                foreach (var write in writes)
                {
                    appender.CreateRow().AppendValue(sync).AppendValue(write.Key).AppendValue(OperationCode(write.Operation))
                        .AppendValue(write.MatchValue).AppendValue(write.Hash).AppendValue(runId).AppendValue(seq).EndRow();
                }
            }
            await tx.CommitAsync(ct);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>The number of a sync's writes in doubt.</summary>
    public async Task<long> InDoubtCountAsync(string sync, CancellationToken ct = default) =>
        await _connection.ScalarAsync<long>("SELECT count(*) FROM in_doubt WHERE sync = ?", ct, sync);

    /// <summary>The creates in doubt of a sync, with the ids of the records the ledger already knows for each key.</summary>
    public async Task<IReadOnlyList<InDoubtCreate>> ReadInDoubtCreatesAsync(string sync, CancellationToken ct = default)
    {
        await EnsureLedgerAsync(sync, ct);
        var keyType = await LedgerKeyTypeAsync(sync, ct) ?? TextKey;
        await using var command = _connection.CreateCommand();
        command.CommandText = $"""
            SELECT d.key, d.match_value, d.hash, l.dest_id, l.hash,
                   (SELECT list(c.dest_id) FROM created_ids c WHERE c.sync = d.sync AND c.key = d.key) AS known
            FROM in_doubt d LEFT JOIN {LedgerName(sync)} l ON l.key = {KeyAs(keyType, "d.key")}
            WHERE d.sync = ? AND d.op = 'create'
            QUALIFY row_number() OVER (PARTITION BY d.key ORDER BY d.seq DESC) = 1
            ORDER BY d.seq
            """;
        command.Parameters.Add(new DuckDBParameter(sync));
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

    /// <summary>
    /// Settles creates in doubt after the destination was asked about them: the ones it had created are committed
    /// (<paramref name="created"/>), and every key in <paramref name="settled"/> leaves the in-doubt list, atomically.
    /// </summary>
    public async Task SettleCreatesAsync(string sync, long seq, IReadOnlyList<LedgerEntry> created, IReadOnlyCollection<string> settled,
        CancellationToken ct = default)
    {
        if (created.Count == 0 && settled.Count == 0)
            return;
        await _writeGate.WaitAsync(ct);
        try
        {
            await using var tx = await _connection.BeginTransactionAsync(ct);
            AppendJournal(sync, seq, created);
            if (settled.Count > 0)
            {
                await _connection.ExecuteAsync(
                    $"DELETE FROM in_doubt WHERE sync = ? AND op = 'create' AND key IN ({string.Join(", ", settled.Select(Sql.Literal))})", ct, sync);
            }
            await tx.CommitAsync(ct);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    internal static string OperationCode(RecordOperation operation) => operation.ToString().ToLowerInvariant();

    public async Task<long> StartRunAsync(string sync, bool fullResync, CancellationToken ct = default)
    {
        var runId = await _connection.ScalarAsync<long>("SELECT nextval('run_ids')", ct);
        await _connection.ExecuteAsync(
            "INSERT INTO runs VALUES (?, ?, ?, NULL, 'running', ?, NULL, NULL, NULL)", ct,
            runId, sync, Now, fullResync);
        return runId;
    }

    public async Task FinishRunAsync(long runId, RunStatus status, RunCounts counts, IReadOnlyList<string> warnings,
        string? error, CancellationToken ct = default)
    {
        await _writeGate.WaitAsync(ct);
        try
        {
            await _connection.ExecuteAsync(
                "UPDATE runs SET finished_at = ?, status = ?, counts = ?, warnings = ?, error = ? WHERE run_id = ?", ct,
                Now, status.ToString().ToLowerInvariant(), JsonSerializer.Serialize(counts),
                JsonSerializer.Serialize(warnings), error, runId);
            // Keep the rejected rows of the latest finished run only: older ones were retried since.
            await _connection.ExecuteAsync(
                "DELETE FROM rejected WHERE sync = (SELECT sync FROM runs WHERE run_id = ?) AND run_id < ?", ct, runId, runId);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public async Task<IReadOnlyList<RunRecord>> HistoryAsync(string? sync, int limit = 50, CancellationToken ct = default)
    {
        await using var command = _connection.CreateCommand();
        command.CommandText = sync is null
            ? "SELECT * FROM runs ORDER BY run_id DESC LIMIT ?"
            : "SELECT * FROM runs WHERE sync = ? ORDER BY run_id DESC LIMIT ?";
        if (sync is not null)
            command.Parameters.Add(new DuckDBParameter(sync));
        command.Parameters.Add(new DuckDBParameter(limit));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var runs = new List<RunRecord>();
        while (await reader.ReadAsync(ct))
        {
            runs.Add(new RunRecord(
                reader.GetInt64(0),
                reader.GetString(1),
                reader.GetDateTime(2),
                reader.IsDBNull(3) ? null : reader.GetDateTime(3),
                Enum.Parse<RunStatus>(reader.GetString(4), ignoreCase: true),
                reader.GetBoolean(5),
                reader.IsDBNull(6) ? new RunCounts() : JsonSerializer.Deserialize<RunCounts>(reader.GetString(6))!,
                reader.IsDBNull(7) ? [] : JsonSerializer.Deserialize<List<string>>(reader.GetString(7))!,
                reader.IsDBNull(8) ? null : reader.GetString(8)));
        }
        return runs;
    }

    /// <summary>The rejected rows of the sync's latest run.</summary>
    public async Task<IReadOnlyList<RejectedRow>> RejectedAsync(string sync, int limit = 1000, CancellationToken ct = default)
    {
        await using var command = _connection.CreateCommand();
        command.CommandText = """
            SELECT sync, run_id, key, outcome, code, reason, rejected_at FROM rejected
            WHERE sync = ? AND run_id = (SELECT max(run_id) FROM rejected WHERE sync = ?)
            ORDER BY key LIMIT ?
            """;
        command.Parameters.Add(new DuckDBParameter(sync));
        command.Parameters.Add(new DuckDBParameter(sync));
        command.Parameters.Add(new DuckDBParameter(limit));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<RejectedRow>();
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new RejectedRow(reader.GetString(0), reader.GetInt64(1), reader.IsDBNull(2) ? "" : reader.GetString(2),
                reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetString(5), reader.GetDateTime(6)));
        }
        return rows;
    }

    public async ValueTask DisposeAsync()
    {
        await _connection.DisposeAsync();
        _writeGate.Dispose();
    }
}

/// <summary>The state cannot be opened or used.</summary>
public sealed class StateException : Exception
{
    public StateException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}

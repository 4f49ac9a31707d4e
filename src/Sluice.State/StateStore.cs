using System.Data.Common;
using System.Text.Json;
using DuckDB.NET.Data;

namespace Sluice.State;

/// <summary>
/// The project's embedded state in <c>.sluice/state.duckdb</c>: per sync a ledger (key, hash of the values
/// delivered, destination id, time; never the values), a journal of acknowledged batches, insert intents,
/// run history and rejected rows. Batches are committed to the journal as they are acknowledged and folded
/// into the ledger at the end of a run (or at the next plan after a crash), so a killed process loses
/// nothing that was acknowledged.
/// </summary>
public sealed class StateStore : IAsyncDisposable
{
    private readonly DuckDBConnection _connection;
    private readonly SemaphoreSlim _writeGate = new(1, 1);

    private StateStore(DuckDBConnection connection, string path, string catalog)
    {
        _connection = connection;
        Path = path;
        Catalog = catalog;
    }

    /// <summary>The state file.</summary>
    public string Path { get; }

    /// <summary>The DuckDB catalog name of the state database (for qualified names once a source is attached).</summary>
    internal string Catalog { get; }

    /// <summary>Opens (creating when needed) the state of the project in <paramref name="projectDirectory"/>.</summary>
    public static async Task<StateStore> OpenAsync(string projectDirectory, CancellationToken ct = default)
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
        var store = new StateStore(connection, path, catalog);
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

    internal string LedgerName(string sync) => $"{Sql.Ident(Catalog)}.main.{Sql.Ident(Sql.LedgerTable(sync))}";

    private async Task CreateSchemaAsync(CancellationToken ct)
    {
        await _connection.ExecuteAsync($"""
            SET memory_limit = '600MB';
            SET temp_directory = {Sql.Literal(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Path)!, "tmp"))};
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
            CREATE TABLE IF NOT EXISTS intents (
                sync VARCHAR NOT NULL, run_id BIGINT NOT NULL, key VARCHAR NOT NULL, match_value VARCHAR, hash UBIGINT NOT NULL,
                seq BIGINT NOT NULL);
            """, ct);
    }

    /// <summary>Makes sure a sync's ledger table exists.</summary>
    internal Task EnsureLedgerAsync(string sync, CancellationToken ct) => _connection.ExecuteAsync(
        $"CREATE TABLE IF NOT EXISTS {LedgerName(sync)} (key VARCHAR NOT NULL, hash UBIGINT NOT NULL, dest_id VARCHAR, delivered_at TIMESTAMP NOT NULL)",
        ct);

    /// <summary>The number of records in a sync's ledger (after folding in any journal left by a crash).</summary>
    public async Task<long> LedgerSizeAsync(string sync, CancellationToken ct = default)
    {
        await CompactAsync(sync, ct);
        return await _connection.ScalarAsync<long>($"SELECT count(*) FROM {LedgerName(sync)}", ct);
    }

    /// <summary>
    /// Writes acknowledged records to the journal and the run's rejected rows, atomically; with
    /// <paramref name="clearIntents"/>, also drops the insert intents written for batch <paramref name="seq"/>.
    /// </summary>
    public async Task CommitAsync(string sync, long runId, long seq, IReadOnlyList<LedgerEntry> delivered,
        IReadOnlyList<RejectedRow> rejected, bool clearIntents, CancellationToken ct = default)
    {
        await _writeGate.WaitAsync(ct);
        try
        {
            await using var tx = await _connection.BeginTransactionAsync(ct);
            var now = DateTime.UtcNow;
            if (delivered.Count > 0)
            {
                using var appender = _connection.CreateAppender("journal");
                foreach (var entry in delivered)
                {
                    appender.CreateRow()
                        .AppendValue(sync).AppendValue(entry.Key).AppendValue(entry.Hash).AppendValue(entry.DestinationId)
                        .AppendValue(now).AppendValue(entry.Deleted).AppendValue(seq)
                        .EndRow();
                }
            }
            if (rejected.Count > 0)
            {
                using var appender = _connection.CreateAppender("rejected");
                foreach (var row in rejected)
                {
                    appender.CreateRow()
                        .AppendValue(sync).AppendValue(runId).AppendValue(row.Key).AppendValue(row.Outcome)
                        .AppendValue(row.Code).AppendValue(row.Reason).AppendValue(now)
                        .EndRow();
                }
            }
            if (clearIntents)
                await _connection.ExecuteAsync("DELETE FROM intents WHERE sync = ? AND seq = ?", ct, sync, seq);
            await tx.CommitAsync(ct);
        }
        finally
        {
            _writeGate.Release();
        }
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
            await using var tx = await _connection.BeginTransactionAsync(ct);
            await _connection.ExecuteAsync($"""
                CREATE OR REPLACE TEMP TABLE sluice_fold AS
                SELECT key, arg_max(hash, seq) AS hash, arg_max(dest_id, seq) AS dest_id,
                       max(delivered_at) AS delivered_at, arg_max(deleted, seq) AS deleted
                FROM journal WHERE sync = ? GROUP BY key;
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

    /// <summary>Writes down the inserts of batch <paramref name="seq"/> before they are sent.</summary>
    public async Task WriteIntentsAsync(string sync, long runId, long seq, IEnumerable<InsertIntent> intents, CancellationToken ct = default)
    {
        await _writeGate.WaitAsync(ct);
        try
        {
            using var appender = _connection.CreateAppender("intents");
            foreach (var intent in intents)
                appender.CreateRow().AppendValue(sync).AppendValue(runId).AppendValue(intent.Key).AppendValue(intent.MatchValue)
                    .AppendValue(intent.Hash).AppendValue(seq).EndRow();
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public async Task<IReadOnlyList<InsertIntent>> ReadIntentsAsync(string sync, CancellationToken ct = default)
    {
        await using var command = _connection.CreateCommand();
        command.CommandText = "SELECT key, any_value(match_value), max(hash) FROM intents WHERE sync = ? GROUP BY key";
        command.Parameters.Add(new DuckDBParameter(sync));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var result = new List<InsertIntent>();
        while (await reader.ReadAsync(ct))
            result.Add(new InsertIntent(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetFieldValue<ulong>(2)));
        return result;
    }

    /// <summary>Drops every insert intent of a sync (once they have all been reconciled).</summary>
    public async Task ClearIntentsAsync(string sync, CancellationToken ct = default)
    {
        await _writeGate.WaitAsync(ct);
        try
        {
            await _connection.ExecuteAsync("DELETE FROM intents WHERE sync = ?", ct, sync);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public async Task<long> StartRunAsync(string sync, bool fullResync, CancellationToken ct = default)
    {
        var runId = await _connection.ScalarAsync<long>("SELECT nextval('run_ids')", ct);
        await _connection.ExecuteAsync(
            "INSERT INTO runs VALUES (?, ?, ?, NULL, 'running', ?, NULL, NULL, NULL)", ct,
            runId, sync, DateTime.UtcNow, fullResync);
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
                DateTime.UtcNow, status.ToString().ToLowerInvariant(), JsonSerializer.Serialize(counts),
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

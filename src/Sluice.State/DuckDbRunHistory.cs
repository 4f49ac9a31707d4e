using System.Data.Common;
using System.Diagnostics;
using System.Text.Json;
using DuckDB.NET.Data;
using Sluice.Core.State;

namespace Sluice.State;

/// <summary>
/// Run history and rejected rows in <c>.sluice/state.duckdb</c>. The file is opened for each operation and closed
/// after it, so processes take turns in milliseconds: a run writes its start, its rejected rows and its end while
/// another process reads the history. An operation that finds the file held waits for its turn (up to
/// <see cref="LockWait"/>) before it reports the holder.
/// </summary>
public sealed class DuckDbRunHistory : IRunHistory
{
    /// <summary>How long an operation waits for another process's turn on the file before giving up.</summary>
    public static readonly TimeSpan LockWait = TimeSpan.FromSeconds(15);

    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _turn = new(1, 1);
    private bool _ready;

    internal DuckDbRunHistory(string path, TimeProvider time)
    {
        Path = path;
        _time = time;
    }

    /// <summary>The history's file.</summary>
    public string Path { get; }

    private DateTime Now => _time.GetUtcNow().UtcDateTime;

    /// <summary>This process, as history names the holder of a run: pid, host and start time (a reused pid is not it).</summary>
    private static string ThisProcess()
    {
        using var self = Process.GetCurrentProcess();
        return $"{Environment.ProcessId}@{Environment.MachineName}@{self.StartTime.ToUniversalTime().Ticks}";
    }

    /// <summary>Runs <paramref name="work"/> in a session of its own on the file, waiting for the file when another process has it.</summary>
    /// <paramref name="inTransaction"/>: false for work that writes other databases it attaches (one transaction writes one).
    internal async Task<T> SessionAsync<T>(Func<DuckDBConnection, Task<T>> work, CancellationToken ct, bool inTransaction = true)
    {
        await _turn.WaitAsync(ct);
        try
        {
            var waited = TimeSpan.Zero;
            var pause = TimeSpan.FromMilliseconds(10);
            while (true)
            {
                DuckDBConnection? connection = null;
                try
                {
                    connection = new DuckDBConnection($"Data Source={Path}");
                    await connection.OpenAsync(ct);
                    if (!_ready)
                    {
                        await CreateSchemaAsync(connection, ct);
                        _ready = true;
                    }
                    // One transaction per operation: one sync of the log to disk, and other processes see all of it or none.
                    if (!inTransaction)
                        return await work(connection);
                    await using var tx = await connection.BeginTransactionAsync(ct);
                    var result = await work(connection);
                    await tx.CommitAsync(ct);
                    return result;
                }
                catch (DbException e) when (StateErrors.Classify(e.Message) == StateFailure.Locked && waited < LockWait)
                {
                    await Task.Delay(pause, _time, ct);
                    waited += pause;
                    pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromMilliseconds(250).Ticks));
                }
                catch (DbException e)
                {
                    throw StateErrors.Explain(e, Path);
                }
                finally
                {
                    if (connection is not null)
                        await connection.DisposeAsync();
                }
            }
        }
        finally
        {
            _turn.Release();
        }
    }

    private Task SessionAsync(Func<DuckDBConnection, Task> work, CancellationToken ct) =>
        SessionAsync(async c => { await work(c); return true; }, ct);

    private static async Task CreateSchemaAsync(DuckDBConnection connection, CancellationToken ct)
    {
        await connection.ExecuteAsync("""
            CREATE SEQUENCE IF NOT EXISTS run_ids START 1;
            CREATE TABLE IF NOT EXISTS runs (
                run_id BIGINT PRIMARY KEY, sync VARCHAR NOT NULL, started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP,
                status VARCHAR NOT NULL, full_resync BOOLEAN NOT NULL, counts VARCHAR, warnings VARCHAR, error VARCHAR);
            ALTER TABLE runs ADD COLUMN IF NOT EXISTS holder VARCHAR;
            CREATE TABLE IF NOT EXISTS rejected (
                sync VARCHAR NOT NULL, run_id BIGINT NOT NULL, key VARCHAR, outcome VARCHAR NOT NULL, code VARCHAR,
                reason VARCHAR NOT NULL, rejected_at TIMESTAMP NOT NULL);
            """ + DuckDbSyncPauses.CreateTableSql, ct);
    }

    /// <summary>The history's explanation of a run whose process died.</summary>
    public const string InterruptedMessage =
        "The process running this sync stopped before the run finished (killed, crashed or the machine went down). " +
        "Acknowledged batches were committed; writes in flight are resent by the next run.";

    public Task<long> StartRunAsync(string sync, bool fullResync, CancellationToken ct = default) => SessionAsync(async c =>
    {
        // The caller holds the sync's claim, so a run of it still marked running is one whose process died.
        await MarkInterruptedAsync(c, "sync = ?", Now, ct, sync);
        var runId = await c.ScalarAsync<long>("SELECT nextval('run_ids')", ct);
        await c.ExecuteAsync(
            "INSERT INTO runs (run_id, sync, started_at, status, full_resync, holder) VALUES (?, ?, ?, 'running', ?, ?)", ct,
            runId, sync, Now, fullResync, ThisProcess());
        return runId;
    }, ct);

    public Task AddRejectedAsync(string sync, long runId, IReadOnlyList<RejectedRow> rows, CancellationToken ct = default)
    {
        if (rows.Count == 0)
            return Task.CompletedTask;
        return SessionAsync(c =>
        {
            var now = Now;
            using var appender = c.CreateAppender("rejected");
            foreach (var row in rows)
            {
                appender.CreateRow()
                    .AppendValue(sync).AppendValue(runId).AppendValue(row.Key).AppendValue(row.Outcome)
                    .AppendValue(row.Code).AppendValue(row.Reason).AppendValue(now)
                    .EndRow();
            }
            return Task.CompletedTask;
        }, ct);
    }

    public Task FinishRunAsync(long runId, RunStatus status, RunCounts counts, IReadOnlyList<string> warnings, string? error,
        CancellationToken ct = default) => SessionAsync(async c =>
    {
        await c.ExecuteAsync(
            "UPDATE runs SET finished_at = ?, status = ?, counts = ?, warnings = ?, error = ? WHERE run_id = ?", ct,
            Now, status.ToString().ToLowerInvariant(), JsonSerializer.Serialize(counts),
            JsonSerializer.Serialize(warnings), error, runId);
        // Keep the rejected rows of the latest finished run only: older ones were retried since.
        await c.ExecuteAsync(
            "DELETE FROM rejected WHERE sync = (SELECT sync FROM runs WHERE run_id = ?) AND run_id < ?", ct, runId, runId);
    }, ct);

    private const string RunColumns = "run_id, sync, started_at, finished_at, status, full_resync, counts, warnings, error";

    public Task<IReadOnlyList<RunRecord>> HistoryAsync(string? sync, int limit = 50, CancellationToken ct = default) => SessionAsync(async c =>
    {
        await MarkDeadRunsAsync(c, ct);
        await using var command = c.CreateCommand();
        command.CommandText = $"""
            SELECT {RunColumns} FROM runs
            {(sync is null ? "" : "WHERE sync = ?")} ORDER BY run_id DESC LIMIT ?
            """;
        if (sync is not null)
            command.Parameters.Add(new DuckDBParameter(sync));
        command.Parameters.Add(new DuckDBParameter(limit));
        return await RunRows.ReadAllAsync(command, ct);
    }, ct);

    public Task<RunRecord?> GetRunAsync(long runId, CancellationToken ct = default) => SessionAsync(async c =>
    {
        await MarkDeadRunsAsync(c, ct);
        await using var command = c.CreateCommand();
        command.CommandText = $"SELECT {RunColumns} FROM runs WHERE run_id = ?";
        command.Parameters.Add(new DuckDBParameter(runId));
        return (await RunRows.ReadAllAsync(command, ct)).FirstOrDefault();
    }, ct);

    public Task<bool> AddWarningAsync(long runId, string warning, CancellationToken ct = default) => SessionAsync(async c =>
    {
        await using var command = c.CreateCommand();
        command.CommandText = "SELECT warnings FROM runs WHERE run_id = ? AND status <> 'running'";
        command.Parameters.Add(new DuckDBParameter(runId));
        var stored = await command.ExecuteScalarAsync(ct);
        if (stored is null || RunRows.WithWarning(stored as string, warning) is not { } warnings)
            return false;
        await c.ExecuteAsync("UPDATE runs SET warnings = ? WHERE run_id = ?", ct, warnings, runId);
        return true;
    }, ct);


    /// <summary>
    /// Marks interrupted the runs still "running" whose process, on this machine, is gone: history shows what happened
    /// without waiting for the sync's next claim. Runs held on another machine wait for that claim.
    /// </summary>
    private async Task MarkDeadRunsAsync(DuckDBConnection c, CancellationToken ct)
    {
        var dead = new List<long>();
        await using (var command = c.CreateCommand())
        {
            command.CommandText = "SELECT run_id, holder FROM runs WHERE status = 'running'";
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                if (!reader.IsDBNull(1) && IsGone(reader.GetString(1)))
                    dead.Add(reader.GetInt64(0));
            }
        }
        foreach (var runId in dead)
            await MarkInterruptedAsync(c, "run_id = ?", Now, ct, runId);
    }

    /// <summary>Marks the runs still "running" that match <paramref name="where"/> as interrupted at <paramref name="now"/>, with the explanation.</summary>
    internal static Task MarkInterruptedAsync(DuckDBConnection c, string where, DateTime now, CancellationToken ct, params object?[] args) =>
        c.ExecuteAsync(
            $"UPDATE runs SET status = 'interrupted', finished_at = coalesce(finished_at, ?), error = coalesce(error, ?) WHERE status = 'running' AND {where}",
            ct, [now, InterruptedMessage, .. args]);

    /// <summary>Whether the process a holder names is known to be gone (same machine, no process with that pid and start).</summary>
    private static bool IsGone(string holder)
    {
        var parts = holder.Split('@');
        if (parts.Length != 3 || parts[1] != Environment.MachineName || !int.TryParse(parts[0], out var pid) || !long.TryParse(parts[2], out var started))
            return false;
        try
        {
            using var process = Process.GetProcessById(pid);
            return Math.Abs(process.StartTime.ToUniversalTime().Ticks - started) > TimeSpan.TicksPerSecond;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return true;
        }
    }

    /// <summary>The pid and start of the run holding <paramref name="sync"/>, for a busy message; null when none is recorded.</summary>
    internal Task<(long RunId, DateTime StartedAt, string Holder)?> RunningAsync(string sync, CancellationToken ct) => SessionAsync(async c =>
    {
        await using var command = c.CreateCommand();
        command.CommandText = "SELECT run_id, started_at, holder FROM runs WHERE sync = ? AND status = 'running' ORDER BY run_id DESC LIMIT 1";
        command.Parameters.Add(new DuckDBParameter(sync));
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct)
            ? ((long, DateTime, string)?)(reader.GetInt64(0), reader.GetDateTime(1), reader.IsDBNull(2) ? "" : reader.GetString(2))
            : null;
    }, ct);

    public Task<IReadOnlyList<RejectedRow>> RejectedAsync(string sync, int limit = 1000, CancellationToken ct = default) => SessionAsync(async c =>
    {
        await using var command = c.CreateCommand();
        command.CommandText = """
            SELECT sync, run_id, key, outcome, code, reason, rejected_at FROM rejected
            WHERE sync = ? AND run_id = (SELECT max(run_id) FROM rejected WHERE sync = ?)
            ORDER BY TRY_CAST(key AS HUGEINT) NULLS LAST, key LIMIT ?
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
        return (IReadOnlyList<RejectedRow>)rows;
    }, ct);
}

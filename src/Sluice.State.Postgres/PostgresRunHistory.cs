using System.Text.Json;
using Npgsql;
using Sluice.Core.State;

namespace Sluice.State.Postgres;

/// <summary>
/// Run history and rejected rows in the state's schema. Each operation is one short transaction on a pooled
/// connection, so any number of processes write and read it side by side.
/// </summary>
public sealed class PostgresRunHistory : IRunHistory
{
    /// <summary>The history's explanation of a run whose process died (the embedded store's words).</summary>
    public const string InterruptedMessage =
        "The process running this sync stopped before the run finished (killed, crashed or the machine went down). " +
        "Acknowledged batches were committed; writes in flight are resent by the next run.";

    private readonly NpgsqlDataSource _db;
    private readonly string _schema;
    private readonly TimeProvider _time;
    private readonly Holder _self;

    internal PostgresRunHistory(NpgsqlDataSource db, string schema, TimeProvider time, Holder self)
    {
        _db = db;
        _schema = schema;
        _time = time;
        _self = self;
    }

    private DateTime Now => _time.GetUtcNow().UtcDateTime;

    private string T(string table) => $"{Pg.Ident(_schema)}.{Pg.Ident(table)}";

    /// <summary>The statements creating the history's tables in <paramref name="schema"/> (idempotent).</summary>
    internal static string CreateTablesSql(string schema)
    {
        var s = Pg.Ident(schema);
        return $"""
            CREATE SEQUENCE IF NOT EXISTS {s}.run_ids;
            CREATE TABLE IF NOT EXISTS {s}.runs (
                run_id bigint PRIMARY KEY, sync text NOT NULL, started_at timestamptz NOT NULL, finished_at timestamptz,
                status text NOT NULL, full_resync boolean NOT NULL, counts text, warnings text, error text, holder text);
            CREATE INDEX IF NOT EXISTS runs_by_sync ON {s}.runs (sync, run_id DESC);
            CREATE INDEX IF NOT EXISTS runs_running ON {s}.runs (run_id) WHERE status = 'running';
            CREATE TABLE IF NOT EXISTS {s}.rejected (
                sync text NOT NULL, run_id bigint NOT NULL, key text, outcome text NOT NULL, code text, reason text NOT NULL,
                rejected_at timestamptz NOT NULL);
            CREATE INDEX IF NOT EXISTS rejected_by_run ON {s}.rejected (sync, run_id);
            CREATE TABLE IF NOT EXISTS {s}.claims (
                sync text PRIMARY KEY, lock_key bigint NOT NULL, host text NOT NULL, pid integer NOT NULL, run_id bigint,
                claimed_at timestamptz NOT NULL);
            """;
    }

    /// <summary>
    /// Schema version 3: the backend (<c>pg_backend_pid()</c>) of the connection holding each claim's lock, so that a
    /// claims row kept after its holder released is told from the live holder's (<see cref="HolderAsync"/>).
    /// </summary>
    internal static string AddClaimBackendSql(string schema) =>
        $"ALTER TABLE {Pg.Ident(schema)}.claims ADD COLUMN IF NOT EXISTS backend_pid integer;";

    private Task<T> InTransactionAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken ct) =>
        Pg.InTransactionAsync(_db, Errors, _schema, work, ct);

    /// <summary>How PostgreSQL's errors are told (set by the state that opened this).</summary>
    internal PostgresStateErrors Errors { get; init; } = new("PostgreSQL", null);

    private static async Task<int> ExecuteAsync(NpgsqlConnection c, NpgsqlTransaction tx, string sql, CancellationToken ct,
        params (string Name, object? Value)[] args)
    {
        await using var command = Pg.Command(c, tx, sql, args);
        return await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// The runs still "running" whose process no longer holds their sync's claim are interrupted: a claim is an advisory
    /// lock of a session, so PostgreSQL itself ends it with the process (or its connection).
    /// </summary>
    private string DeadRuns(string extra) => $"""
        UPDATE {T("runs")} r SET status = 'interrupted', finished_at = coalesce(r.finished_at, @now), error = coalesce(r.error, @why)
        WHERE r.status = 'running' {extra} AND NOT EXISTS (
            SELECT 1 FROM {T("claims")} c JOIN pg_locks k
              ON k.locktype = 'advisory' AND k.granted AND k.objsubid = 1
             AND k.database = (SELECT oid FROM pg_database WHERE datname = current_database())
             AND k.classid::bigint = ((c.lock_key >> 32) & 4294967295) AND k.objid::bigint = (c.lock_key & 4294967295)
            WHERE c.sync = r.sync AND c.run_id = r.run_id)
        """;

    public Task<long> StartRunAsync(string sync, bool fullResync, CancellationToken ct = default) => InTransactionAsync(async (c, tx) =>
    {
        // The caller holds the sync's claim, so a run of it still marked running is one whose process died.
        await ExecuteAsync(c, tx,
            $"UPDATE {T("runs")} SET status = 'interrupted', finished_at = coalesce(finished_at, @now), error = coalesce(error, @why) WHERE status = 'running' AND sync = @sync",
            ct, ("now", Now), ("why", InterruptedMessage), ("sync", sync));
        await using var next = new NpgsqlCommand($"SELECT nextval('{T("run_ids")}')", c, tx);
        var runId = (long)(await next.ExecuteScalarAsync(ct))!;
        await ExecuteAsync(c, tx,
            $"INSERT INTO {T("runs")} (run_id, sync, started_at, status, full_resync, holder) VALUES (@run, @sync, @now, 'running', @full, @holder)",
            ct, ("run", runId), ("sync", sync), ("now", Now), ("full", fullResync), ("holder", _self.ToString()));
        // The claim names its run, for a busy message and to tell live runs from dead ones.
        await ExecuteAsync(c, tx, $"UPDATE {T("claims")} SET run_id = @run WHERE sync = @sync AND host = @host AND pid = @pid", ct,
            ("run", runId), ("sync", sync), ("host", _self.Host), ("pid", _self.Pid));
        return runId;
    }, ct);

    public async Task AddRejectedAsync(string sync, long runId, IReadOnlyList<RejectedRow> rows, CancellationToken ct = default)
    {
        if (rows.Count == 0)
            return;
        await InTransactionAsync(async (c, tx) =>
        {
            await using var copy = await c.BeginBinaryImportAsync(
                $"COPY {T("rejected")} (sync, run_id, key, outcome, code, reason, rejected_at) FROM STDIN (FORMAT BINARY)", ct);
            var now = Now;
            foreach (var row in rows)
                await copy.WriteRowAsync(ct, sync, runId, row.Key, row.Outcome, (object?)row.Code ?? DBNull.Value, row.Reason, now);
            await copy.CompleteAsync(ct);
            return true;
        }, ct);
    }

    public Task FinishRunAsync(long runId, RunStatus status, RunCounts counts, IReadOnlyList<string> warnings, string? error,
        CancellationToken ct = default) => InTransactionAsync(async (c, tx) =>
    {
        await ExecuteAsync(c, tx,
            $"UPDATE {T("runs")} SET finished_at = @now, status = @status, counts = @counts, warnings = @warnings, error = @error WHERE run_id = @run",
            ct, ("now", Now), ("status", status.ToString().ToLowerInvariant()), ("counts", JsonSerializer.Serialize(counts)),
            ("warnings", JsonSerializer.Serialize(warnings)), ("error", error), ("run", runId));
        // Keep the rejected rows of the latest finished run only: older ones were retried since.
        await ExecuteAsync(c, tx,
            $"DELETE FROM {T("rejected")} WHERE sync = (SELECT sync FROM {T("runs")} WHERE run_id = @run) AND run_id < @run", ct, ("run", runId));
        return true;
    }, ct);

    public Task<IReadOnlyList<RunRecord>> HistoryAsync(string? sync, int limit = 50, CancellationToken ct = default) => InTransactionAsync(async (c, tx) =>
    {
        await ExecuteAsync(c, tx, DeadRuns(""), ct, ("now", Now), ("why", InterruptedMessage));
        await using var command = new NpgsqlCommand($"""
            SELECT {RunColumns} FROM {T("runs")}
            {(sync is null ? "" : "WHERE sync = @sync")} ORDER BY run_id DESC LIMIT @limit
            """, c, tx);
        if (sync is not null)
            command.Parameters.AddWithValue("sync", sync);
        command.Parameters.AddWithValue("limit", limit);
        return await RunRows.ReadAllAsync(command, ct);
    }, ct);

    public Task<RunRecord?> GetRunAsync(long runId, CancellationToken ct = default) => InTransactionAsync(async (c, tx) =>
    {
        await ExecuteAsync(c, tx, DeadRuns("AND r.run_id = @run"), ct, ("now", Now), ("why", InterruptedMessage), ("run", runId));
        await using var command = new NpgsqlCommand($"SELECT {RunColumns} FROM {T("runs")} WHERE run_id = @run", c, tx);
        command.Parameters.AddWithValue("run", runId);
        return (await RunRows.ReadAllAsync(command, ct)).FirstOrDefault();
    }, ct);

    public Task<bool> AddWarningAsync(long runId, string warning, CancellationToken ct = default) => InTransactionAsync(async (c, tx) =>
    {
        // The row is locked until the transaction ends, so two workers adding warnings to one run keep both.
        await using var read = new NpgsqlCommand($"SELECT warnings FROM {T("runs")} WHERE run_id = @run AND status <> 'running' FOR UPDATE", c, tx);
        read.Parameters.AddWithValue("run", runId);
        var stored = await read.ExecuteScalarAsync(ct);
        if (stored is null || RunRows.WithWarning(stored as string, warning) is not { } warnings)
            return false;
        await ExecuteAsync(c, tx, $"UPDATE {T("runs")} SET warnings = @warnings WHERE run_id = @run", ct, ("warnings", warnings), ("run", runId));
        return true;
    }, ct);

    private const string RunColumns = "run_id, sync, started_at, finished_at, status, full_resync, counts, warnings, error";


    public Task<IReadOnlyList<RejectedRow>> RejectedAsync(string sync, int limit = 1000, CancellationToken ct = default) => InTransactionAsync(async (c, tx) =>
    {
        await using var command = new NpgsqlCommand($"""
            SELECT sync, run_id, key, outcome, code, reason, rejected_at FROM {T("rejected")}
            WHERE sync = @sync AND run_id = (SELECT max(run_id) FROM {T("rejected")} WHERE sync = @sync)
            ORDER BY CASE WHEN key ~ '^-?[0-9]{1,38}$' THEN key::numeric END NULLS LAST, key COLLATE "C" LIMIT @limit
            """, c, tx);
        command.Parameters.AddWithValue("sync", sync);
        command.Parameters.AddWithValue("limit", limit);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<RejectedRow>();
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new RejectedRow(reader.GetString(0), reader.GetInt64(1), reader.IsDBNull(2) ? "" : reader.GetString(2),
                reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetString(5), reader.GetDateTime(6)));
        }
        return (IReadOnlyList<RejectedRow>)rows;
    }, ct);

    /// <summary>
    /// Who holds <paramref name="sync"/>'s claim as its row says (host, pid, run), for a busy message: only while the
    /// backend the row names still holds the sync's advisory lock. A row outlives its claim (the next claim overwrites it),
    /// so a row whose backend no longer holds the lock is an earlier holder's and says nothing of the current one.
    /// </summary>
    internal Task<(string Host, int Pid, long? RunId)?> HolderAsync(string sync, CancellationToken ct) => InTransactionAsync(async (c, tx) =>
    {
        await using var command = new NpgsqlCommand($"""
            SELECT c.host, c.pid, c.run_id FROM {T("claims")} c
            WHERE c.sync = @sync AND EXISTS (
                SELECT 1 FROM pg_locks k
                WHERE k.locktype = 'advisory' AND k.granted AND k.objsubid = 1 AND k.pid = c.backend_pid
                  AND k.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                  AND k.classid::bigint = ((c.lock_key >> 32) & 4294967295) AND k.objid::bigint = (c.lock_key & 4294967295))
            """, c, tx);
        command.Parameters.AddWithValue("sync", sync);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct)
            ? ((string, int, long?)?)(reader.GetString(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetInt64(2))
            : null;
    }, ct);

    /// <summary>
    /// Copies runs and rejected rows from another history (a migration): run ids are kept, and the id sequence moves past
    /// them. Runs whose id is already here are skipped. Returns the counts copied.
    /// </summary>
    public Task<(long Runs, long Rejected)> ImportAsync(IReadOnlyList<RunRecord> runs, IReadOnlyList<RejectedRow> rejected, CancellationToken ct = default) =>
        InTransactionAsync(async (c, tx) =>
        {
            long copiedRuns = 0;
            foreach (var run in runs)
            {
                copiedRuns += await ExecuteAsync(c, tx, $"""
                    INSERT INTO {T("runs")} (run_id, sync, started_at, finished_at, status, full_resync, counts, warnings, error)
                    VALUES (@run, @sync, @started, @finished, @status, @full, @counts, @warnings, @error) ON CONFLICT (run_id) DO NOTHING
                    """, ct, ("run", run.RunId), ("sync", run.Sync), ("started", DateTime.SpecifyKind(run.StartedAt, DateTimeKind.Utc)),
                    ("finished", run.FinishedAt is { } f ? DateTime.SpecifyKind(f, DateTimeKind.Utc) : null),
                    ("status", (run.Status == RunStatus.Running ? RunStatus.Interrupted : run.Status).ToString().ToLowerInvariant()),
                    ("full", run.FullResync), ("counts", JsonSerializer.Serialize(run.Counts)), ("warnings", JsonSerializer.Serialize(run.Warnings)),
                    ("error", run.Status == RunStatus.Running ? InterruptedMessage : run.Error));
            }
            long copiedRejected = 0;
            foreach (var row in rejected)
            {
                copiedRejected += await ExecuteAsync(c, tx, $"""
                    INSERT INTO {T("rejected")} (sync, run_id, key, outcome, code, reason, rejected_at)
                    SELECT @sync, @run, @key, @outcome, @code, @reason, @at
                    WHERE NOT EXISTS (SELECT 1 FROM {T("rejected")} WHERE sync = @sync AND run_id = @run AND key = @key)
                    """, ct, ("sync", row.Sync), ("run", row.RunId), ("key", row.Key), ("outcome", row.Outcome), ("code", row.Code),
                    ("reason", row.Reason), ("at", DateTime.SpecifyKind(row.At, DateTimeKind.Utc)));
            }
            await ExecuteAsync(c, tx,
                $"SELECT setval('{T("run_ids")}', greatest((SELECT coalesce(max(run_id), 0) FROM {T("runs")}), (SELECT last_value FROM {T("run_ids")})), true)",
                ct);
            return (copiedRuns, copiedRejected);
        }, ct);
}

/// <summary>This process as a claim names it: host and pid (and its start, so a reused pid is not taken for it).</summary>
internal sealed record Holder(string Host, int Pid, long StartTicks)
{
    public static Holder Current()
    {
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        return new Holder(Environment.MachineName, Environment.ProcessId, self.StartTime.ToUniversalTime().Ticks);
    }

    public override string ToString() => $"{Pid}@{Host}@{StartTicks}";
}

using Npgsql;
using Sluice.Core.State;

namespace Sluice.State.Postgres;

/// <summary>
/// The paused syncs in the state's schema (table <c>pauses</c>, schema version 4), shared by every worker: each call is
/// one short transaction, and of workers resuming one sync at once only the one whose DELETE removed the row is told so.
/// </summary>
internal sealed class PostgresSyncPauses(NpgsqlDataSource db, string schema, TimeProvider time, PostgresStateErrors errors) : ISyncPauses
{
    private DateTime Now => time.GetUtcNow().UtcDateTime;

    private string Table => $"{Pg.Ident(schema)}.pauses";

    /// <summary>The statement creating the table in <paramref name="schema"/> (schema version 4; idempotent).</summary>
    internal static string CreateTableSql(string schema) => $"""
        CREATE TABLE IF NOT EXISTS {Pg.Ident(schema)}.pauses (
            sync text PRIMARY KEY, part text NOT NULL, reason text NOT NULL, since timestamptz NOT NULL, run_id bigint,
            checked_at timestamptz);
        """;

    private Task<T> InTransactionAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken ct) =>
        Pg.InTransactionAsync(db, errors, schema, work, ct);

    public Task<IReadOnlyList<PauseRecord>> ListAsync(CancellationToken ct = default) => InTransactionAsync(async (c, tx) =>
    {
        await using var command = Pg.Command(c, tx, $"SELECT {PauseRows.Columns} FROM {Table} ORDER BY sync");
        return await PauseRows.ReadAllAsync(command, ct);
    }, ct);

    public Task<bool> PauseAsync(string sync, string part, string reason, long? runId, CancellationToken ct = default) => InTransactionAsync(async (c, tx) =>
    {
        // xmax = 0 only in a row this statement inserted: the pause is new.
        await using var command = Pg.Command(c, tx, $"""
            INSERT INTO {Table} (sync, part, reason, since, run_id) VALUES (@sync, @part, @reason, @now, @run)
            ON CONFLICT (sync) DO UPDATE SET part = excluded.part, reason = excluded.reason, run_id = excluded.run_id
            RETURNING xmax = 0
            """, ("sync", sync), ("part", part), ("reason", reason), ("now", Now), ("run", runId));
        return (bool)(await command.ExecuteScalarAsync(ct))!;
    }, ct);

    public Task<bool> StillBrokenAsync(string sync, string? part, string reason, CancellationToken ct = default) => InTransactionAsync(async (c, tx) =>
    {
        await using var command = Pg.Command(c, tx, $"UPDATE {Table} SET part = coalesce(@part, part), reason = @reason, checked_at = @now WHERE sync = @sync",
            ("sync", sync), ("part", part), ("reason", reason), ("now", Now));
        return await command.ExecuteNonQueryAsync(ct) > 0;
    }, ct);

    public Task<bool> ResumeAsync(string sync, CancellationToken ct = default) => InTransactionAsync(async (c, tx) =>
    {
        await using var command = Pg.Command(c, tx, $"DELETE FROM {Table} WHERE sync = @sync", ("sync", sync));
        return await command.ExecuteNonQueryAsync(ct) > 0;
    }, ct);
}

using DuckDB.NET.Data;
using Sluice.Core.State;

namespace Sluice.State;

/// <summary>The paused syncs in the history's file (<c>.sluice/state.duckdb</c>, table <c>pauses</c>), one session per call.</summary>
internal sealed class DuckDbSyncPauses(DuckDbRunHistory history, TimeProvider time) : ISyncPauses
{
    private DateTime Now => time.GetUtcNow().UtcDateTime;

    public Task<IReadOnlyList<PauseRecord>> ListAsync(CancellationToken ct = default) => history.SessionAsync(async c =>
    {
        await using var command = c.CreateCommand();
        command.CommandText = $"SELECT {PauseRows.Columns} FROM pauses ORDER BY sync";
        return await PauseRows.ReadAllAsync(command, ct);
    }, ct);

    public Task<bool> PauseAsync(string sync, string part, string reason, long? runId, CancellationToken ct = default) => history.SessionAsync(async c =>
    {
        if (await c.ExecuteAsync("UPDATE pauses SET part = ?, reason = ?, run_id = ? WHERE sync = ?", ct, part, reason, runId, sync) > 0)
            return false;
        await c.ExecuteAsync("INSERT INTO pauses (sync, part, reason, since, run_id) VALUES (?, ?, ?, ?, ?)", ct, sync, part, reason, Now, runId);
        return true;
    }, ct);

    public Task<bool> StillBrokenAsync(string sync, string? part, string reason, CancellationToken ct = default) => history.SessionAsync(async c =>
        await c.ExecuteAsync("UPDATE pauses SET part = coalesce(?, part), reason = ?, checked_at = ? WHERE sync = ?", ct, part, reason, Now, sync) > 0, ct);

    public Task<bool> ResumeAsync(string sync, CancellationToken ct = default) => history.SessionAsync(async c =>
        await c.ExecuteAsync("DELETE FROM pauses WHERE sync = ?", ct, sync) > 0, ct);

    /// <summary>The statement creating the table (idempotent), run with the history's schema.</summary>
    internal const string CreateTableSql = """
        CREATE TABLE IF NOT EXISTS pauses (
            sync VARCHAR PRIMARY KEY, part VARCHAR NOT NULL, reason VARCHAR NOT NULL, since TIMESTAMP NOT NULL, run_id BIGINT,
            checked_at TIMESTAMP);
        """;
}

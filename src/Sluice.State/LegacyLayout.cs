using DuckDB.NET.Data;

namespace Sluice.State;

/// <summary>
/// Moves the ledgers of the older one-file layout (every sync's ledger, journal, writes in doubt and created ids in
/// <c>state.duckdb</c>, batches numbered run × 10,000,000 + n) into one file per sync, keeping every entry: an upgrade
/// never resends what was delivered, and never forgets a write in doubt. Idempotent: an upgrade stopped halfway redoes
/// the copy from the tables it has not dropped yet.
/// </summary>
internal static class LegacyLayout
{
    private const long OldBatchesPerRun = 10_000_000;

    public static async Task<bool> MoveLedgersOutAsync(DuckDBConnection history, Func<string, string> syncFile, DateTime now, CancellationToken ct)
    {
        var tables = new HashSet<string>(StringComparer.Ordinal);
        await using (var command = history.CreateCommand())
        {
            command.CommandText = "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main'";
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
                tables.Add(reader.GetString(0));
        }
        string[] perSync = ["journal", "in_doubt", "created_ids"];
        if (!tables.Overlaps(perSync) && !tables.Contains("intents") && !tables.Any(t => t.StartsWith("ledger_", StringComparison.Ordinal)))
            return false;

        foreach (var table in perSync.Where(t => !tables.Contains(t)))
        {
            // Each older version had a subset; the copy below reads all three.
            await history.ExecuteAsync(table switch
            {
                "journal" => "CREATE TABLE journal (sync VARCHAR, key VARCHAR, hash UBIGINT, dest_id VARCHAR, delivered_at TIMESTAMP, deleted BOOLEAN, seq BIGINT)",
                "in_doubt" => "CREATE TABLE in_doubt (sync VARCHAR, key VARCHAR, op VARCHAR, match_value VARCHAR, hash UBIGINT, run_id BIGINT, seq BIGINT)",
                _ => "CREATE TABLE created_ids (sync VARCHAR, key VARCHAR, dest_id VARCHAR)",
            }, ct);
        }
        if (tables.Contains("intents"))
        {
            // The oldest layout kept insert intents only: they are creates in doubt.
            await history.ExecuteAsync("""
                INSERT INTO in_doubt SELECT sync, key, 'create', any_value(match_value), max(hash), max(run_id), max(seq)
                FROM intents GROUP BY sync, key;
                DROP TABLE intents;
                """, ct);
        }

        var syncs = new List<string>();
        await using (var command = history.CreateCommand())
        {
            command.CommandText = """
                SELECT DISTINCT sync FROM (
                    SELECT sync FROM journal UNION ALL SELECT sync FROM in_doubt UNION ALL SELECT sync FROM created_ids
                    UNION ALL SELECT sync FROM runs)
                """;
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
                syncs.Add(reader.GetString(0));
        }

        var moved = new List<string>();
        foreach (var sync in syncs)
        {
            var ledger = Sql.LedgerTable(sync);
            var s = Sql.Literal(sync);
            await history.ExecuteAsync($"ATTACH {Sql.Literal(syncFile(sync))} AS legacy_target", ct);
            try
            {
                await history.ExecuteAsync($"""
                    CREATE OR REPLACE TABLE legacy_target.main.ledger AS
                    {(tables.Contains(ledger)
                        ? $"SELECT key, hash, dest_id, delivered_at FROM main.{Sql.Ident(ledger)}"
                        : "SELECT NULL::VARCHAR AS key, NULL::UBIGINT AS hash, NULL::VARCHAR AS dest_id, NULL::TIMESTAMP AS delivered_at WHERE FALSE")};
                    CREATE OR REPLACE TABLE legacy_target.main.journal AS
                    SELECT key, hash, dest_id, delivered_at, deleted, (seq // {OldBatchesPerRun})::BIGINT AS run_id,
                           (seq % {OldBatchesPerRun})::INTEGER AS batch
                    FROM main.journal WHERE sync = {s};
                    CREATE OR REPLACE TABLE legacy_target.main.in_doubt AS
                    SELECT key, op, match_value, hash, (seq // {OldBatchesPerRun})::BIGINT AS run_id, (seq % {OldBatchesPerRun})::INTEGER AS batch
                    FROM main.in_doubt WHERE sync = {s};
                    CREATE OR REPLACE TABLE legacy_target.main.created_ids AS SELECT key, dest_id FROM main.created_ids WHERE sync = {s};
                    """, ct);
            }
            finally
            {
                await history.ExecuteAsync("DETACH legacy_target", ct);
            }
            if (tables.Contains(ledger))
                moved.Add(ledger);
        }

        // The older layout was held by one process at a time: a run it left running is one whose process died.
        await DuckDbRunHistory.MarkInterruptedAsync(history, "holder IS NULL", now, ct);

        // Only once every sync's file is written: a stop before this line redoes the copy next time.
        await history.ExecuteAsync(
            string.Join("; ", moved.Concat(perSync).Select(t => $"DROP TABLE IF EXISTS main.{Sql.Ident(t)}")), ct);
        return true;
    }
}

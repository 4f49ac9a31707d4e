using System.Security.Cryptography;
using System.Text;
using DuckDB.NET.Data;
using Sluice.Core.Models;
using Sluice.Core.State;
using Sluice.Engine.Tests.Support;
using Sluice.State;

namespace Sluice.Engine.Tests;

/// <summary>
/// A project whose state was written by the one-file layout (every sync's ledger, journal and writes in doubt in
/// state.duckdb, batches numbered run × 10,000,000 + n) keeps everything when it is upgraded.
/// </summary>
public sealed class LegacyLayoutTests
{
    private static IEnumerable<Row> People(int count) =>
        Enumerable.Range(1, count).Select(i => new Row(i, $"user{i}@example.com", $"name{i}", i, "n"));

    /// <summary>The one-file layout's name of a sync's ledger table.</summary>
    private static string OldLedgerTable(string sync)
    {
        var safe = new string(sync.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '_').ToArray());
        return $"ledger_{safe}_{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sync)))[..8]}";
    }

    private static async Task ExecuteAsync(DuckDBConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task An_upgrade_keeps_every_ledger_entry_journal_entry_and_write_in_doubt()
    {
        await using var project = await TestProject.CreateAsync();
        var destination = new CollectingDestination();
        var sync = TestProject.Sync(SyncMode.Upsert);
        await project.WriteModelAsync(People(6));
        Assert.True((await project.RunAsync(sync, destination)).Succeeded);

        // Rewrite the state as the one-file layout held it: the ledger (keys 1-4), the journal of a run that died before
        // folding (key 5 delivered, key 6 deleted... then re-added by the model), and key 2's upsert in doubt.
        var folder = Path.Combine(project.Directory, ".sluice");
        var syncs = Path.Combine(folder, "syncs");
        var ledgerFile = Assert.Single(Directory.GetFiles(syncs, "*.duckdb"));
        await using (var connection = new DuckDBConnection($"Data Source={Path.Combine(folder, "state.duckdb")}"))
        {
            await connection.OpenAsync();
            var table = OldLedgerTable(sync.Name);
            await ExecuteAsync(connection, $"""
                ATTACH '{ledgerFile}' AS current_layout (READ_ONLY);
                CREATE TABLE "{table}" AS SELECT * FROM current_layout.main.ledger WHERE key::VARCHAR IN ('1', '2', '3', '4');
                CREATE TABLE journal (sync VARCHAR, key VARCHAR, hash UBIGINT, dest_id VARCHAR, delivered_at TIMESTAMP, deleted BOOLEAN, seq BIGINT);
                INSERT INTO journal SELECT '{sync.Name}', key::VARCHAR, hash, dest_id, delivered_at, FALSE, 10000002
                    FROM current_layout.main.ledger WHERE key::VARCHAR = '5';
                CREATE TABLE in_doubt (sync VARCHAR, key VARCHAR, op VARCHAR, match_value VARCHAR, hash UBIGINT, run_id BIGINT, seq BIGINT);
                INSERT INTO in_doubt SELECT '{sync.Name}', '2', 'upsert', 'user2@example.com', hash, 1, 10000003
                    FROM current_layout.main.ledger WHERE key::VARCHAR = '2';
                CREATE TABLE created_ids (sync VARCHAR, key VARCHAR, dest_id VARCHAR);
                DETACH current_layout;
                """);
        }
        Directory.Delete(syncs, recursive: true);

        await using var upgraded = await EmbeddedState.OpenAsync(project.Directory);
        await using (var ledger = await upgraded.ClaimAsync(sync.Name))
        {
            Assert.Equal(1, await ledger.InDoubtCountAsync());
            await using var plan = await new Planner().PlanAsync(
                (await project.RequestAsync(sync, destination)).ToPlanRequest(fullResync: false), ledger);
            var t = plan.Totals;
            // 1-5 are known (5 from the journal); 2 is planned again because its write was in doubt; 6 was never kept.
            Assert.Equal((5L, 1L, 1L, 4L, 1L), (t.LedgerSize, t.Added, t.Changed, t.Unchanged, t.InDoubt));
        }
        await using (var connection = new DuckDBConnection($"Data Source={Path.Combine(folder, "state.duckdb")}"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT count(*) FROM duckdb_tables() WHERE table_name NOT IN ('runs', 'rejected', 'pauses')";
            Assert.Equal(0L, Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
        }
        Assert.Single(await upgraded.Runs.HistoryAsync(sync.Name), r => r.Status == RunStatus.Succeeded);
    }
}

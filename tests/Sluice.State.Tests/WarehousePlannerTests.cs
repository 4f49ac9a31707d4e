using Npgsql;
using Sluice.Core.Sources;
using Sluice.EndToEnd.Tests.Support;
using Sluice.Sources.Postgres;
using Sluice.State.Postgres.Warehouse;

namespace Sluice.State.Tests;

/// <summary>The warehouse planner's place in the source's database: where its ledgers go, and a role that may not put them there.</summary>
public sealed class WarehousePlannerTests(PostgresServer server)
{
    [Fact]
    public async Task A_role_that_may_not_create_the_schema_is_told_both_ways_out_without_its_password()
    {
        var database = await server.CreateDatabaseAsync("wh");
        var role = "reader_" + Guid.NewGuid().ToString("N")[..8];
        const string password = "reader-pass-93b1";
        await server.ExecuteAsync($"CREATE ROLE {role} LOGIN PASSWORD '{password}'; GRANT CONNECT ON DATABASE {database} TO {role}");
        var connection = new NpgsqlConnectionStringBuilder(server.ConnectionString(database)) { Username = role, Password = password }.ConnectionString;
        await using var source = new PostgresSource("crm_db", connection, w => new WarehousePlanner(w));

        var e = await Assert.ThrowsAsync<SourceException>(() => source.Planner!.OpenLedgerAsync("people"));

        Assert.Contains("Source 'crm_db' plans in the warehouse", e.Message, StringComparison.Ordinal);
        Assert.Contains("schema 'sluice'", e.Message, StringComparison.Ordinal);
        Assert.Contains("planner: local", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(password, e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_ledgers_go_to_the_schema_the_source_names_and_a_second_claim_names_the_holder()
    {
        var database = await server.CreateDatabaseAsync("wh");
        await using var source = new PostgresSource("crm_db", server.ConnectionString(database), w => new WarehousePlanner(w), "sync_state");
        await using var other = new PostgresSource("crm_db", server.ConnectionString(database), w => new WarehousePlanner(w), "sync_state");

        await using var ledger = (await source.Planner!.OpenLedgerAsync("people"))!;
        var busy = await Assert.ThrowsAsync<Sluice.Core.State.SyncBusyException>(() => other.Planner!.OpenLedgerAsync("people"));

        Assert.Contains("people", busy.Message, StringComparison.Ordinal);
        await using var check = new NpgsqlConnection(server.ConnectionString(database));
        await check.OpenAsync();
        await using var tables = new NpgsqlCommand(
            "SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables WHERE table_schema = 'sync_state'", check);
        Assert.Contains("ledger", (string)(await tables.ExecuteScalarAsync())!, StringComparison.Ordinal);
    }
}

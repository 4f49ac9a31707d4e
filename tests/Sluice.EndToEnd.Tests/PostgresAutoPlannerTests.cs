using Npgsql;
using Sluice.EndToEnd.Tests.Support;

namespace Sluice.EndToEnd.Tests;

/// <summary>
/// <c>planner: auto</c>, the PostgreSQL source's default, through the <c>sluice</c> binary: a new sync is planned in the
/// warehouse when the role may create the ledger schema, else locally, and a sync keeps the planner whose ledger
/// already holds its deliveries (a switch would send every row again).
/// </summary>
public sealed class PostgresAutoPlannerTests(PostgresServer server) : IClassFixture<PostgresServer>
{
    private const string Sync = "customers-to-iterable";

    private static long Count(SluiceResult run, string name) => run.Json["runs"]![0]!["counts"]![name]!.GetValue<long>();

    private static async Task WriteProjectAsync(IterableProject project, string url, string? planner)
    {
        var yaml = IterableProject.ProjectFile("upsert");
        var source = "type: postgres\n    connection: ${CRM_DB_URL}" + (planner is null ? "" : $"\n    planner: {planner}");
        await File.WriteAllTextAsync(Path.Combine(project.Directory, "sluice.yaml"),
            yaml.Replace("type: duckdb\n    path: warehouse.duckdb", source, StringComparison.Ordinal));
        var env = Path.Combine(project.Directory, ".env");
        var lines = (await File.ReadAllLinesAsync(env)).Where(l => !l.StartsWith("CRM_DB_URL=", StringComparison.Ordinal));
        await File.WriteAllLinesAsync(env, [.. lines, $"CRM_DB_URL={url}"]);
    }

    private async Task<string> CustomersAsync()
    {
        var database = await server.CreateDatabaseAsync("auto");
        await server.ExecuteAsync("""
            create table customers (customer_id bigint primary key, email text, first_name text, plan text, seats integer, note text);
            insert into customers select i, 'c' || i || '@example.com', 'First' || i, 'free', i, '' from generate_series(1, 60) i;
            """, database);
        return database;
    }

    /// <summary>Rows of the sync in the warehouse ledger's schema <c>sluice</c>; null when the schema was never created.</summary>
    private async Task<long?> WarehouseLedgerRowsAsync(string database)
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString(database));
        await connection.OpenAsync();
        await using var exists = new NpgsqlCommand("SELECT to_regclass('sluice.ledger') IS NOT NULL", connection);
        if (!(bool)(await exists.ExecuteScalarAsync())!)
            return null;
        await using var count = new NpgsqlCommand($"SELECT count(*) FROM sluice.ledger WHERE sync = '{Sync}'", connection);
        return (long)(await count.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task A_new_sync_is_planned_in_the_warehouse_when_the_role_may_create_the_schema()
    {
        await using var project = await IterableProject.CreateAsync("upsert");
        var database = await CustomersAsync();
        await WriteProjectAsync(project, server.Url(database), planner: null);

        var run = await project.SluiceAsync("run", Sync, "--json");
        await server.ExecuteAsync("update customers set first_name = 'Renamed' where customer_id = 3", database);
        var second = await project.SluiceAsync("run", Sync, "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(60, Count(run, "delivered"));
        Assert.Equal(60, await WarehouseLedgerRowsAsync(database));
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Equal(1, Count(second, "delivered"));
    }

    [Fact]
    public async Task A_sync_delivered_by_the_local_planner_stays_local_under_auto()
    {
        await using var project = await IterableProject.CreateAsync("upsert");
        var database = await CustomersAsync();
        await WriteProjectAsync(project, server.Url(database), planner: "local");
        var local = await project.SluiceAsync("run", Sync, "--json");
        Assert.True(local.ExitCode == 0, local.ToString());

        await WriteProjectAsync(project, server.Url(database), planner: null);
        var received = project.UsersReceived;
        var auto = await project.SluiceAsync("run", Sync, "--json");

        Assert.True(auto.ExitCode == 0, auto.ToString());
        Assert.Equal(0, Count(auto, "planned"));
        Assert.Equal(60, Count(auto, "unchanged"));
        Assert.Equal(received, project.UsersReceived);
        Assert.Null(await WarehouseLedgerRowsAsync(database));
    }

    [Fact]
    public async Task A_role_that_may_not_create_the_schema_is_planned_locally_and_nothing_is_written_to_its_database()
    {
        await using var project = await IterableProject.CreateAsync("upsert");
        var database = await CustomersAsync();
        var role = "reader_" + Guid.NewGuid().ToString("N")[..8];
        await server.ExecuteAsync($"""
            CREATE ROLE {role} LOGIN PASSWORD 'reader-pw';
            GRANT CONNECT ON DATABASE {database} TO {role};
            GRANT SELECT ON customers TO {role};
            """, database);
        await WriteProjectAsync(project, $"postgres://{role}:reader-pw@127.0.0.1:{server.Port}/{database}", planner: null);

        var run = await project.SluiceAsync("run", Sync, "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(60, Count(run, "delivered"));
        Assert.Null(await WarehouseLedgerRowsAsync(database));
    }
}

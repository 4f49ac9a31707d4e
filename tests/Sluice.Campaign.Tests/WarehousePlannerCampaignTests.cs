using Npgsql;
using Sluice.EndToEnd.Tests.Support;

namespace Sluice.Campaign.Tests;

/// <summary>
/// The crash campaign with the model in PostgreSQL, planned by the warehouse planner (<c>--source postgres</c>): the
/// diff runs in the database and each acknowledged batch is committed to the ledger there, while the real
/// <c>sluice</c> binary is SIGKILLed at random moments; nothing lost, duplicated or stale, and a mirror deletes only
/// what left the model.
/// </summary>
public sealed class WarehousePlannerCampaignTests(ITestOutputHelper output, PostgresServer server) : IClassFixture<PostgresServer>
{
    [Theory]
    [InlineData("iterable", null, 12, 100)]
    [InlineData("actito", "mirror", 8, 60)]
    public async Task Killed_runs_planned_in_the_warehouse_lose_duplicate_and_leave_nothing_stale(string destination, string? mode, int kills, int rows)
    {
        var database = await server.CreateDatabaseAsync("warehouse");
        var results = await CampaignRun.RunAsync(output, new CampaignOptions
        {
            Kind = CampaignKind.Crash,
            Seed = CampaignRun.Seed,
            Destination = destination,
            Mode = mode,
            Kills = kills,
            Rows = rows,
            SourceUrl = server.Url(database),
        });

        Assert.Equal(kills, results.Sum(r => r.Kills));
        Assert.All(results, CampaignRun.AssertClean);
        // The ledgers are the warehouse's: one per case, beside its model, holding every row delivered.
        await using var connection = new NpgsqlConnection(server.ConnectionString(database));
        await connection.OpenAsync();
        var schemas = new List<string>();
        await using (var query = new NpgsqlCommand("SELECT table_schema FROM information_schema.tables WHERE table_name = 'ledger' AND table_schema LIKE 'campaign%'", connection))
        await using (var reader = await query.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
                schemas.Add(reader.GetString(0));
        }
        Assert.Equal(results.Count, schemas.Count);
        foreach (var schema in schemas)
        {
            await using var count = new NpgsqlCommand($"SELECT count(*) FROM {schema}.ledger", connection);
            Assert.True((long)(await count.ExecuteScalarAsync())! > 0, $"{schema}.ledger is empty");
        }
    }
}

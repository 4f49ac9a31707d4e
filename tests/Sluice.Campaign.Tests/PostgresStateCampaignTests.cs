using Sluice.EndToEnd.Tests.Support;

namespace Sluice.Campaign.Tests;

/// <summary>
/// The crash campaign with the state in PostgreSQL (<c>--state postgres</c>): the real <c>sluice</c> binary SIGKILLed at
/// random moments while its ledger, writes in doubt and claims live in a real server; nothing lost, duplicated or stale.
/// </summary>
public sealed class PostgresStateCampaignTests(ITestOutputHelper output, PostgresServer server) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task Killed_runs_on_the_postgres_state_lose_duplicate_and_leave_nothing_stale()
    {
        var database = await server.CreateDatabaseAsync("campaign");
        var url = server.Url(database);
        var results = await CampaignRun.RunAsync(output, new CampaignOptions
        {
            Kind = CampaignKind.Crash,
            Seed = CampaignRun.Seed,
            Destination = "iterable",
            Kills = 12,
            Rows = 100,
            StateUrl = url,
        });

        Assert.Equal(12, results.Sum(r => r.Kills));
        Assert.All(results, CampaignRun.AssertClean);
        // The runs were recorded in PostgreSQL, not in the case folders.
        await using var connection = new Npgsql.NpgsqlConnection(server.ConnectionString(database));
        await connection.OpenAsync();
        var runs = 0L;
        await using (var schemas = new Npgsql.NpgsqlCommand("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'campaign%'", connection))
        {
            var names = new List<string>();
            await using (var reader = await schemas.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                    names.Add(reader.GetString(0));
            }
            Assert.Equal(results.Count, names.Count);
            foreach (var name in names)
                runs += (long)(await new Npgsql.NpgsqlCommand($"SELECT count(*) FROM {name}.runs", connection).ExecuteScalarAsync())!;
        }
        // A run killed before it started is not recorded; every other one is.
        Assert.InRange(runs, results.Sum(r => r.CleanRuns), results.Sum(r => r.Runs));
    }
}

using System.Text.Json.Nodes;
using Sluice.Emulators.Iterable;
using Sluice.EndToEnd.Tests.Support;

namespace Sluice.EndToEnd.Tests;

/// <summary>
/// The `sluice` binary with a PostgreSQL model (a real server started for this class), planned by the embedded planner
/// (rows streamed into DuckDB) and delivered to the Iterable and Actito emulators, in every mode.
/// </summary>
public sealed class PostgresSourceTests(PostgresServer server) : IClassFixture<PostgresServer>
{
    private static long Count(SluiceResult run, string name) => run.Json["runs"]![0]!["counts"]![name]!.GetValue<long>();

    /// <summary>The emulator project's sluice.yaml, its source turned into the postgres database <paramref name="database"/>.</summary>
    /// <param name="planner">Where the diff is computed: local (streamed into DuckDB) or warehouse (inside PostgreSQL).</param>
    private async Task UsePostgresAsync(string directory, string yaml, string database, string planner = "local")
    {
        Assert.Contains("type: duckdb\n    path: warehouse.duckdb", yaml, StringComparison.Ordinal);
        await File.WriteAllTextAsync(Path.Combine(directory, "sluice.yaml"),
            yaml.Replace("type: duckdb\n    path: warehouse.duckdb", $"type: postgres\n    connection: ${{CRM_DB_URL}}\n    planner: {planner}",
                StringComparison.Ordinal));
        await File.AppendAllTextAsync(Path.Combine(directory, ".env"), $"CRM_DB_URL={server.Url(database)}\n");
    }

    private void NoSecret(params SluiceResult[] runs) =>
        Assert.All(runs, r => Assert.DoesNotContain(server.Password, r.Stdout + r.Stderr, StringComparison.Ordinal));

    private async Task<string> CustomersAsync(int count)
    {
        var database = await server.CreateDatabaseAsync("e2e");
        await server.ExecuteAsync($"""
            create table customers (customer_id bigint primary key, email text, first_name varchar(40), plan text, seats integer, note text);
            insert into customers
              select i, 'c' || i || '@example.com', 'First' || i, case when i % 3 = 0 then 'pro' else 'free' end, i, ''
              from generate_series(1, {count}) i;
            """, database);
        return database;
    }

    [Theory]
    [InlineData("local")]
    [InlineData("warehouse")]
    public async Task Upsert_sends_every_row_then_only_the_changed_ones_once_then_nothing(string planner)
    {
        await using var project = await IterableProject.CreateAsync("upsert");
        var database = await CustomersAsync(120);
        await UsePostgresAsync(project.Directory, IterableProject.ProjectFile("upsert"), database, planner);

        var first = await project.SluiceAsync("run", "customers-to-iterable", "--json");
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal(120, Count(first, "delivered"));
        Assert.Equal(120, project.Emulator.UserCount);
        var user = await project.GetUserAsync("c42@example.com");
        Assert.Equal("First42", user!["dataFields"]!["firstName"]!.GetValue<string>());
        Assert.Equal(42, user["dataFields"]!["seats"]!.GetValue<long>());

        await server.ExecuteAsync("""
            update customers set first_name = 'Renamed' where customer_id = 7;
            update customers set note = 'unmapped column' where customer_id = 8;
            insert into customers values (500, 'new@example.com', 'New', 'pro', 1, '');
            """, database);
        var before = project.UsersReceived;
        var plan = await project.SluiceAsync("plan", "customers-to-iterable", "--json");
        var second = await project.SluiceAsync("run", "customers-to-iterable", "--json");
        var afterSecond = project.UsersReceived;
        var third = await project.SluiceAsync("run", "customers-to-iterable", "--json");

        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Equal(1, plan.Json["counts"]!["added"]!.GetValue<long>());
        Assert.Equal(1, plan.Json["counts"]!["changed"]!.GetValue<long>());
        Assert.Equal(2, Count(second, "delivered"));
        Assert.Equal(2, afterSecond - before);
        Assert.Equal("Renamed", (await project.GetUserAsync("c7@example.com"))!["dataFields"]!["firstName"]!.GetValue<string>());
        Assert.Equal(0, third.ExitCode);
        Assert.Equal(0, Count(third, "planned"));
        Assert.Equal(121, Count(third, "unchanged"));
        Assert.Equal(afterSecond, project.UsersReceived);
        NoSecret(first, plan, second, third);
    }

    [Theory]
    [InlineData("local")]
    [InlineData("warehouse")]
    public async Task A_segment_of_a_table_model_sends_only_the_rows_its_filter_keeps(string planner)
    {
        await using var project = await IterableProject.CreateAsync("upsert");
        var database = await CustomersAsync(30);
        var yaml = IterableProject.ProjectFile("upsert")
            .Replace("sql: select customer_id, email, first_name, plan, seats, note from customers",
                "table: public.customers\n  pros:\n    model: customers\n    filter: plan = 'pro' and seats > 3", StringComparison.Ordinal)
            .Replace("model: customers\n    destination", "model: pros\n    destination", StringComparison.Ordinal);
        await UsePostgresAsync(project.Directory, yaml, database, planner);

        var run = await project.SluiceAsync("run", "customers-to-iterable", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(9, Count(run, "delivered"));
        Assert.NotNull(await project.GetUserAsync("c6@example.com"));
        Assert.Null(await project.GetUserAsync("c3@example.com"));
        Assert.Null(await project.GetUserAsync("c7@example.com"));
    }

    [Theory]
    [InlineData("local")]
    [InlineData("warehouse")]
    public async Task Update_updates_the_users_iterable_has_and_reports_the_others_as_not_found(string planner)
    {
        await using var project = await IterableProject.CreateAsync("update");
        project.Emulator.SeedUsers(Enumerable.Range(1, 3).Select(i => new IterableSeedUser($"c{i}@example.com", null, new JsonObject { ["firstName"] = "Old" })));
        var database = await CustomersAsync(8);
        await UsePostgresAsync(project.Directory, IterableProject.ProjectFile("update"), database, planner);

        var run = await project.SluiceAsync("run", "customers-to-iterable", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(3, Count(run, "delivered"));
        Assert.Equal(5, Count(run, "notFound"));
        Assert.Equal(3, project.Emulator.UserCount);
        Assert.Equal("First2", (await project.GetUserAsync("c2@example.com"))!["dataFields"]!["firstName"]!.GetValue<string>());
    }

    private async Task<string> ActitoCustomersAsync(int count)
    {
        var database = await server.CreateDatabaseAsync("e2e");
        await server.ExecuteAsync($"""
            create table customers (customer_id bigint, email text, first_name text, plan text, seats bigint, ltv numeric(10,2),
                                    active boolean, signup_date date, note text);
            insert into customers
              select i, 'c' || i || '@example.com', 'First' || i, case when i % 3 = 0 then 'pro' else 'free' end, i, i * 10.25,
                     i % 2 = 0, date '2024-01-01' + i, ''
              from generate_series(1, {count}) i;
            """, database);
        return database;
    }

    [Theory]
    [InlineData("local")]
    [InlineData("warehouse")]
    public async Task Insert_creates_the_added_rows_with_their_typed_values_and_never_touches_them_again(string planner)
    {
        await using var project = await ActitoProject.CreateAsync("insert");
        var database = await ActitoCustomersAsync(10);
        await UsePostgresAsync(project.Directory, ActitoProject.ProjectFile("insert"), database, planner);

        var run = await project.SluiceAsync("run", ActitoProject.Sync, "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(10, Count(run, "delivered"));
        var profile = (await project.GetCustomerAsync(4))!;
        Assert.Equal("First4", profile["firstName"]);
        Assert.Equal(41m, ActitoProject.Number(profile["lifetimeValue"]));
        Assert.Equal("true", profile["isActive"]);
        Assert.StartsWith("2024-01-05", profile["signupDate"], StringComparison.Ordinal);

        await server.ExecuteAsync("update customers set first_name = 'Changed' where customer_id = 4; " +
            "insert into customers values (11, 'c11@example.com', 'First11', 'free', 11, 1.5, true, date '2024-03-01', '')", database);
        var again = await project.SluiceAsync("run", ActitoProject.Sync, "--json");
        var still = await project.SluiceAsync("run", ActitoProject.Sync, "--json");

        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(1, Count(again, "added"));
        Assert.Equal(1, Count(again, "delivered"));
        Assert.Equal("First4", (await project.GetCustomerAsync(4))!["firstName"]);
        Assert.Equal(11, (await project.StatsAsync())["profilesCreated"]!.GetValue<long>());
        Assert.Equal(0, Count(still, "delivered"));
        Assert.Equal(0, (await project.StatsAsync())["profilesUpdated"]!.GetValue<long>());
        NoSecret(run, again, still);
    }

    [Theory]
    [InlineData("local")]
    [InlineData("warehouse")]
    public async Task Mirror_deletes_exactly_the_rows_deleted_from_the_postgres_table(string planner)
    {
        await using var project = await ActitoProject.CreateAsync("mirror");
        var database = await ActitoCustomersAsync(40);
        await UsePostgresAsync(project.Directory, ActitoProject.ProjectFile("mirror"), database, planner);
        Assert.Equal(0, (await project.SluiceAsync("run", ActitoProject.Sync)).ExitCode);

        await server.ExecuteAsync("delete from customers where customer_id in (5, 17, 33)", database);
        var run = await project.SluiceAsync("run", ActitoProject.Sync, "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(3, Count(run, "deleted"));
        Assert.Equal(0, Count(run, "delivered"));
        var profiles = await project.ListProfilesAsync();
        Assert.Equal(37, profiles.Count);
        Assert.DoesNotContain("C-17", profiles.Keys);
    }

    [Fact]
    public async Task A_query_error_exits_2_with_postgres_message_its_place_in_the_sql_and_no_password()
    {
        await using var project = await IterableProject.CreateAsync("upsert");
        var database = await CustomersAsync(3);
        var yaml = IterableProject.ProjectFile("upsert").Replace("first_name, plan", "frist_name as first_name, plan", StringComparison.Ordinal);
        await UsePostgresAsync(project.Directory, yaml, database);

        var plan = await project.SluiceAsync("plan", "customers-to-iterable");

        Assert.Equal(2, plan.ExitCode);
        Assert.Contains("Model 'customers'", plan.Stderr, StringComparison.Ordinal);
        Assert.Contains("Source 'warehouse': the model's SQL failed: column \"frist_name\" does not exist", plan.Stderr, StringComparison.Ordinal);
        Assert.Contains("at line 1, column 28 of the model's SQL", plan.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", plan.Stderr, StringComparison.Ordinal);
        NoSecret(plan);
    }

    [Fact]
    public async Task A_wrong_password_fails_the_run_naming_the_source_without_printing_either_password()
    {
        await using var project = await IterableProject.CreateAsync("upsert");
        var database = await CustomersAsync(3);
        await UsePostgresAsync(project.Directory, IterableProject.ProjectFile("upsert"), database);
        var env = Path.Combine(project.Directory, ".env");
        await File.WriteAllTextAsync(env, (await File.ReadAllTextAsync(env)).Replace(server.Password, "wrong-password-123", StringComparison.Ordinal));

        var run = await project.SluiceAsync("run", "customers-to-iterable");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("Source 'warehouse': PostgreSQL at 127.0.0.1:", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("refused the login", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-password-123", run.Stdout + run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, project.Emulator.UserCount);
    }
}

using System.Text.Json.Nodes;
using DuckDB.NET.Data;
using Sluice.Emulators.Iterable;
using Sluice.EndToEnd.Tests.Support;

namespace Sluice.EndToEnd.Tests;

/// <summary>
/// The `sluice` binary against the Iterable emulator behaving as the real service does: every DuckDB column type
/// reaching Iterable in a form it takes, email changes, and reads that lag behind writes.
/// </summary>
public sealed class IterableRealBehaviourTests
{
    private static long Count(SluiceResult run, string name) => run.Json["runs"]![0]!["counts"]![name]!.GetValue<long>();

    private static async Task ExecAsync(IterableProject project, string sql)
    {
        await using var connection = new DuckDBConnection($"Data Source={Path.Combine(project.Directory, "warehouse.duckdb")}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    private static string TypesProject(string mappings) => $$"""
        sources:
          warehouse:
            type: duckdb
            path: warehouse.duckdb
        models:
          things:
            source: warehouse
            kind: user
            primary_key: id
            sql: select * from things
        destinations:
          iterable:
            type: iterable
            api_key: ${ITERABLE_API_KEY}
            base_url: ${ITERABLE_BASE_URL}
        syncs:
          things-to-iterable:
            model: things
            destination: iterable
            mode: upsert
            match: { column: email, field: email }
            mappings:
        {{mappings}}
        """;

    [Fact]
    public async Task Every_duckdb_column_type_reaches_iterable_as_a_value_it_takes()
    {
        await using var project = await IterableProject.CreateAsync();
        await ExecAsync(project, """
            CREATE TABLE things AS SELECT
              1 AS id, 'a@example.com' AS email,
              [1, 2, 3]::INTEGER[] AS ints,
              ['x', 'y']::VARCHAR[] AS words,
              {'plan': 'pro', 'seats': 4} AS info,
              MAP {'k1': 10, 'k2': 20} AS counts,
              '\x41\x42\x43'::BLOB AS raw,
              INTERVAL '1 year 2 months 3 days 04:05:06.5' AS span,
              INTERVAL '90 minutes' AS short_span,
              '2024-05-06 07:08:09+00'::TIMESTAMPTZ AS at_tz,
              '12:34:56'::TIME AS at_time,
              123456789012345678901234567890::HUGEINT AS huge,
              12.5::DECIMAL(10, 2) AS price,
              'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::UUID AS uid,
              [[1, 2], [3]]::INTEGER[][] AS nested,
              [1, 2, 3]::INTEGER[3] AS fixed
            """);
        await project.WriteProjectFileAsync(TypesProject("""
                  ints: ints
                  words: words
                  info: info
                  counts: counts
                  raw: raw
                  span: span
                  short_span: shortSpan
                  at_tz: atTz
                  at_time: atTime
                  huge: huge
                  price: price
                  uid: uid
                  nested: nested
                  fixed: fixed
            """));

        var run = await project.SluiceAsync("run", "things-to-iterable", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(1, Count(run, "delivered"));
        var fields = (await project.GetUserAsync("a@example.com"))!["dataFields"]!.AsObject();
        Assert.Equal("[1,2,3]", fields["ints"]!.ToJsonString());
        Assert.Equal("[\"x\",\"y\"]", fields["words"]!.ToJsonString());
        Assert.Equal("pro", fields["info"]!["plan"]!.GetValue<string>());
        Assert.Equal(4, fields["info"]!["seats"]!.GetValue<long>());
        Assert.Equal(20, fields["counts"]!["k2"]!.GetValue<long>());
        Assert.Equal("QUJD", fields["raw"]!.GetValue<string>());
        Assert.Equal("P1Y2M3DT4H5M6.5S", fields["span"]!.GetValue<string>());
        Assert.Equal("PT1H30M", fields["shortSpan"]!.GetValue<string>());
        Assert.Equal("2024-05-06 07:08:09 +00:00", fields["atTz"]!.GetValue<string>());
        Assert.Equal("12:34:56", fields["atTime"]!.GetValue<string>());
        Assert.Equal("12.50", fields["price"]!.ToJsonString());
        Assert.Equal("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", fields["uid"]!.GetValue<string>());
        Assert.Equal("[[1,2],[3]]", fields["nested"]!.ToJsonString());
        Assert.Equal("[1,2,3]", fields["fixed"]!.ToJsonString());
        Assert.Equal("123456789012345678901234567890", fields["huge"]!.GetValue<string>()); // beyond decimal: its digits
        Assert.DoesNotContain("System.", fields.ToJsonString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(IterableProjectType.Email, "upsert")]
    [InlineData(IterableProjectType.Hybrid, "upsert")]
    [InlineData(IterableProjectType.Email, "update")]
    public async Task A_changed_email_updates_the_existing_user_even_while_reads_lag(IterableProjectType type, string mode)
    {
        // Reads lag an hour behind writes: nothing the first run wrote is visible to a lookup in the second.
        await using var project = await IterableProject.CreateAsync(mode, new IterableEmulatorOptions
        {
            ProjectType = type,
            ReadAfterWriteDelay = TimeSpan.FromHours(1),
        });
        var customers = IterableProject.Customers(20);
        if (mode == "update")
            project.Emulator.SeedUsers(customers.Select(c => new IterableSeedUser(c.Email)));
        await project.WriteCustomersAsync(customers);
        var first = await project.SluiceAsync("run", "customers-to-iterable", "--json");
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal(20, Count(first, "delivered"));

        customers[4] = customers[4] with { Email = "renamed5@example.com", Plan = "enterprise" };
        customers[7] = customers[7] with { Plan = "team" };
        await project.WriteCustomersAsync(customers);
        var second = await project.SluiceAsync("run", "customers-to-iterable", "--json");

        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Equal(2, Count(second, "delivered"));
        Assert.Equal(0, Count(second, "notFound"));
        Assert.Equal(20, project.Emulator.UserCount); // no second profile for customer 5
        Assert.False(project.Emulator.TryGetUser("c5@example.com", out _));
        Assert.True(project.Emulator.TryGetUser("renamed5@example.com", out var renamed));
        Assert.Equal("enterprise", renamed.DataFields["plan"]!.GetValue<string>());
        Assert.Equal("First5", renamed.DataFields["firstName"]!.GetValue<string>());
    }

    [Fact]
    public async Task Two_model_rows_with_one_email_deliver_the_first_and_reject_the_other_naming_its_key()
    {
        await using var project = await IterableProject.CreateAsync();
        var customers = IterableProject.Customers(5);
        customers[3] = customers[3] with { Email = "C2@example.com" };
        await project.WriteCustomersAsync(customers);

        var run = await project.SluiceAsync("run", "customers-to-iterable", "--json");
        var rejected = await project.SluiceAsync("rejected", "customers-to-iterable", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(4, Count(run, "delivered"));
        Assert.Equal(1, Count(run, "rejected"));
        Assert.Equal(4, project.Emulator.UserCount);
        var row = Assert.Single(rejected.Json["rows"]!.AsArray());
        // The planner finds it before any batch is made (the writer's own check, DuplicateMatchValue, is the backstop).
        Assert.Equal("DUPLICATE_MATCH_VALUE", row!["code"]!.GetValue<string>());
        Assert.Contains("as row key 2,", row["reason"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}

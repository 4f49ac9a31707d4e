using Npgsql;
using Sluice.EndToEnd.Tests.Support;

namespace Sluice.Sources.Postgres.Tests;

/// <summary>Rows are streamed from the server, and a read stopped early stops the query on the server.</summary>
public sealed class StreamingTests(PostgresServer server)
{
    [Fact]
    public async Task Every_row_of_a_table_model_streams_through_in_order_with_the_array_reused()
    {
        var database = await server.CreateDatabaseAsync();
        await server.ExecuteAsync("create table customers as select g as id, 'c' || g || '@example.com' as email from generate_series(1, 50000) g", database);
        await using var source = new PostgresSource("crm", server.Url(database));

        long count = 0, sum = 0;
        await foreach (var row in source.ReadAsync("select * from customers order by id", TestContext.Current.CancellationToken))
        {
            count++;
            sum += (long)row[0]!;
            Assert.Equal($"c{row[0]}@example.com", row[1]);
        }

        Assert.Equal(50000, count);
        Assert.Equal(50000L * 50001 / 2, sum);
    }

    [Fact]
    public async Task Describing_a_model_does_not_run_it()
    {
        var database = await server.CreateDatabaseAsync();
        await server.ExecuteAsync("create table calls (n int); create function noted() returns int language sql as 'insert into calls values (1) returning 1'", database);
        await using var source = new PostgresSource("crm", server.ConnectionString(database));

        var columns = await source.DescribeAsync("select noted() as n", TestContext.Current.CancellationToken);

        Assert.Equal("n", Assert.Single(columns).Name);
        await using var connection = new NpgsqlConnection(server.ConnectionString(database));
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var count = new NpgsqlCommand("select count(*) from calls", connection);
        Assert.Equal(0L, await count.ExecuteScalarAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_read_stopped_early_leaves_no_query_running_on_the_server()
    {
        await using var source = new PostgresSource("crm", server.ConnectionString());
        var marker = "sluice_stop_" + Guid.NewGuid().ToString("N")[..8];
        var seen = 0;
        await foreach (var _ in source.ReadAsync(// A join of two small series streams 100 million rows (one series alone is materialised before its first row).
            $"select a * 100000 + b as {marker} from generate_series(0, 999) a, generate_series(1, 100000) b", TestContext.Current.CancellationToken))
        {
            if (++seen == 10)
                break;
        }

        await using var connection = new NpgsqlConnection(server.ConnectionString());
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var active = new NpgsqlCommand(
            $"select count(*) from pg_stat_activity where state = 'active' and query like '%{marker}%' and pid <> pg_backend_pid()", connection);
        Assert.Equal(10, seen);
        Assert.Equal(0L, await active.ExecuteScalarAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_connection_ended_by_the_server_mid_read_is_a_source_error_saying_to_run_again()
    {
        await using var source = new PostgresSource("crm", server.ConnectionString());
        var marker = "sluice_killed_" + Guid.NewGuid().ToString("N")[..8];
        var seen = 0;

        var e = await Assert.ThrowsAsync<Core.Sources.SourceException>(async () =>
        {
            await foreach (var _ in source.ReadAsync($"select a * 100000 + b as {marker} from generate_series(0, 999) a, generate_series(1, 100000) b",
                               TestContext.Current.CancellationToken))
            {
                if (++seen == 10)
                    await server.ExecuteAsync($"select pg_terminate_backend(pid) from pg_stat_activity where query like '%{marker}%' and pid <> pg_backend_pid()");
            }
        });

        // Npgsql reports the server's "terminating connection" notice or the closed socket, whichever it reads first.
        Assert.StartsWith("Source 'crm': ", e.Message, StringComparison.Ordinal);
        Assert.Contains("PostgreSQL at 127.0.0.1:", e.Message, StringComparison.Ordinal);
        Assert.Contains("Run again", e.Message, StringComparison.Ordinal);
    }
}

using System.Net;
using System.Net.Sockets;
using Sluice.Core.Sources;
using Sluice.EndToEnd.Tests.Support;

namespace Sluice.Sources.Postgres.Tests;

/// <summary>Each way a postgres source fails, against a real server: a message naming the source and what to do, no password.</summary>
public sealed class ErrorTests(PostgresServer server)
{
    private static async Task<SourceException> DescribeFailsAsync(string connection, string sql = "select 1 as x")
    {
        await using var source = new PostgresSource("crm", connection);
        return await Assert.ThrowsAsync<SourceException>(() => source.DescribeAsync(sql, TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("this is not a connection string")]
    [InlineData("Host=localhost;Pasword=s3cret-value;Database=x")]
    [InlineData("Host=localhost;Port=notaport;Password=s3cret-value")]
    [InlineData("mysql://u:s3cret-value@localhost/db")]
    [InlineData("postgres://u:s3cret-value@localhost/db?sslmode=sometimes")]
    [InlineData("postgres://u:s3cret-value@localhost/db?colour=blue")]
    public async Task A_bad_connection_string_says_what_is_wrong_without_repeating_it(string connection)
    {
        var e = await DescribeFailsAsync(connection);

        Assert.StartsWith("Source 'crm': its connection could not be read: ", e.Message, StringComparison.Ordinal);
        Assert.Contains("postgres://", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-value", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("notaport", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_login_names_the_user_and_never_the_password()
    {
        var wrong = server.ConnectionString().Replace(server.Password, "not-the-password-42", StringComparison.Ordinal);

        var e = await DescribeFailsAsync(wrong);

        Assert.Contains("Source 'crm': PostgreSQL at 127.0.0.1:", e.Message, StringComparison.Ordinal);
        Assert.Contains("refused the login", e.Message, StringComparison.Ordinal);
        Assert.Contains("sluice", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password-42", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(server.Password, e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_port_nobody_listens_on_fails_at_once_saying_to_check_host_and_port()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var e = await DescribeFailsAsync($"postgres://sluice:secret-pass@127.0.0.1:{port}/postgres");

        Assert.Contains($"PostgreSQL at 127.0.0.1:{port}/postgres as user 'sluice' refused the connection", e.Message, StringComparison.Ordinal);
        Assert.Contains("Check the host and port", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-pass", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_never_answers_fails_after_the_connect_timeout_saying_what_to_check()
    {
        // Accepts the TCP connection and then says nothing, as a host behind a dropping firewall or a hung server does.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;

        var e = await DescribeFailsAsync($"postgres://sluice:secret-pass@127.0.0.1:{port}/postgres?connect_timeout=1");

        Assert.Contains($"PostgreSQL at 127.0.0.1:{port}/postgres as user 'sluice' did not answer in time", e.Message, StringComparison.Ordinal);
        Assert.Contains("connect_timeout", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-pass", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_database_that_does_not_exist_is_named()
    {
        var e = await DescribeFailsAsync(server.Url("no_such_db"));

        Assert.Contains("has no such database", e.Message, StringComparison.Ordinal);
        Assert.Contains("no_such_db", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_table_says_to_check_the_table_name()
    {
        var e = await DescribeFailsAsync(server.ConnectionString(), "select * from public.customerz");

        Assert.Contains("relation \"public.customerz\" does not exist", e.Message, StringComparison.Ordinal);
        Assert.Contains("table:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_query_error_carries_postgres_message_and_its_line_and_column_in_the_model_sql()
    {
        const string sql = "select customer_id,\n       emial\nfrom (select 1 as customer_id, 'a' as email) c";

        var e = await DescribeFailsAsync(server.ConnectionString(), sql);

        Assert.Contains("the model's SQL failed: column \"emial\" does not exist", e.Message, StringComparison.Ordinal);
        Assert.Contains("at line 2, column 8 of the model's SQL: emial", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_syntax_error_points_at_the_word_postgres_stopped_at()
    {
        var e = await DescribeFailsAsync(server.ConnectionString(), "select 1 as a\n  frm nowhere");

        Assert.True(e.Message.Contains("syntax error at or near \"frm\"", StringComparison.Ordinal), e.Message);
        Assert.True(e.Message.Contains("at line 2, column 3 of the model's SQL: frm nowhere", StringComparison.Ordinal), e.Message);
    }

    [Fact]
    public async Task A_model_of_two_statements_is_refused_before_either_runs()
    {
        var e = await DescribeFailsAsync(server.ConnectionString(), "select 1 as a; select 2 as b");

        Assert.Contains("more than one statement", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_model_that_writes_is_refused_and_writes_nothing()
    {
        var database = await server.CreateDatabaseAsync();
        await server.ExecuteAsync("create table t (id int)", database);
        await using var source = new PostgresSource("crm", server.ConnectionString(database));

        var e = await Assert.ThrowsAsync<SourceException>(async () =>
        {
            await foreach (var _ in source.ReadAsync("insert into t values (1) returning id", TestContext.Current.CancellationToken))
            {
            }
        });

        Assert.Contains("read-only transaction", e.Message, StringComparison.Ordinal);
        var rows = 0;
        await foreach (var _ in source.ReadAsync("select * from t", TestContext.Current.CancellationToken))
            rows++;
        Assert.Equal(0, rows);
    }
}

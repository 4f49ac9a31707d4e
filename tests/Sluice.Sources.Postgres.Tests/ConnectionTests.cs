using Npgsql;

namespace Sluice.Sources.Postgres.Tests;

/// <summary>The forms of <c>connection:</c> a postgres source reads.</summary>
public sealed class ConnectionTests
{
    [Fact]
    public void A_url_gives_user_password_host_port_database_and_parameters()
    {
        var b = PostgresConnection.Parse("postgres://crm%40ops:p%40ss:w0rd@db.example.com:6543/sales?sslmode=require&application_name=nightly");

        Assert.Equal("crm@ops", b.Username);
        Assert.Equal("p@ss:w0rd", b.Password);
        Assert.Equal("db.example.com", b.Host);
        Assert.Equal(6543, b.Port);
        Assert.Equal("sales", b.Database);
        Assert.Equal(SslMode.Require, b.SslMode);
        Assert.Equal("nightly", b.ApplicationName);
        Assert.Equal(PostgresConnection.DefaultConnectTimeout, b.Timeout);
    }

    [Fact]
    public void A_url_with_several_hosts_and_an_ipv6_one_keeps_each_port()
    {
        var b = PostgresConnection.Parse("postgresql://u@h1:5433,[::1]:5434/db?connect_timeout=3");

        Assert.Equal("h1:5433,::1:5434", b.Host);
        Assert.Equal(3, b.Timeout);
    }

    [Fact]
    public void A_libpq_keyword_string_and_an_npgsql_connection_string_say_the_same()
    {
        var libpq = PostgresConnection.Parse("host=db port=5433 dbname=crm user=sluice password='a b\\'c'");
        var npgsql = PostgresConnection.Parse("Host=db;Port=5433;Database=crm;Username=sluice;Password=a b'c");

        Assert.Equal(npgsql.ConnectionString, libpq.ConnectionString);
        Assert.Equal("a b'c", libpq.Password);
    }

    [Fact]
    public void A_timeout_written_in_the_connection_string_is_kept()
    {
        Assert.Equal(30, PostgresConnection.Parse("Host=db;Timeout=30").Timeout);
        Assert.Equal(PostgresConnection.DefaultConnectTimeout, PostgresConnection.Parse("Host=db").Timeout);
    }

    [Fact]
    public void Where_a_connection_goes_is_described_without_its_password()
    {
        var b = PostgresConnection.Parse("postgres://sluice:hunter22@db:5433/crm");

        Assert.Equal("db:5433/crm as user 'sluice'", PostgresConnection.Describe(b));
    }
}

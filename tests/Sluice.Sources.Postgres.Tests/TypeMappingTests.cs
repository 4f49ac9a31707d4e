using DuckDB.NET.Data;
using Sluice.Core.Models;
using Sluice.EndToEnd.Tests.Support;
using Sluice.Sources.DuckDb;

namespace Sluice.Sources.Postgres.Tests;

/// <summary>Each PostgreSQL type, read from a real server: its kind, and the .NET value destinations receive.</summary>
public sealed class TypeMappingTests(PostgresServer server)
{
    private const string Values = """
        select 7::smallint as i2, 70000::integer as i4, 9000000000::bigint as i8,
               12345.67::numeric(12,2) as num, 0.1::numeric as num_free, 1.5::real as f4, 2.25::double precision as f8,
               'hello'::text as txt, 'ab'::varchar(10) as vc, 'x'::char(3) as ch, true as flag,
               date '2024-02-29' as d, timestamp '2024-02-29 13:14:15.123456' as ts,
               timestamptz '2024-02-29 13:14:15+02' as tstz, time '13:14:15.5' as t,
               'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid as id,
               '{"b": [1, 2], "a": "x"}'::jsonb as jb, '{"k":1}'::json as js,
               array[1, 2, null]::int[] as ints, array['a', 'b']::text[] as texts, array[[1, 2], [3, 4]]::bigint[] as grid,
               array[date '2024-01-02'] as dates, '\x0102ff'::bytea as bin,
               interval '1 day 02:03:04.5' as span, interval '1 year 2 months 3 days 04:05:06' as months,
               inet '10.0.0.1/8' as net, 12.5::money as cash, timetz '13:14:15+02' as ttz, null::integer as nothing
        """;

    private async Task<(IReadOnlyList<ModelColumn> Columns, object?[] Row)> ReadOneAsync(string sql)
    {
        await using var source = new PostgresSource("crm", server.ConnectionString());
        var columns = await source.DescribeAsync(sql, TestContext.Current.CancellationToken);
        object?[]? row = null;
        await foreach (var r in source.ReadAsync(sql, TestContext.Current.CancellationToken))
            row = (object?[])r.Clone();
        return (columns, row ?? throw new InvalidOperationException("no row"));
    }

    [Fact]
    public async Task Each_type_maps_to_its_kind_and_keeps_its_postgres_type_name()
    {
        var (columns, _) = await ReadOneAsync(Values);
        var kinds = columns.ToDictionary(c => c.Name, c => c.Kind);

        Assert.Equal(ValueKind.Integer, kinds["i2"]);
        Assert.Equal(ValueKind.Integer, kinds["i4"]);
        Assert.Equal(ValueKind.Integer, kinds["i8"]);
        Assert.Equal(ValueKind.Decimal, kinds["num"]);
        Assert.Equal(ValueKind.Float, kinds["f4"]);
        Assert.Equal(ValueKind.Float, kinds["f8"]);
        Assert.All(new[] { "txt", "vc", "ch", "id" }, c => Assert.Equal(ValueKind.Text, kinds[c]));
        Assert.Equal(ValueKind.Boolean, kinds["flag"]);
        Assert.Equal(ValueKind.Date, kinds["d"]);
        Assert.Equal(ValueKind.Timestamp, kinds["ts"]);
        Assert.Equal(ValueKind.Timestamp, kinds["tstz"]);
        Assert.Equal(ValueKind.Time, kinds["t"]);
        Assert.All(new[] { "jb", "js", "ints", "texts", "grid", "dates", "bin", "span", "months", "net", "cash", "ttz" },
            c => Assert.Equal(ValueKind.Other, kinds[c]));
        var types = columns.ToDictionary(c => c.Name, c => c.SourceType);
        Assert.Equal("numeric(12, 2)", types["num"]);
        Assert.Equal("integer", types["i4"]);
        Assert.Equal("timestamp with time zone", types["tstz"]);
    }

    [Fact]
    public async Task Values_arrive_as_the_dotnet_type_of_their_kind()
    {
        var (columns, row) = await ReadOneAsync(Values);
        object? V(string name) => row[columns.ToList().FindIndex(c => c.Name == name)];

        Assert.Equal(7L, V("i2"));
        Assert.Equal(70000L, V("i4"));
        Assert.Equal(9000000000L, V("i8"));
        Assert.Equal(12345.67m, V("num"));
        Assert.Equal(0.1m, V("num_free"));
        Assert.Equal(1.5d, V("f4"));
        Assert.Equal(2.25d, V("f8"));
        Assert.Equal("hello", V("txt"));
        Assert.Equal("ab", V("vc"));
        Assert.Equal("x  ", V("ch"));
        Assert.Equal(true, V("flag"));
        Assert.Equal(new DateOnly(2024, 2, 29), V("d"));
        Assert.Equal(new DateTime(2024, 2, 29, 13, 14, 15, 123, DateTimeKind.Unspecified).AddTicks(4560), V("ts"));
        var tstz = Assert.IsType<DateTime>(V("tstz"));
        Assert.Equal(DateTimeKind.Utc, tstz.Kind);
        Assert.Equal(new DateTime(2024, 2, 29, 11, 14, 15, DateTimeKind.Utc), tstz);
        Assert.Equal(new TimeOnly(13, 14, 15, 500), V("t"));
        Assert.Equal("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", V("id"));
        Assert.Equal("""{"a": "x", "b": [1, 2]}""", V("jb"));
        Assert.Equal("""{"k":1}""", V("js"));
        Assert.Equal("[1,2,null]", V("ints"));
        Assert.Equal("""["a","b"]""", V("texts"));
        Assert.Equal("[[1,2],[3,4]]", V("grid"));
        Assert.Equal("""["2024-01-02"]""", V("dates"));
        Assert.Equal("AQL/", V("bin"));
        Assert.Equal("P1DT2H3M4.5S", V("span"));
        Assert.Equal("P1Y2M3DT4H5M6S", V("months"));
        Assert.Equal("10.0.0.1/8", V("net"));
        Assert.Equal("$12.50", V("cash"));
        Assert.Equal("13:14:15+02", V("ttz"));
        Assert.Null(V("nothing"));
    }

    [Fact]
    public async Task The_same_values_read_from_duckdb_arrive_exactly_as_from_postgres()
    {
        // Column by column, one literal in each dialect: destinations must not see which source a row came from.
        (string Name, string Postgres, string DuckDb)[] same =
        [
            ("i4", "42::integer", "42::INTEGER"),
            ("i8", "9000000000::bigint", "9000000000::BIGINT"),
            ("num", "12345.67::numeric(12,2)", "12345.67::DECIMAL(12,2)"),
            ("f4", "1.1::real", "1.1::REAL"),
            ("f8", "2.25::double precision", "2.25::DOUBLE"),
            ("txt", "'hé'::text", "'hé'::VARCHAR"),
            ("flag", "false", "false"),
            ("d", "date '2024-02-29'", "DATE '2024-02-29'"),
            ("ts", "timestamp '2024-02-29 13:14:15.123456'", "TIMESTAMP '2024-02-29 13:14:15.123456'"),
            ("tstz", "timestamptz '2024-02-29 13:14:15+02'", "TIMESTAMPTZ '2024-02-29 13:14:15+02'"),
            ("t", "time '13:14:15.5'", "TIME '13:14:15.5'"),
            ("id", "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid", "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::UUID"),
            // Not with a null element: the DuckDB source cannot read a LIST holding NULL (DuckDB.NET throws).
            ("ints", "array[1, 2, 3]::bigint[]", "[1, 2, 3]::BIGINT[]"),
            ("texts", "array['a', 'b']", "['a', 'b']"),
            ("bin", "'\\x0102ff'::bytea", "'\\x01\\x02\\xFF'::BLOB"),
            ("span", "interval '1 day 02:03:04'", "INTERVAL '1 day 02:03:04'"),
        ];
        var (pgColumns, pgRow) = await ReadOneAsync("select " + string.Join(", ", same.Select(s => $"{s.Postgres} as {s.Name}")));

        var file = Path.Combine(Path.GetTempPath(), $"sluice-pg-duck-{Guid.NewGuid():N}.duckdb");
        try
        {
            await using (var connection = new DuckDBConnection($"Data Source={file}"))
            {
                await connection.OpenAsync(TestContext.Current.CancellationToken);
                await using var command = connection.CreateCommand();
                command.CommandText = "SET TimeZone = 'UTC'; CREATE TABLE v AS SELECT " + string.Join(", ", same.Select(s => $"{s.DuckDb} AS {s.Name}"));
                await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
            }

            await using var duck = new DuckDbSource("warehouse", file);
            var duckColumns = await duck.DescribeAsync("select * from v", TestContext.Current.CancellationToken);
            object?[]? duckRow = null;
            await foreach (var r in duck.ReadAsync("select * from v", TestContext.Current.CancellationToken))
                duckRow = (object?[])r.Clone();

            for (var i = 0; i < same.Length; i++)
            {
                Assert.True(duckColumns[i].Kind == pgColumns[i].Kind, $"{same[i].Name}: duckdb {duckColumns[i].Kind}, postgres {pgColumns[i].Kind}");
                Assert.True(Equals(duckRow![i], pgRow[i]),
                    $"{same[i].Name}: duckdb {duckRow[i]} ({duckRow[i]?.GetType().Name}), postgres {pgRow[i]} ({pgRow[i]?.GetType().Name})");
            }
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_numeric_beyond_what_a_decimal_holds_is_an_error_naming_the_column_and_the_cast()
    {
        await using var source = new PostgresSource("crm", server.ConnectionString());
        var e = await Assert.ThrowsAsync<Core.Sources.SourceException>(async () =>
        {
            await foreach (var _ in source.ReadAsync("select 1e40::numeric as huge", TestContext.Current.CancellationToken))
            {
            }
        });

        Assert.Contains("Source 'crm'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'huge' (numeric)", e.Message, StringComparison.Ordinal);
        Assert.Contains("::text", e.Message, StringComparison.Ordinal);
    }
}

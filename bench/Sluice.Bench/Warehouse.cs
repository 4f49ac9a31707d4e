using System.Globalization;
using DuckDB.NET.Data;
using Sluice.Core.Destinations;

namespace Sluice.Bench;

/// <summary>What <see cref="Warehouse.ChangeAsync"/> did, so a plan's counts can be checked against it.</summary>
internal sealed record ChangeSummary(long Changed, long Added, long Removed, long UnmappedEdits);

/// <summary>
/// The benchmarks' warehouse: a DuckDB file with a <c>customers</c> table of typed columns (id, email, names,
/// plan, decimal lifetime value, date, boolean, an unmapped note), the sync that sends it to Iterable, and the
/// changes made between runs.
/// </summary>
internal static class Warehouse
{
    public const string Sync = "customers-to-iterable";
    public const string PrimaryKey = "customer_id";
    public const string ModelSql =
        "select customer_id, email, first_name, last_name, plan, ltv, signup_date, is_active, internal_note from customers";

    public static readonly FieldMapping Match = new("email", "email");

    /// <summary>Five mapped fields of different kinds (text, text, decimal, date, boolean); last_name and internal_note are not mapped.</summary>
    public static readonly IReadOnlyList<FieldMapping> Mappings =
    [
        new("first_name", "firstName"),
        new("plan", "plan"),
        new("ltv", "lifetimeValue"),
        new("signup_date", "signupDay"),
        new("is_active", "isActive"),
    ];

    /// <summary>Creates (replacing) a warehouse of <paramref name="rows"/> customers, ids 1..rows.</summary>
    public static async Task CreateAsync(string path, long rows, CancellationToken ct)
    {
        File.Delete(path);
        File.Delete(path + ".wal");
        await using var connection = new DuckDBConnection($"Data Source={path}");
        await connection.OpenAsync(ct);
        await ExecuteAsync(connection, $"""
            CREATE TABLE customers AS
            SELECT i AS customer_id,
                   'customer' || i || '@example.com' AS email,
                   (['Ada','Grace','Alan','Edsger','Barbara','Donald','Frances','Ken'])[1 + i % 8] AS first_name,
                   (['Lovelace','Hopper','Turing','Dijkstra','Liskov','Knuth','Allen','Thompson'])[1 + (i // 8) % 8] AS last_name,
                   CASE WHEN i % 10 < 2 THEN 'pro' WHEN i % 10 < 3 THEN 'enterprise' ELSE 'free' END AS plan,
                   CAST((i * 7919) % 100000 / 100.0 AS DECIMAL(10, 2)) AS ltv,
                   DATE '2020-01-01' + CAST(i % 1500 AS INTEGER) AS signup_date,
                   i % 7 <> 0 AS is_active,
                   'internal note ' || i AS internal_note
            FROM range(1, {rows + 1}) t(i);
            CHECKPOINT;
            """, ct);
    }

    /// <summary>
    /// Changes the mapped columns (plan, ltv) of <paramref name="changePercent"/>% of the customers (every id whose
    /// last four digits are below percent x 100), removes the ids ending in 9999 (0.01%), adds as many new
    /// customers (at least 10), and edits the unmapped note of a tenth (which must not count as a change).
    /// </summary>
    public static async Task<ChangeSummary> ChangeAsync(string path, long rows, double changePercent, CancellationToken ct)
    {
        var basisPoints = (long)Math.Round(changePercent * 100, MidpointRounding.AwayFromZero);
        if (basisPoints is < 0 or > 9999)
            throw new UsageException("--change-percent must be between 0 and 99.99.");
        var changed = $"customer_id % 10000 < {basisPoints}";
        const string removed = "customer_id % 10000 = 9999";
        const string unmapped = "customer_id % 10 = 3";
        var added = Math.Max(10, rows / 10_000);

        await using var connection = new DuckDBConnection($"Data Source={path}");
        await connection.OpenAsync(ct);
        var counts = await ScalarsAsync(connection, $"""
            SELECT count(*) FILTER (WHERE {changed} AND NOT ({removed})),
                   count(*) FILTER (WHERE {removed}),
                   count(*) FILTER (WHERE {unmapped} AND NOT ({changed}) AND NOT ({removed})),
                   max(customer_id)
            FROM customers
            """, ct);
        var first = counts[3] + 1;
        await ExecuteAsync(connection, $"""
            UPDATE customers SET plan = CASE plan WHEN 'free' THEN 'pro' ELSE 'free' END, ltv = ltv + 10 WHERE {changed};
            UPDATE customers SET internal_note = internal_note || ' (edited)' WHERE {unmapped};
            DELETE FROM customers WHERE {removed};
            INSERT INTO customers
            SELECT i, 'customer' || i || '@example.com', 'New', 'Customer', 'free', 0, DATE '2026-11-01', true, 'new'
            FROM range({first}, {first + added}) t(i);
            CHECKPOINT;
            """, ct);
        return new ChangeSummary(counts[0], added, counts[1], counts[2]);
    }

    /// <summary>The project file: one DuckDB source, one Iterable destination (an emulator), one upsert sync.</summary>
    public static string ProjectYaml(string warehousePath, bool paceRequests) => $"""
        # Written by Sluice.Bench.
        sources:
          warehouse:
            type: duckdb
            path: {warehousePath}
        models:
          customers:
            source: warehouse
            kind: user
            primary_key: {PrimaryKey}
            sql: {ModelSql}
        destinations:
          iterable:
            type: iterable
            api_key: ${"{"}ITERABLE_API_KEY{"}"}
            base_url: ${"{"}ITERABLE_BASE_URL{"}"}
            pace_requests: {(paceRequests ? "true" : "false")}
        syncs:
          {Sync}:
            model: customers
            destination: iterable
            mode: upsert
            match: {"{"} column: {Match.Column}, field: {Match.Field} {"}"}
            mappings:
        {string.Join("\n", Mappings.Select(m => $"      {m.Column}: {m.Field}"))}

        """;

    public static async Task ExecuteAsync(DuckDBConnection connection, string sql, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<long[]> ScalarsAsync(DuckDBConnection connection, string sql, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var values = new long[reader.FieldCount];
        for (var i = 0; i < values.Length; i++)
            values[i] = Convert.ToInt64(reader.GetValue(i), CultureInfo.InvariantCulture);
        return values;
    }
}

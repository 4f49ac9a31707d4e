using DuckDB.NET.Data;

namespace Sluice.Cli;

/// <summary>The demo's warehouse: a DuckDB file of made-up customers, and the changes made between runs.</summary>
internal static class SampleData
{
    public static async Task CreateAsync(string path, int customers, CancellationToken ct)
    {
        File.Delete(path);
        await using var connection = new DuckDBConnection($"Data Source={path}");
        await connection.OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
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
            FROM range(1, {customers + 1}) t(i);
            CREATE TABLE accounts AS
            SELECT i AS account_id,
                   (['Acme','Globex','Initech','Umbrella','Hooli','Stark','Wayne','Wonka'])[1 + i % 8] || ' ' || i AS name,
                   'https://example.com/accounts/' || i AS website,
                   CAST(10 + (i * 37) % 5000 AS BIGINT) AS employees,
                   CAST((i * 7919) % 1000000 * 10 AS DECIMAL(14, 2)) AS annual_revenue
            FROM range(1, {Math.Max(1, customers / 50) + 1}) t(i);
            """;
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Removes the customers whose ids are in [<paramref name="from"/>, <paramref name="to"/>].</summary>
    public static async Task RemoveAsync(string path, int from, int to, CancellationToken ct)
    {
        await using var connection = new DuckDBConnection($"Data Source={path}");
        await connection.OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = $"DELETE FROM customers WHERE customer_id BETWEEN {from} AND {to}";
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// What <c>sluice demo --serve</c> changes between scheduled runs, so that each has something to send: three customers'
    /// plan and value, two customers added, one removed, one account's head count. Written to a copy of the file that then
    /// replaces it: a run reading the warehouse meanwhile keeps reading the file it opened, and never meets a writer.
    /// Returns what changed, for the log.
    /// </summary>
    public static async Task<string> ChangeLiveAsync(string path, CancellationToken ct)
    {
        var next = path + ".next";
        File.Copy(path, next, overwrite: true);
        try
        {
            await using (var connection = new DuckDBConnection($"Data Source={next}"))
            {
                await connection.OpenAsync(ct);
                await using var command = connection.CreateCommand();
                command.CommandText = $"""
                    UPDATE customers SET plan = CASE plan WHEN 'free' THEN 'pro' WHEN 'pro' THEN 'enterprise' ELSE 'free' END, ltv = ltv + 1
                    WHERE customer_id IN (SELECT customer_id FROM customers ORDER BY random() LIMIT 3);
                    DELETE FROM customers WHERE customer_id = (SELECT customer_id FROM customers ORDER BY random() LIMIT 1);
                    INSERT INTO customers
                    SELECT i, 'customer' || i || '@example.com', 'New', 'Customer', 'free', 0, current_date, true, 'added by the demo'
                    FROM range((SELECT max(customer_id) + 1 FROM customers), (SELECT max(customer_id) + 3 FROM customers)) t(i);
                    UPDATE accounts SET employees = employees + 1
                    WHERE account_id = (SELECT account_id FROM accounts ORDER BY random() LIMIT 1);
                    CHECKPOINT;
                    """;
                await command.ExecuteNonQueryAsync(ct);
            }
            File.Move(next, path, overwrite: true);
        }
        finally
        {
            File.Delete(next);
        }
        return "3 customers changed, 2 added, 1 removed, 1 account changed";
    }

    /// <summary>Changes the plan of every <paramref name="every"/>-th customer and adds <paramref name="added"/> new ones.</summary>
    public static async Task ChangeAsync(string path, int every, int added, CancellationToken ct)
    {
        await using var connection = new DuckDBConnection($"Data Source={path}");
        await connection.OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            UPDATE customers SET plan = CASE plan WHEN 'free' THEN 'pro' ELSE 'free' END, ltv = ltv + 10
            WHERE customer_id % {every} = 0;
            UPDATE customers SET internal_note = internal_note || ' (edited)' WHERE customer_id % 3 = 1;
            INSERT INTO customers
            SELECT i, 'customer' || i || '@example.com', 'New', 'Customer', 'free', 0, DATE '2026-11-01', true, 'new'
            FROM range((SELECT max(customer_id) + 1 FROM customers), (SELECT max(customer_id) + 1 + {added} FROM customers)) t(i);
            """;
        await command.ExecuteNonQueryAsync(ct);
    }
}

using DuckDB.NET.Data;
using Npgsql;
using NpgsqlTypes;

namespace Sluice.Campaign;

/// <summary>
/// Where a case's model lives: the <c>people</c> table its sync reads, the sluice.yaml source block that reaches it
/// (named <c>warehouse</c>), and how a new version of the model replaces the table's rows.
/// </summary>
internal abstract class ModelTable
{
    /// <summary>The <c>sources:</c> section of sluice.yaml.</summary>
    public abstract string SourceYaml { get; }

    /// <summary>The table as the model's SQL names it.</summary>
    public abstract string Relation { get; }

    /// <summary>Lines for the case's .env (the source's secrets).</summary>
    public virtual string EnvLines => "";

    public abstract Task WriteAsync(ModelState model, CancellationToken ct);
}

/// <summary>A DuckDB file beside sluice.yaml, planned by the embedded planner in place.</summary>
internal sealed class DuckDbModelTable(string path) : ModelTable
{
    public override string SourceYaml => $"""
        sources:
          warehouse:
            type: duckdb
            path: {Path.GetFileName(path)}

        """;

    public override string Relation => "people";

    public override async Task WriteAsync(ModelState model, CancellationToken ct)
    {
        await using var connection = new DuckDBConnection($"Data Source={path}");
        await connection.OpenAsync(ct);
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "CREATE OR REPLACE TABLE people (person_id BIGINT, email VARCHAR, first_name VARCHAR, last_name VARCHAR, " +
                "plan VARCHAR, seats BIGINT, note VARCHAR)";
            await command.ExecuteNonQueryAsync(ct);
        }
        using (var appender = connection.CreateAppender("people"))
        {
            foreach (var (id, row) in model.Rows())
            {
                appender.CreateRow().AppendValue(id).AppendValue(row.Email).AppendValue(row.FirstName).AppendValue(row.LastName)
                    .AppendValue(row.Plan).AppendValue(row.Seats).AppendValue(model.Note).EndRow();
            }
        }
        await using var checkpoint = connection.CreateCommand();
        checkpoint.CommandText = "CHECKPOINT";
        await checkpoint.ExecuteNonQueryAsync(ct);
    }
}

/// <summary>
/// A table in a schema of its own of a PostgreSQL database, planned by the warehouse planner: the diff is computed
/// in that database and the sync's ledger, writes in doubt and claim live there too (in the same schema), so a kill
/// proves the warehouse planner's commits as the campaigns prove the embedded ones.
/// </summary>
internal sealed class PostgresModelTable(string url, string schema) : ModelTable
{
    public override string SourceYaml => $$"""
        sources:
          warehouse:
            type: postgres
            connection: ${SLUICE_SOURCE_URL}
            planner: warehouse
            schema: {{schema}}

        """;

    public override string Relation => $"{schema}.people";

    public override string EnvLines => $"SLUICE_SOURCE_URL={url}\n";

    public override async Task WriteAsync(ModelState model, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(ConnectionString(url));
        await connection.OpenAsync(ct);
        // One transaction: a plan running now (REPEATABLE READ) sees the old model or the new, never half of each.
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var command = new NpgsqlCommand(
            $"CREATE SCHEMA IF NOT EXISTS {schema}; CREATE TABLE IF NOT EXISTS {Relation} (person_id bigint, email text, first_name text, " +
            $"last_name text, plan text, seats bigint, note text); DELETE FROM {Relation}", connection, transaction))
            await command.ExecuteNonQueryAsync(ct);
        await using (var copy = await connection.BeginBinaryImportAsync(
            $"COPY {Relation} (person_id, email, first_name, last_name, plan, seats, note) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var (id, row) in model.Rows())
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(id, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(row.Email, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(row.FirstName, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(row.LastName, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(row.Plan, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(row.Seats, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(model.Note, NpgsqlDbType.Text, ct);
            }
            await copy.CompleteAsync(ct);
        }
        await transaction.CommitAsync(ct);
    }

    /// <summary>Npgsql takes key=value strings, not URLs: the campaign is given the same URL sluice.yaml gets.</summary>
    private static string ConnectionString(string url)
    {
        var uri = new Uri(url);
        var credentials = uri.UserInfo.Split(':', 2);
        return new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.Port > 0 ? uri.Port : 5432,
            Database = uri.AbsolutePath.TrimStart('/'),
            Username = Uri.UnescapeDataString(credentials[0]),
            Password = credentials.Length > 1 ? Uri.UnescapeDataString(credentials[1]) : null,
        }.ConnectionString;
    }
}

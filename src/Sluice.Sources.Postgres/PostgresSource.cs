using System.Data;
using System.Runtime.CompilerServices;
using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Destinations;
using Sluice.Core.Models;
using Sluice.Core.Sources;

namespace Sluice.Sources.Postgres;

/// <summary>The <c>postgres</c> source type: models read from a PostgreSQL database.</summary>
public sealed class PostgresSourceProvider : ISourceProvider
{
    public string Type => "postgres";

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new("connection", OptionType.Secret,
            "The database: a connection string (Host=...;Database=...;Username=...;Password=...) or a postgres://user:password@host:port/database URL.",
            Required: true),
    ];

    public ISource Create(SourceConfig config, string projectDirectory) =>
        new PostgresSource(config.Name, config.Settings.TryGetValue("connection", out var connection) ? connection.Value : "");
}

/// <summary>
/// A PostgreSQL database read by models' SQL. Columns are described without running the query (a Parse/Describe round
/// trip); rows are streamed from one read-only transaction through Npgsql's sequential reader, a row at a time, so
/// a model of any size never sits in memory. The embedded planner streams them into DuckDB to diff.
/// </summary>
public sealed class PostgresSource : ISource
{
    private readonly string _name;
    private readonly string _connection;
    private readonly Lock _gate = new();
    private NpgsqlDataSource? _dataSource;
    private PostgresErrors _errors;
    private string _where = "";

    /// <param name="name">The source's name in sluice.yaml, for messages.</param>
    /// <param name="connection">The connection string or URL (a secret: never printed).</param>
    public PostgresSource(string name, string connection)
    {
        _name = name;
        _connection = connection;
        _errors = new PostgresErrors(name, null);
    }

    public async Task<IReadOnlyList<ModelColumn>> DescribeAsync(string sql, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return (await DescribeAsync(connection, sql, cancellationToken)).Select(c => c.Column).ToList();
    }

    public async IAsyncEnumerable<object?[]> ReadAsync(string sql, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var columns = await DescribeAsync(connection, sql, cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection, transaction)
        {
            // A model's query may take long to produce its first row; the connection's timeout is for connecting.
            CommandTimeout = 0,
            // Types without a binary reading of their own come in PostgreSQL's text form.
            UnknownResultTypeList = columns.Select(c => c.Read == PgRead.Text).ToArray(),
        };
        NpgsqlDataReader reader;
        try
        {
            await using (var readOnly = new NpgsqlCommand("SET TRANSACTION READ ONLY", connection, transaction))
                await readOnly.ExecuteNonQueryAsync(cancellationToken);
            reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken);
        }
        catch (NpgsqlException e)
        {
            throw _errors.Explain(e, _where, sql);
        }

        var finished = false;
        try
        {
            var row = new object?[columns.Count];
            while (true)
            {
                try
                {
                    if (!await reader.ReadAsync(cancellationToken))
                        break;
                }
                catch (NpgsqlException e)
                {
                    throw _errors.Explain(e, _where, sql);
                }

                for (var i = 0; i < row.Length; i++)
                {
                    try
                    {
                        row[i] = await reader.IsDBNullAsync(i, cancellationToken) ? null : PostgresValues.Read(reader, i, columns[i]);
                    }
                    catch (Exception e) when (e is InvalidCastException or OverflowException or FormatException or ArgumentOutOfRangeException)
                    {
                        throw _errors.Unreadable(columns[i].Column.Name, columns[i].Column.SourceType, e);
                    }
                    catch (NpgsqlException e)
                    {
                        // The connection broke mid-row: a source error (the CLI reads a bare database error as the state's).
                        throw _errors.Explain(e, _where, sql);
                    }
                }
                yield return row;
            }
            finished = true;
        }
        finally
        {
            // Closing a reader reads the rest of the result: a model stopped early is cancelled on the server instead.
            if (!finished)
                await CancelAsync(command);
            await CloseQuietlyAsync(reader);
        }
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlDataSource? dataSource;
        lock (_gate)
        {
            dataSource = _dataSource;
            _dataSource = null;
        }
        if (dataSource is not null)
            await dataSource.DisposeAsync();
    }

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken ct)
    {
        var dataSource = DataSource();
        try
        {
            return await dataSource.OpenConnectionAsync(ct);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException or ArgumentException)
        {
            throw _errors.Explain(e, _where, null);
        }
    }

    /// <summary>The pool of this source's connections, made on first use (a sync may describe and read at once).</summary>
    private NpgsqlDataSource DataSource()
    {
        lock (_gate)
        {
            if (_dataSource is not null)
                return _dataSource;
            NpgsqlConnectionStringBuilder builder;
            try
            {
                builder = PostgresConnection.Parse(_connection);
            }
            catch (FormatException e)
            {
                throw _errors.BadConnection(e.Message);
            }
            _errors = new PostgresErrors(_name, builder.Password);
            _where = PostgresConnection.Describe(builder);
            return _dataSource = NpgsqlDataSource.Create(builder);
        }
    }

    private async Task<List<PgColumn>> DescribeAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        try
        {
            // SchemaOnly: PostgreSQL parses and describes the statement without running it.
            await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SchemaOnly, ct);
            var columns = new List<PgColumn>(reader.FieldCount);
            for (var i = 0; i < reader.FieldCount; i++)
                columns.Add(PostgresValues.Resolve(reader.GetName(i), reader.GetPostgresType(i), reader.GetDataTypeName(i)));
            if (columns.Count == 0)
                throw _errors.NoColumns();
            // Npgsql splits "a; b" into two statements: a model is one query, so the second would be run unseen.
            if (await reader.NextResultAsync(ct))
                throw _errors.SeveralStatements();
            return columns;
        }
        catch (NpgsqlException e)
        {
            throw _errors.Explain(e, _where, sql);
        }
    }

    private static async Task CancelAsync(NpgsqlCommand command)
    {
        try
        {
            // A cancel request on a connection of its own: the server stops the query, and the drain that follows ends.
            await Task.Run(command.Cancel);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or IOException)
        {
            // The connection is being dropped: nothing more to tell.
        }
    }

    private static async Task CloseQuietlyAsync(NpgsqlDataReader reader)
    {
        try
        {
            await reader.DisposeAsync();
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or IOException)
        {
            // A reader of a cancelled query reports the cancel: it was asked for.
        }
    }
}

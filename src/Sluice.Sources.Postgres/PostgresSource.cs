using System.Data;
using System.Runtime.CompilerServices;
using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Core.Destinations;
using Sluice.Core.Models;
using Sluice.Core.Planning;
using Sluice.Core.Sources;

namespace Sluice.Sources.Postgres;

/// <summary>The <c>postgres</c> source type: models read from a PostgreSQL database.</summary>
public sealed class PostgresSourceProvider : ISourceProvider
{
    private readonly Func<PostgresWarehouse, IChangePlanner>? _warehousePlanner;

    /// <param name="warehousePlanner">
    /// Makes the planner of sources with <c>planner: warehouse</c> or <c>auto</c> (it diffs inside the database; with
    /// <see cref="PostgresWarehouse.Auto"/> it chooses per sync); without it every source is planned locally.
    /// </param>
    public PostgresSourceProvider(Func<PostgresWarehouse, IChangePlanner>? warehousePlanner = null) => _warehousePlanner = warehousePlanner;

    public string Type => "postgres";

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new("connection", OptionType.Secret,
            "The database: a connection string (Host=...;Database=...;Username=...;Password=...) or a postgres://user:password@host:port/database URL.",
            Required: true),
        new("planner", OptionType.Choice,
            "Where the diff is computed: warehouse (in this database, against ledgers kept in its schema; only changed rows leave it), local (rows streamed into Sluice's embedded planner), or auto: warehouse when the role may create the schema, and for a sync already delivered, the planner whose ledger holds it.",
            Default: "auto", Choices: ["auto", "local", "warehouse"]),
        new("schema", OptionType.String,
            "The schema the warehouse planner keeps each sync's ledger in (created when missing).", Default: PostgresWarehouse.DefaultSchema),
    ];

    public ISource Create(SourceConfig config, string projectDirectory)
    {
        string? Setting(string key) => config.Settings.TryGetValue(key, out var value) ? value.Value.Trim() : null;
        var planner = Setting("planner") ?? "auto";
        return new PostgresSource(config.Name, Setting("connection") ?? "", planner == "local" ? null : _warehousePlanner,
            Setting("schema") ?? PostgresWarehouse.DefaultSchema, auto: planner == "auto");
    }
}

/// <summary>
/// What a planner that diffs inside PostgreSQL gets of a source: the source (its connections, its errors), its ledgers'
/// schema, and whether it was chosen (<c>planner: warehouse</c>) or may decline a sync (<c>auto</c>).
/// </summary>
public sealed record PostgresWarehouse(PostgresSource Source, string Schema, bool Auto = false)
{
    public const string DefaultSchema = "sluice";
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

    private readonly Func<PostgresWarehouse, IChangePlanner>? _warehousePlanner;
    private readonly string _schema;
    private readonly bool _auto;
    private IChangePlanner? _planner;

    /// <param name="name">The source's name in sluice.yaml, for messages.</param>
    /// <param name="connection">The connection string or URL (a secret: never printed).</param>
    /// <param name="warehousePlanner">The planner that diffs inside the database; null: the embedded one plans this source.</param>
    /// <param name="schema">Where that planner keeps the ledgers.</param>
    /// <param name="auto">Whether that planner chooses per sync (<c>planner: auto</c>) instead of planning every one.</param>
    public PostgresSource(string name, string connection, Func<PostgresWarehouse, IChangePlanner>? warehousePlanner = null,
        string schema = PostgresWarehouse.DefaultSchema, bool auto = false)
    {
        _name = name;
        _connection = connection;
        _errors = new PostgresErrors(name, null);
        _warehousePlanner = warehousePlanner;
        _schema = schema;
        _auto = auto;
    }

    /// <summary>The source's name in sluice.yaml.</summary>
    public string Name => _name;

    /// <summary>The connection as written (a secret): for a planner that opens its ledgers in this database.</summary>
    internal string ConnectionText => _connection;

    public IChangePlanner? Planner
    {
        get
        {
            lock (_gate)
                return _planner ??= _warehousePlanner?.Invoke(new PostgresWarehouse(this, _schema, _auto));
        }
    }

    public async Task<IReadOnlyList<ModelColumn>> DescribeAsync(string sql, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return (await DescribeAsync(connection, sql, cancellationToken)).Select(c => c.Column).ToList();
    }

    public async IAsyncEnumerable<object?[]> ReadAsync(string sql, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        try
        {
            await using var readOnly = new NpgsqlCommand("SET TRANSACTION READ ONLY", connection, transaction);
            await readOnly.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (NpgsqlException e)
        {
            throw _errors.Explain(e, _where, sql);
        }
        await foreach (var row in QueryAsync(connection, sql, null, cancellationToken))
            yield return row;
    }

    /// <summary>
    /// Streams the rows of <paramref name="sql"/> run on <paramref name="connection"/> as Sluice values, read as the model's
    /// would be (the same row array, reused: copy what you keep). A planner querying its own tables reads them so.
    /// </summary>
    internal async IAsyncEnumerable<object?[]> QueryAsync(NpgsqlConnection connection, string sql, Action<NpgsqlParameterCollection>? parameters,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var columns = await DescribeAsync(connection, sql, cancellationToken, parameters);
        await using var command = new NpgsqlCommand(sql, connection)
        {
            // A model's query may take long to produce its first row; the connection's timeout is for connecting.
            CommandTimeout = 0,
            // Types without a binary reading of their own come in PostgreSQL's text form.
            UnknownResultTypeList = columns.Select(c => c.Read == PgRead.Text).ToArray(),
        };
        parameters?.Invoke(command.Parameters);
        NpgsqlDataReader reader;
        try
        {
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

    /// <summary>Runs statements of a planner of this source on <paramref name="connection"/>, its errors told as the source's.</summary>
    internal async Task ExecuteAsync(NpgsqlConnection connection, string sql, Action<NpgsqlParameterCollection>? parameters, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        parameters?.Invoke(command.Parameters);
        try
        {
            await command.ExecuteNonQueryAsync(ct);
        }
        catch (NpgsqlException e)
        {
            throw _errors.Explain(e, _where, null);
        }
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlDataSource? dataSource;
        IChangePlanner? planner;
        lock (_gate)
        {
            dataSource = _dataSource;
            _dataSource = null;
            planner = _planner;
            _planner = null;
        }
        if (planner is IAsyncDisposable disposable)
            await disposable.DisposeAsync();
        if (dataSource is not null)
            await dataSource.DisposeAsync();
    }

    /// <summary>A connection of this source's pool; errors told as the source's (never the password).</summary>
    internal async Task<NpgsqlConnection> OpenAsync(CancellationToken ct)
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

    private async Task<List<PgColumn>> DescribeAsync(NpgsqlConnection connection, string sql, CancellationToken ct,
        Action<NpgsqlParameterCollection>? parameters = null)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        parameters?.Invoke(command.Parameters);
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

using DuckDB.NET.Data;
using Sluice.Core.Configuration;
using Sluice.Core.Destinations;
using Sluice.Core.Models;
using Sluice.Sources.DuckDb;
using Sluice.State;

namespace Sluice.Engine.Tests.Support;

/// <summary>A model row of the test warehouse: key, match (email), two mapped columns and an unmapped one.</summary>
internal sealed record Row(long? Id, string Email, string? Name, long Score, string Note);

/// <summary>
/// A throw-away project folder with a DuckDB warehouse of <see cref="Row"/>s, its state, and a sync
/// wired to a <see cref="CollectingDestination"/>.
/// </summary>
internal sealed class TestProject : IAsyncDisposable
{
    private static readonly SourceLocation Here = new("sluice.yaml", 1, 1);

    private TestProject(string directory, EmbeddedState state)
    {
        Directory = directory;
        State = state;
        Engine = new RunEngine(state);
    }

    public string Directory { get; }

    public EmbeddedState State { get; }

    public RunEngine Engine { get; }

    public string Warehouse => Path.Combine(Directory, "warehouse.duckdb");

    public static async Task<TestProject> CreateAsync()
    {
        var directory = Path.Combine(Path.GetTempPath(), "sluice-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        return new TestProject(directory, await EmbeddedState.OpenAsync(directory));
    }

    public async Task WriteModelAsync(IEnumerable<Row> rows)
    {
        await using var connection = new DuckDBConnection($"Data Source={Warehouse}");
        await connection.OpenAsync();
        await using (var create = connection.CreateCommand())
        {
            create.CommandText = "CREATE OR REPLACE TABLE people (id BIGINT, email VARCHAR, name VARCHAR, score BIGINT, note VARCHAR)";
            await create.ExecuteNonQueryAsync();
        }
        using var appender = connection.CreateAppender("people");
        foreach (var row in rows)
        {
            var r = appender.CreateRow();
            if (row.Id is { } id) r.AppendValue(id); else r.AppendNullValue();
            r.AppendValue(row.Email).AppendValue(row.Name).AppendValue(row.Score).AppendValue(row.Note).EndRow();
        }
    }

    public static SyncConfig Sync(SyncMode mode, DeleteLimit? maxDeletes = null, string name = "people-sync") => new(
        name, "people", "dest", mode,
        new MappingConfig("email", "email", Here),
        [new MappingConfig("name", "name", Here), new MappingConfig("score", "score", Here)],
        Schedule.Manual, WarningsConfig.Default, maxDeletes ?? new DeleteLimit(100, true), Here, Here);

    public async Task<SyncRunRequest> RequestAsync<TDestination>(SyncConfig sync, TDestination destination)
        where TDestination : IDestination, IDestinationProvider
    {
        var model = new ModelConfig("people", "warehouse", ModelKind.User, "id", "select * from people", null, null, Here, Here);
        var source = new DuckDbSource("warehouse", Warehouse);
        var columns = await source.DescribeAsync(model.Sql, CancellationToken.None);
        return new SyncRunRequest(sync, model, source, destination, destination, columns);
    }

    public async Task<RunOutcome> RunAsync<TDestination>(SyncConfig sync, TDestination destination, RunOptions? options = null)
        where TDestination : IDestination, IDestinationProvider =>
        await Engine.RunAsync(await RequestAsync(sync, destination), options ?? new RunOptions());

    public async ValueTask DisposeAsync()
    {
        await State.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

using System.Data.Common;
using System.Runtime.CompilerServices;
using DuckDB.NET.Data;
using Sluice.Core.Configuration;
using Sluice.Core.Destinations;
using Sluice.Core.Models;
using Sluice.Core.Sources;

namespace Sluice.Sources.DuckDb;

/// <summary>The <c>duckdb</c> source type: a DuckDB database file, opened read-only.</summary>
public sealed class DuckDbSourceProvider : ISourceProvider
{
    public string Type => "duckdb";

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new("path", OptionType.String, "The DuckDB database file, relative to sluice.yaml.", Required: true),
    ];

    public ISource Create(SourceConfig config, string projectDirectory)
    {
        var path = config.Settings["path"].Value;
        return new DuckDbSource(config.Name, Path.GetFullPath(Path.Combine(projectDirectory, path)));
    }
}

/// <summary>A DuckDB file read by models' SQL. The planner attaches it to diff in place.</summary>
public sealed class DuckDbSource : ISource, IDuckDbAttachable
{
    private readonly string _name;

    public DuckDbSource(string name, string path)
    {
        _name = name;
        Path = path;
    }

    public string Path { get; }

    public string AttachStatement(string alias) =>
        $"ATTACH '{Path.Replace("'", "''", StringComparison.Ordinal)}' AS \"{alias}\" (READ_ONLY)";

    public async Task<IReadOnlyList<ModelColumn>> DescribeAsync(string sql, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = $"DESCRIBE ({sql})";
        var columns = new List<ModelColumn>();
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var type = reader.GetString(1);
                columns.Add(new ModelColumn(reader.GetString(0), DuckDbValues.KindOf(type), type));
            }
        }
        catch (DbException e)
        {
            throw new SourceException($"Source '{_name}': the model's SQL failed: {FirstLine(e.Message)}", e);
        }
        return columns;
    }

    public async IAsyncEnumerable<object?[]> ReadAsync(string sql, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var columns = await DescribeAsync(sql, cancellationToken);
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var row = new object?[columns.Count];
        while (await reader.ReadAsync(cancellationToken))
        {
            for (var i = 0; i < row.Length; i++)
                row[i] = DuckDbValues.Read(reader, i, columns[i].Kind);
            yield return row;
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private DuckDBConnection Open()
    {
        if (!File.Exists(Path))
            throw new SourceException($"Source '{_name}': the DuckDB file '{Path}' does not exist. Check the source's path in sluice.yaml.");
        var connection = new DuckDBConnection($"Data Source={Path};ACCESS_MODE=READ_ONLY");
        try
        {
            connection.Open();
        }
        catch (DbException e)
        {
            connection.Dispose();
            if (Locked(e.Message) is { } holder)
            {
                // Another process writes the file: DuckDB then lets no other process open it, not even to read.
                throw new SourceException($"Source '{_name}': the DuckDB file '{Path}' is locked by another process ({holder}).", e,
                    "DuckDB lets one process write a file and no other open it meanwhile: wait until that process is done (or close it), then run again.");
            }
            throw new SourceException($"Source '{_name}': cannot open '{Path}': {FirstLine(e.Message)}", e);
        }
        return connection;
    }

    /// <summary>"held in /usr/bin/python3 (PID 42)" when DuckDB could not lock the file, else null.</summary>
    private static string? Locked(string message)
    {
        if (!message.Contains("Could not set lock", StringComparison.OrdinalIgnoreCase))
            return null;
        var at = message.IndexOf("held in ", StringComparison.Ordinal);
        if (at < 0)
            return "it holds the file's lock";
        var end = message.IndexOf(')', at);
        return end < 0 ? "it holds the file's lock" : $"the lock is {message[at..(end + 1)]}";
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}

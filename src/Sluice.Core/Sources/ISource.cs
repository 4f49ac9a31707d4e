using Sluice.Core.Configuration;
using Sluice.Core.Destinations;
using Sluice.Core.Models;

namespace Sluice.Core.Sources;

/// <summary>A source type (duckdb, postgres): declares its options and opens sources.</summary>
public interface ISourceProvider
{
    /// <summary>The <c>type:</c> in <c>sluice.yaml</c>.</summary>
    string Type { get; }

    /// <summary>Every option of the source block, declared once (secrets flagged).</summary>
    IReadOnlyList<OptionSpec> Options { get; }

    /// <summary>Opens a source. <paramref name="projectDirectory"/> resolves relative paths.</summary>
    ISource Create(SourceConfig config, string projectDirectory);
}

/// <summary>
/// A place models are read from. Rows are streamed, never collected: a model can hold millions.
/// </summary>
public interface ISource : IAsyncDisposable
{
    /// <summary>The columns a query returns, without reading its rows. Throws <see cref="SourceException"/>.</summary>
    Task<IReadOnlyList<ModelColumn>> DescribeAsync(string sql, CancellationToken cancellationToken);

    /// <summary>
    /// Streams the rows of a query; each array is aligned with <see cref="DescribeAsync"/>'s columns and
    /// holds the .NET types listed on <see cref="ValueKind"/>. The array may be reused between rows.
    /// </summary>
    IAsyncEnumerable<object?[]> ReadAsync(string sql, CancellationToken cancellationToken);

    /// <summary>
    /// A planner that diffs where this source's data lives (a warehouse computing the diff in one statement), or null:
    /// the embedded planner then reads the model (in place when DuckDB can attach it, else streamed).
    /// </summary>
    Planning.IChangePlanner? Planner => null;
}

/// <summary>
/// A source DuckDB can read in place (a DuckDB file, Parquet...): the planner attaches it and diffs
/// inside DuckDB instead of streaming rows through .NET.
/// </summary>
public interface IDuckDbAttachable
{
    /// <summary>The statement that attaches this source read-only under <paramref name="alias"/>.</summary>
    string AttachStatement(string alias);
}

/// <summary>A source failure (can't connect, bad SQL...), with a message users can act on.</summary>
public sealed class SourceException : Exception
{
    public SourceException(string message, Exception? inner = null, string? hint = null)
        : base(message, inner)
    {
        Hint = hint;
    }

    /// <summary>What to do, when the source knows better than "check the model's SQL" (a locked file, a missing one).</summary>
    public string? Hint { get; }
}

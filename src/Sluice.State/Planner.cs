using System.Data.Common;
using System.Runtime.CompilerServices;
using DuckDB.NET.Data;
using Sluice.Core.Destinations;
using Sluice.Core.Models;
using Sluice.Core.Sources;
using Sluice.Sources.DuckDb;

namespace Sluice.State;

/// <summary>What to plan: a sync's model, its key, and the columns whose values are delivered.</summary>
/// <param name="Sync">The sync's name (its ledger).</param>
/// <param name="ModelSql">The model's query, run on the source.</param>
/// <param name="Source">The model's source; DuckDB-attachable sources are diffed in place.</param>
/// <param name="PrimaryKey">The model's primary key column.</param>
/// <param name="Match">The match column and destination identifier (hashed: a changed match is a change).</param>
/// <param name="Mappings">The mapped columns (only these, with the match, make a row "changed").</param>
/// <param name="Columns">The model's columns as the source describes them.</param>
/// <param name="FullResync">Treat every row in the ledger as changed (send everything again).</param>
public sealed record PlanRequest(
    string Sync,
    string ModelSql,
    ISource Source,
    string PrimaryKey,
    FieldMapping Match,
    IReadOnlyList<FieldMapping> Mappings,
    IReadOnlyList<ModelColumn> Columns,
    bool FullResync = false);

/// <summary>What a plan found, against the ledger.</summary>
public sealed record PlanTotals(
    long ModelRows,
    long Added,
    long Changed,
    long Removed,
    long Unchanged,
    long NullKeys,
    long DuplicateKeys,
    long DuplicateRows,
    long LedgerSize);

/// <summary>A row to send: its key, whether it was added or changed, the values, and what the ledger knows.</summary>
public sealed record ChangeRow(string Key, bool Added, object? MatchValue, object?[] Values, ulong Hash, string? DestinationId);

/// <summary>A ledger record whose key left the model.</summary>
public sealed record RemovedRow(string Key, string? DestinationId);

/// <summary>
/// Diffs a model against its sync's ledger inside DuckDB: the model's keys and value hashes are computed
/// where the data lives and joined to the ledger there, so .NET only ever sees the rows to send.
/// </summary>
public sealed class Planner
{
    private readonly StateStore _store;

    public Planner(StateStore store) => _store = store;

    public async Task<Plan> PlanAsync(PlanRequest request, CancellationToken ct = default)
    {
        await _store.CompactAsync(request.Sync, ct);
        var connection = _store.NewConnection();
        var plan = new Plan(connection, request, _store);
        try
        {
            await plan.BuildAsync(ct);
            return plan;
        }
        catch
        {
            await plan.DisposeAsync();
            throw;
        }
    }
}

/// <summary>
/// A computed plan, held in the planner's DuckDB session until disposed. Streams the rows to send and
/// the keys to delete.
/// </summary>
public sealed class Plan : IAsyncDisposable
{
    private readonly string _sourceAlias = "sluice_src_" + Guid.NewGuid().ToString("N")[..8];
    private readonly DuckDBConnection _connection;
    private readonly PlanRequest _request;
    private readonly StateStore _store;
    private readonly string _modelRelation;
    private readonly string[] _valueColumns;
    private readonly ModelColumn[] _valueKinds;
    private readonly ModelColumn _matchColumn;
    private readonly ModelColumn _keyColumn;
    private bool _attached;

    internal Plan(DuckDBConnection connection, PlanRequest request, StateStore store)
    {
        _connection = connection;
        _request = request;
        _store = store;
        _keyColumn = Find(request.PrimaryKey);
        _matchColumn = Find(request.Match.Column);
        _valueKinds = request.Mappings.Select(m => Find(m.Column)).ToArray();
        _valueColumns = _valueKinds.Select(c => Sql.Ident(c.Name)).ToArray();
        _modelRelation = $"({request.ModelSql}) AS sluice_model";
    }

    public PlanTotals Totals { get; private set; } = new(0, 0, 0, 0, 0, 0, 0, 0, 0);

    public PlanRequest Request => _request;

    private ModelColumn Find(string name) =>
        _request.Columns.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new InvalidOperationException($"The model has no column '{name}'.");

    /// <summary>The hash of what is delivered: the match and each mapped value, with the field names they go to.</summary>
    private string HashExpression(string qualifier = "")
    {
        var parts = new List<string> { Sql.Literal("match:" + _request.Match.Field), qualifier + Sql.Ident(_matchColumn.Name) };
        for (var i = 0; i < _request.Mappings.Count; i++)
        {
            parts.Add(Sql.Literal(_request.Mappings[i].Field));
            parts.Add(qualifier + _valueColumns[i]);
        }
        return $"hash({string.Join(", ", parts)})";
    }

    private string KeyExpression => $"CAST({Sql.Ident(_keyColumn.Name)} AS VARCHAR)";

    internal async Task BuildAsync(CancellationToken ct)
    {
        await _store.EnsureLedgerAsync(_request.Sync, ct);
        await _connection.ExecuteAsync("SET preserve_insertion_order = false", ct);
        if (_request.Source is not IDuckDbAttachable attachable)
            throw new NotSupportedException("Only DuckDB-attachable sources can be planned yet.");
        await _connection.ExecuteAsync(attachable.AttachStatement(_sourceAlias), ct);
        _attached = true;
        await _connection.ExecuteAsync($"USE {_sourceAlias}", ct);

        var ledger = _store.LedgerName(_request.Sync);
        var changed = _request.FullResync ? "TRUE" : "m.h <> l.hash";
        var key = Sql.Ident(_keyColumn.Name);
        try
        {
            // One pass: group on the key's own type (cheaper than on its text), then join the ledger. The
            // destination ids of the few rows to send are fetched when they are read, not carried through here.
            await _connection.ExecuteAsync($"""
                CREATE OR REPLACE TEMP TABLE sluice_plan AS
                WITH m AS (
                    SELECT CAST(k AS VARCHAR) AS key, h, n FROM (
                        SELECT {key} AS k, any_value({HashExpression()}) AS h, count(*) AS n
                        FROM {_modelRelation} GROUP BY {key}))
                SELECT coalesce(m.key, l.key) AS key,
                       CASE WHEN m.n IS NULL THEN 'R'
                            WHEN m.key IS NULL THEN 'N'
                            WHEN m.n > 1 THEN 'D'
                            WHEN l.key IS NULL THEN 'A'
                            ELSE 'C' END AS kind,
                       m.n AS n, l.key IS NOT NULL AS in_ledger
                FROM m FULL OUTER JOIN {ledger} l ON m.key = l.key
                WHERE m.n IS NULL OR m.key IS NULL OR m.n > 1 OR l.key IS NULL OR {changed};
                """, ct);
        }
        catch (DbException e)
        {
            throw new SourceException($"The model's SQL failed: {e.Message.Split('\n', 2)[0].Trim()}", e);
        }

        await using var command = _connection.CreateCommand();
        command.CommandText = $"""
            SELECT
              count(*) FILTER (WHERE kind = 'A'),
              count(*) FILTER (WHERE kind = 'C'),
              count(*) FILTER (WHERE kind = 'R'),
              coalesce(sum(n) FILTER (WHERE kind = 'N'), 0)::BIGINT,
              count(*) FILTER (WHERE kind = 'D'),
              coalesce(sum(n) FILTER (WHERE kind = 'D'), 0)::BIGINT,
              count(*) FILTER (WHERE kind = 'D' AND in_ledger),
              (SELECT count(*) FROM {ledger})
            FROM sluice_plan
            """;
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        long L(int i) => Convert.ToInt64(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture);
        var (added, changedCount, removed, nullRows, duplicateKeys, duplicateRows, duplicatesInLedger, ledgerSize) =
            (L(0), L(1), L(2), L(3), L(4), L(5), L(6), L(7));
        // Every ledger key is either unchanged, changed, removed, or now duplicated in the model.
        var unchanged = ledgerSize - changedCount - removed - duplicatesInLedger;
        var modelRows = added + changedCount + unchanged + duplicateRows + nullRows;
        Totals = new PlanTotals(modelRows, added, changedCount, removed, unchanged, nullRows, duplicateKeys, duplicateRows, ledgerSize);
    }

    /// <summary>Streams the added and changed rows, with values aligned to the mappings.</summary>
    public async IAsyncEnumerable<ChangeRow> ReadChangesAsync(
        bool includeAdded, bool includeChanged, int? limit = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var kinds = new List<string>();
        if (includeAdded) kinds.Add("'A'");
        if (includeChanged) kinds.Add("'C'");
        if (kinds.Count == 0)
            yield break;
        var values = _valueColumns.Length == 0 ? "" : ", " + string.Join(", ", _valueColumns.Select(c => "m." + c));
        await using var command = _connection.CreateCommand();
        command.CommandText = $"""
            SELECT p.key, p.kind = 'A', l.dest_id, {HashExpression("m.")}, m.{Sql.Ident(_matchColumn.Name)}{values}
            FROM (SELECT *, {KeyExpression} AS sluice_k FROM {_modelRelation}) m
            JOIN sluice_plan p ON p.key = m.sluice_k
            LEFT JOIN {_store.LedgerName(_request.Sync)} l ON l.key = p.key
            WHERE p.kind IN ({string.Join(",", kinds)})
            {(limit is { } n ? $"ORDER BY p.key LIMIT {n}" : "")}
            """;
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var row = new object?[_valueKinds.Length];
            for (var i = 0; i < row.Length; i++)
                row[i] = DuckDbValues.Normalize(reader.IsDBNull(5 + i) ? null : reader.GetValue(5 + i), _valueKinds[i].Kind);
            yield return new ChangeRow(
                reader.GetString(0),
                reader.GetBoolean(1),
                DuckDbValues.Normalize(reader.IsDBNull(4) ? null : reader.GetValue(4), _matchColumn.Kind),
                row,
                reader.GetFieldValue<ulong>(3),
                reader.IsDBNull(2) ? null : reader.GetString(2));
        }
    }

    /// <summary>Streams the ledger records whose keys left the model.</summary>
    public async IAsyncEnumerable<RemovedRow> ReadRemovedAsync(int? limit = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var command = _connection.CreateCommand();
        command.CommandText = $"""
            SELECT p.key, l.dest_id FROM sluice_plan p JOIN {_store.LedgerName(_request.Sync)} l ON l.key = p.key
            WHERE p.kind = 'R' ORDER BY p.key {(limit is { } n ? $"LIMIT {n}" : "")}
            """;
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            yield return new RemovedRow(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1));
    }

    /// <summary>The keys the model holds more than once (with how many times), and whether any key is null.</summary>
    public async IAsyncEnumerable<(string? Key, long Count)> ReadInvalidKeysAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var command = _connection.CreateCommand();
        command.CommandText = "SELECT key, n FROM sluice_plan WHERE kind IN ('N', 'D') ORDER BY key NULLS FIRST";
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            yield return (reader.IsDBNull(0) ? null : reader.GetString(0), reader.GetInt64(1));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_attached)
            {
                await _connection.ExecuteAsync($"USE {Sql.Ident(_store.Catalog)}", CancellationToken.None);
                await _connection.ExecuteAsync($"DETACH DATABASE IF EXISTS {_sourceAlias}", CancellationToken.None);
            }
        }
        catch (DbException)
        {
            // The session is going away; the attachment goes with it.
        }
        await _connection.DisposeAsync();
    }
}

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

/// <summary>
/// What a plan found, against the ledger. <see cref="InDoubt"/>: rows planned because a write of theirs was in doubt
/// (already counted as added, changed or removed); <see cref="InDoubtRemoved"/>: keys the ledger doesn't hold whose write
/// was in doubt and that left the model (a mirror deletes them too).
/// </summary>
public sealed record PlanTotals(
    long ModelRows,
    long Added,
    long Changed,
    long Removed,
    long Unchanged,
    long NullKeys,
    long DuplicateKeys,
    long DuplicateRows,
    long LedgerSize,
    long InDoubt = 0,
    long InDoubtRemoved = 0);

/// <summary>
/// A row to send: its key, whether it was added or changed, the values, and what the ledger knows: the record's id
/// and, in insert mode, the ids of every record created for this key (its earlier versions).
/// </summary>
public sealed record ChangeRow(string Key, bool Added, object? MatchValue, object?[] Values, ulong Hash, string? DestinationId,
    IReadOnlyList<string> KnownIds);

/// <summary>
/// A record to delete because its key left the model: one the ledger holds, or one whose write was in doubt when a
/// run died (it may exist; only its match value is known).
/// </summary>
public sealed record RemovedRow(string Key, string? DestinationId, string? MatchValue);

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
        var inDoubt = _store.TableName("in_doubt");
        var changed = _request.FullResync ? "TRUE" : "m.h <> l.hash";
        var key = Sql.Ident(_keyColumn.Name);
        try
        {
            // One pass: group on the key's own type (cheaper than on its text), then join the ledger and the writes in
            // doubt. A key in doubt is planned whatever its hash says: its last write may or may not have landed. A
            // delete in doubt whose row came back is added again. The destination ids of the few rows to send are
            // fetched when they are read, not carried through here.
            await _connection.ExecuteAsync($"""
                CREATE OR REPLACE TEMP TABLE sluice_plan AS
                WITH m AS (
                    SELECT CAST(k AS VARCHAR) AS key, h, n FROM (
                        SELECT {key} AS k, any_value({HashExpression()}) AS h, count(*) AS n
                        FROM {_modelRelation} GROUP BY {key})),
                d AS (SELECT key, op FROM {inDoubt} WHERE sync = {Sql.Literal(_request.Sync)}),
                j AS (
                    SELECT coalesce(m.key, l.key, d.key) AS key, m.key AS m_key, m.n AS n, m.h AS h,
                           l.key IS NOT NULL AS in_ledger, l.hash AS l_hash, d.op AS op
                    FROM m FULL OUTER JOIN {ledger} l ON m.key = l.key
                    FULL OUTER JOIN d ON d.key = coalesce(m.key, l.key))
                SELECT key, kind, n, in_ledger, op IS NOT NULL AS in_doubt FROM (
                    SELECT key, n, in_ledger, op,
                           CASE WHEN n IS NULL AND in_ledger THEN 'R'
                                WHEN n IS NULL AND op IS NOT NULL THEN 'O'
                                WHEN n IS NULL THEN NULL
                                WHEN m_key IS NULL THEN 'N'
                                WHEN n > 1 THEN 'D'
                                WHEN NOT in_ledger OR op = 'delete' THEN 'A'
                                WHEN op IS NOT NULL OR {changed.Replace("m.h", "h").Replace("l.hash", "l_hash")} THEN 'C'
                                ELSE NULL END AS kind
                    FROM j)
                WHERE kind IS NOT NULL;
                """, ct);
        }
        catch (DbException e) when (StateErrors.Classify(e.Message) is StateFailure.DiskFull or StateFailure.ReadOnly)
        {
            // The diff spills to .sluice/tmp: a full or read-only disk there is the state's problem, not the model's.
            throw StateErrors.Explain(e, _store.Path);
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
              count(*) FILTER (WHERE in_ledger),
              (SELECT count(*) FROM {ledger}),
              count(*) FILTER (WHERE in_doubt AND kind IN ('A', 'C', 'R')),
              count(*) FILTER (WHERE kind = 'O')
            FROM sluice_plan
            """;
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        long L(int i) => Convert.ToInt64(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture);
        var (added, changedCount, removed, nullRows, duplicateKeys, duplicateRows, plannedInLedger, ledgerSize) =
            (L(0), L(1), L(2), L(3), L(4), L(5), L(6), L(7));
        // Every ledger key not in the plan is unchanged; the ones in it are changed, removed, re-added or duplicated.
        var unchanged = ledgerSize - plannedInLedger;
        var modelRows = added + changedCount + unchanged + duplicateRows + nullRows;
        Totals = new PlanTotals(modelRows, added, changedCount, removed, unchanged, nullRows, duplicateKeys, duplicateRows, ledgerSize,
            L(8), L(9));
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
            SELECT p.key, p.kind = 'A', CASE WHEN p.kind = 'A' THEN NULL ELSE l.dest_id END,
                   {HashExpression("m.")}, coalesce(k.ids, []), m.{Sql.Ident(_matchColumn.Name)}{values}
            FROM (SELECT *, {KeyExpression} AS sluice_k FROM {_modelRelation}) m
            JOIN sluice_plan p ON p.key = m.sluice_k
            LEFT JOIN {_store.LedgerName(_request.Sync)} l ON l.key = p.key
            LEFT JOIN (SELECT key, list(dest_id) AS ids FROM {_store.TableName("created_ids")}
                       WHERE sync = {Sql.Literal(_request.Sync)} GROUP BY key) k ON k.key = p.key
            WHERE p.kind IN ({string.Join(",", kinds)})
            {(limit is { } n ? $"ORDER BY p.key LIMIT {n}" : "")}
            """;
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var row = new object?[_valueKinds.Length];
            for (var i = 0; i < row.Length; i++)
                row[i] = DuckDbValues.Normalize(reader.IsDBNull(6 + i) ? null : reader.GetValue(6 + i), _valueKinds[i].Kind);
            yield return new ChangeRow(
                reader.GetString(0),
                reader.GetBoolean(1),
                DuckDbValues.Normalize(reader.IsDBNull(5) ? null : reader.GetValue(5), _matchColumn.Kind),
                row,
                reader.GetFieldValue<ulong>(3),
                reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.GetFieldValue<List<string>>(4));
        }
    }

    /// <summary>
    /// Streams the records whose keys left the model: the ledger's, and with <paramref name="includeInDoubt"/> those
    /// whose write was in doubt but that the ledger doesn't hold.
    /// </summary>
    public async IAsyncEnumerable<RemovedRow> ReadRemovedAsync(int? limit = null, bool includeInDoubt = true,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var command = _connection.CreateCommand();
        command.CommandText = $"""
            SELECT p.key, l.dest_id, d.match_value FROM sluice_plan p
            LEFT JOIN {_store.LedgerName(_request.Sync)} l ON l.key = p.key
            LEFT JOIN {_store.TableName("in_doubt")} d ON d.sync = {Sql.Literal(_request.Sync)} AND d.key = p.key
            WHERE p.kind IN ('R'{(includeInDoubt ? ", 'O'" : "")}) ORDER BY p.key {(limit is { } n ? $"LIMIT {n}" : "")}
            """;
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            yield return new RemovedRow(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetString(2));
        }
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

using System.Data.Common;
using System.Runtime.CompilerServices;
using DuckDB.NET.Data;
using Sluice.Core.Models;
using Sluice.Core.Planning;
using Sluice.Core.Sources;
using Sluice.Core.State;
using Sluice.Sources.DuckDb;

namespace Sluice.State;

/// <summary>
/// Diffs a model against its sync's ledger inside DuckDB, in one evaluation of the model: its keys, value hashes and the
/// values of the rows to send are computed where the data lives and joined to the ledger there, so .NET only ever sees
/// the rows to send. A source DuckDB can attach is read in place; any other is streamed into DuckDB first.
/// </summary>
public sealed class Planner : IChangePlanner
{
    async Task<IChangePlan> IChangePlanner.PlanAsync(PlanRequest request, ISyncLedger ledger, CancellationToken ct) =>
        await PlanAsync(request, ledger, ct);

    /// <inheritdoc cref="IChangePlanner.PlanAsync"/>
    public Task<Plan> PlanAsync(PlanRequest request, ISyncLedger ledger, CancellationToken ct = default) =>
        PlanAsync(request, ledger, request.Source is IDuckDbAttachable ? PlanPath.Attached : PlanPath.Streamed, PageRows, ct);

    /// <summary>The rows a whole plan is read by per query (<see cref="Plan.DefaultPageRows"/>); tests make pages small.</summary>
    internal int PageRows { get; init; } = Plan.DefaultPageRows;

    /// <summary>Plans by the path given (tests compare them on the same data).</summary>
    internal static async Task<Plan> PlanAsync(PlanRequest request, ISyncLedger ledger, PlanPath path, int pageRows = Plan.DefaultPageRows,
        CancellationToken ct = default)
    {
        // The diff runs where the ledger is, in its DuckDB instance: another store's ledger is copied into a scratch one
        // first (deleted with the plan); commits still go to that store's ledger.
        var scratch = ledger is DuckDbLedger ? null : await ScratchLedger.CopyAsync(ledger, ct);
        var embedded = scratch ?? (DuckDbLedger)ledger;
        var plan = new Plan(embedded.NewConnection(), request, embedded) { Scratch = scratch, PageRows = pageRows };
        try
        {
            await plan.BuildAsync(path, ct);
            return plan;
        }
        catch
        {
            await plan.DisposeAsync();
            throw;
        }
    }
}

/// <summary>How the planner reads the model: attached in place, or streamed through <see cref="ISource.ReadAsync"/>.</summary>
internal enum PlanPath
{
    Attached,
    Streamed,
}

/// <summary>
/// A computed plan, held in the planner's DuckDB session until disposed: the staged model (each row's key, hash and
/// delivered values, written once) and a temporary table of the planned keys with, for the rows to send, their hash and
/// the row id of their staged values. Streams the rows to send and the keys to delete from them.
/// </summary>
public sealed class Plan : IChangePlan
{
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..8];
    private readonly DuckDBConnection _connection;
    private readonly PlanRequest _request;
    private readonly DuckDbLedger _ledger;
    private readonly ModelColumn[] _valueKinds;
    private readonly ModelColumn _matchColumn;
    private readonly ModelColumn _keyColumn;
    private string _keyType = DuckDbLedger.TextKey;
    private string? _attachedAs;
    private string? _stagedInto;
    private Stage? _stage;

    internal Plan(DuckDBConnection connection, PlanRequest request, DuckDbLedger ledger)
    {
        _connection = connection;
        _request = request;
        _ledger = ledger;
        _keyColumn = Find(request.PrimaryKey);
        _matchColumn = Find(request.Match.Column);
        _valueKinds = request.Mappings.Select(m => Find(m.Column)).ToArray();
    }

    public PlanTotals Totals { get; private set; } = new(0, 0, 0, 0, 0, 0, 0, 0, 0);

    public PlanRequest Request => _request;

    private string PlanTable => "sluice_plan_" + _suffix;

    /// <summary>The rows not sent because another row has their match value: key, the value, the key Sluice sends.</summary>
    private string DuplicateTable => "sluice_dupmatch_" + _suffix;

    private bool _matchesChecked;

    /// <summary>
    /// The model's rows as the plan holds them, one row each, read through its <c>From</c>: its key in the ledger's
    /// key type, the hash of what is delivered, the delivered values (match first, then each mapping) and a row id the
    /// plan points at. Only the narrow columns (key, hash, row id) are grouped and joined; the values stay here until read.
    /// </summary>
    /// <param name="MatchHash">The match value's hash as compared (<see cref="MatchHash(string)"/>), staged with the row.</param>
    private sealed record Stage(string From, string Key, string Hash, IReadOnlyList<string> Values, string RowId, string MatchHash);

    private ModelColumn Find(string name) =>
        _request.Columns.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new InvalidOperationException($"The model has no column '{name}'.");

    /// <summary>The hash of what is delivered: the match and each mapped value, with the field names they go to.</summary>
    private string HashExpression()
    {
        var parts = new List<string> { Sql.Literal("match:" + _request.Match.Field), Sql.Ident(_matchColumn.Name) };
        for (var i = 0; i < _request.Mappings.Count; i++)
        {
            parts.Add(Sql.Literal(_request.Mappings[i].Field));
            parts.Add(Sql.Ident(_valueKinds[i].Name));
        }
        return $"hash({string.Join(", ", parts)})";
    }

    /// <summary>A match value's text as the destination compares it (<see cref="PlanRequest.MatchComparison"/>).</summary>
    private string MatchText(string value) => _request.MatchComparison == MatchComparison.IgnoreCase
        ? $"lower(CAST({value} AS VARCHAR))"
        : $"CAST({value} AS VARCHAR)";

    /// <summary>The hash of a match value as compared (what the ledger keeps); null for a null value.</summary>
    private string MatchHash(string value) => $"CASE WHEN {value} IS NULL THEN NULL ELSE hash({MatchText(value)}) END";

    internal async Task BuildAsync(PlanPath path, CancellationToken ct)
    {
        // The session's own bounds: the planner groups and joins the whole model, which spills past the limit.
        await _connection.ExecuteAsync($"""
            SET memory_limit = {Sql.Literal(_request.ForDelivery ? DuckDbLedger.RunPlanningMemoryLimit : DuckDbLedger.MemoryLimit)};
            RESET threads;
            SET temp_directory = {Sql.Literal(_ledger.TempDirectory)};
            SET preserve_insertion_order = false;
            """, ct);
        _ledger.AtDeliveryBudget = false;
        _keyType = await _ledger.PrepareAsync(NativeKeyType(_keyColumn.SourceType), ct);
        await _ledger.CompactAsync(ct);

        Stage stage;
        try
        {
            stage = path == PlanPath.Attached ? await StageAttachedAsync(ct) : await StreamAsync(ct);
        }
        catch (DbException e)
        {
            throw Explain(e);
        }
        _stage = stage;

        var ledger = _ledger.LedgerName;
        var inDoubt = DuckDbLedger.TableName("in_doubt");
        var changed = _request.FullResync ? "TRUE" : "h <> l_hash";
        try
        {
            // The model was evaluated once, into the stage. Only narrow columns are grouped and joined: one group on the
            // key counts duplicates (the null key is a group of its own), its result joins the ledger and the writes in
            // doubt (in the ledger's key type, so without a cast); unmatched ledger rows are the removed keys. A key in
            // doubt is planned whatever its hash says: its last write may or may not have landed. A delete in doubt whose
            // row came back is added again. The rows to send keep the row id of their staged values.
            await _connection.ExecuteAsync($"""
                CREATE TEMP TABLE {PlanTable} AS
                WITH g AS (
                    SELECT {stage.Key} AS key, count(*) AS n, any_value({stage.Hash}) AS h, min({stage.RowId}) AS rid
                    FROM {stage.From} GROUP BY 1),
                d AS (SELECT {DuckDbLedger.KeyAs(_keyType, "key")} AS key, op FROM {inDoubt}
                      WHERE {DuckDbLedger.KeyAs(_keyType, "key")} IS NOT NULL
                      {DuckDbLedger.LatestPerKey()}),
                j AS (
                    SELECT coalesce(g.key, l.key) AS key, g.key IS NULL AND g.n IS NOT NULL AS null_key, coalesce(g.n, 0) AS n,
                           g.h AS h, g.rid AS rid, l.key IS NOT NULL AS in_ledger, l.hash AS l_hash
                    FROM g FULL OUTER JOIN {ledger} l ON g.key = l.key),
                k AS (
                    SELECT coalesce(j.key, d.key) AS key, coalesce(j.null_key, FALSE) AS null_key, coalesce(j.n, 0) AS n, j.h AS h,
                           j.rid AS rid, coalesce(j.in_ledger, FALSE) AS in_ledger, j.l_hash AS l_hash, d.op AS op
                    FROM j FULL OUTER JOIN d ON d.key = j.key),
                c AS (
                    SELECT *,
                           CASE WHEN n = 0 AND in_ledger THEN 'R'
                                WHEN n = 0 AND op IS NOT NULL THEN 'O'
                                WHEN n = 0 THEN NULL
                                WHEN null_key THEN 'N'
                                WHEN n > 1 THEN 'D'
                                WHEN NOT in_ledger OR op = 'delete' THEN 'A'
                                WHEN op IS NOT NULL OR {changed} THEN 'C'
                                ELSE NULL END AS kind
                    FROM k)
                SELECT CASE WHEN kind = 'N' THEN NULL ELSE key END AS key, kind, n, in_ledger, op IS NOT NULL AS in_doubt,
                       CASE WHEN kind IN ('A', 'C') THEN h END AS h, CASE WHEN kind IN ('A', 'C') THEN rid END AS rid,
                       CAST(NULL AS VARCHAR) AS dest_id
                FROM c WHERE kind IS NOT NULL;
                """, ct);
        }
        catch (DbException e)
        {
            throw Explain(e);
        }

        await CheckMatchesAsync(stage, ct);

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
              count(*) FILTER (WHERE kind = 'O'),
              count(*) FILTER (WHERE kind = 'M')
            FROM {PlanTable}
            """;
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        long L(int i) => Convert.ToInt64(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture);
        var (added, changedCount, removed, nullRows, duplicateKeys, duplicateRows, plannedInLedger, ledgerSize) =
            (L(0), L(1), L(2), L(3), L(4), L(5), L(6), L(7));
        var duplicateMatches = L(10);
        // Every ledger key not in the plan is unchanged; the ones in it are changed, removed, re-added or duplicated.
        var unchanged = ledgerSize - plannedInLedger;
        var modelRows = added + changedCount + unchanged + duplicateRows + nullRows + duplicateMatches;
        Totals = new PlanTotals(modelRows, added, changedCount, removed, unchanged, nullRows, duplicateKeys, duplicateRows, ledgerSize,
            L(8), L(9), duplicateMatches);
        await reader.DisposeAsync();
        if (changedCount + removed > 0)
        {
            // The destination ids of the changed and removed keys only: carrying every ledger row's id through the diff's
            // join would widen its largest hash table for the few keys that need one.
            await _connection.ExecuteAsync($"""
                UPDATE {PlanTable} p SET dest_id = l.dest_id FROM {ledger} l WHERE l.key = p.key AND p.kind IN ('C', 'R')
                """, ct);
        }
    }

    /// <summary>
    /// Finds the model rows the destination would merge: rows with different keys whose match values compare equal. Only
    /// values held by a row to send are checked (a group of unchanged rows changes nothing at the destination), against the
    /// whole model, so a new row taking an unchanged record's value is found. Of each group one row is sent: the one the
    /// ledger holds with that value (by the match hash it keeps; in entries from before it kept one, an unchanged hash),
    /// else the lowest key. The others become kind 'M' (not sent), unchanged ones included. The whole stage is grouped on
    /// the value's 64-bit hash once (narrow, one pass, the cost of the key's group); only the few groups of two or more
    /// are joined to the plan (do they hold a row to send?) and compared by the value itself.
    /// </summary>
    private async Task CheckMatchesAsync(Stage stage, CancellationToken ct)
    {
        if (_request.MatchIsKey
            || await _connection.ScalarAsync<long>($"SELECT count(*) FROM {PlanTable} WHERE kind IN ('A', 'C')", ct) == 0)
            return;
        var value = stage.Values[0];
        try
        {
            // Only the hashes are grouped over the whole stage; the values are read for the few rows of shared hashes.
            await _connection.ExecuteAsync($"""
                CREATE TEMP TABLE {DuplicateTable} AS
                WITH g AS (
                    SELECT mh FROM (SELECT {stage.MatchHash} AS mh FROM {stage.From} WHERE {stage.Key} IS NOT NULL)
                    WHERE mh IS NOT NULL GROUP BY mh HAVING count(*) > 1),
                shared AS MATERIALIZED (
                    SELECT key, mh, v, {MatchText("v")} AS mv
                    FROM (SELECT {stage.Key} AS key, {stage.MatchHash} AS mh, {value} AS v FROM {stage.From} WHERE {stage.Key} IS NOT NULL)
                    WHERE mh IN (SELECT mh FROM g) AND key NOT IN (SELECT key FROM {PlanTable} WHERE kind = 'D')),
                mem AS (
                    SELECT * FROM shared
                    WHERE mh IN (SELECT shared.mh FROM shared JOIN {PlanTable} p ON p.key = shared.key WHERE p.kind IN ('A', 'C'))),
                l AS (SELECT key, hash, match_hash FROM {_ledger.LedgerName} WHERE key IN (SELECT key FROM mem)),
                r AS (
                    -- An entry without a match hash holds the value when its row's hash did not change (a row not planned
                    -- is unchanged).
                    SELECT mem.key, mem.mv, mem.v,
                           l.key IS NOT NULL AND coalesce(l.match_hash = mem.mh, coalesce(p.h, l.hash) = l.hash) AS holds
                    FROM mem LEFT JOIN l ON l.key = mem.key
                    LEFT JOIN (SELECT key, h FROM {PlanTable} WHERE kind IN ('A', 'C')) p ON p.key = mem.key),
                w AS (
                    SELECT *, count(*) OVER (PARTITION BY mv) AS n,
                           first_value(key) OVER (PARTITION BY mv ORDER BY holds DESC, key) AS winner
                    FROM r)
                SELECT key, CAST(v AS VARCHAR) AS match_value, winner FROM w WHERE n > 1 AND key <> winner;
                UPDATE {PlanTable} SET kind = 'M', h = NULL, rid = NULL WHERE key IN (SELECT key FROM {DuplicateTable});
                INSERT INTO {PlanTable} (key, kind, n, in_ledger, in_doubt)
                SELECT key, 'M', 1, TRUE, FALSE FROM {DuplicateTable} WHERE key NOT IN (SELECT key FROM {PlanTable} WHERE key IS NOT NULL);
                """, ct);
        }
        catch (DbException e)
        {
            throw Explain(e);
        }
        _matchesChecked = true;
    }

    private Exception Explain(DbException e) => StateErrors.Classify(e.Message) is StateFailure.DiskFull or StateFailure.ReadOnly
            or StateFailure.OutOfMemory
        // The diff spills to .sluice/tmp: a full or read-only disk there, or DuckDB's budget, is the state's problem, not the model's.
        ? StateError(e)
        : new SourceException($"The model's SQL failed: {e.Message.Split('\n', 2)[0].Trim()}", e);

    /// <summary>
    /// The ledger's key type for a model key: integers keep an integer key (grouped and joined as such); any other type
    /// is keyed by its text, which is what the destinations and the journal see.
    /// </summary>
    private static string NativeKeyType(string? modelType) =>
        (modelType ?? "").ToUpperInvariant() switch
        {
            "TINYINT" or "SMALLINT" or "INTEGER" or "INT" or "BIGINT" or "UTINYINT" or "USMALLINT" or "UINTEGER"
                or "INT1" or "INT2" or "INT4" or "INT8" or "LONG" => "BIGINT",
            _ => DuckDbLedger.TextKey,
        };

    /// <summary>
    /// Attaches the source read-only and evaluates the model's SQL on it in place, once, into the stage: key, hash and
    /// the delivered values of every row.
    /// </summary>
    private async Task<Stage> StageAttachedAsync(CancellationToken ct)
    {
        var attachable = (IDuckDbAttachable)_request.Source;
        var alias = "sluice_src_" + _suffix;
        await _connection.ExecuteAsync(attachable.AttachStatement(alias), ct);
        _attachedAs = alias;
        await _connection.ExecuteAsync($"USE {alias}", ct);
        var values = DeliveredColumns().Select(c => Sql.Ident(c.Name)).ToList();
        var table = "sluice_stage_" + _suffix;
        // The match hash is computed in the same pass, when the match check will group on it.
        var matchHash = _request.MatchIsKey ? "" : $", {MatchHash(values[0])} AS mh";
        await _connection.ExecuteAsync($"""
            CREATE TEMP TABLE {table} AS
            SELECT CAST({Sql.Ident(_keyColumn.Name)} AS {_keyType}) AS key, {HashExpression()} AS h{matchHash}{string.Join("", values.Select((v, i) => $", {v} AS v{i}"))}
            FROM ({_request.ModelSql}) AS sluice_model
            """, ct);
        _stagedInto = table;
        return new Stage($"temp.main.{table}", "key", "h", values.Select((_, i) => $"v{i}").ToList(), "rowid", "mh");
    }

    /// <summary>The columns whose values are delivered: the match column, then each mapping's, in mapping order.</summary>
    private IEnumerable<ModelColumn> DeliveredColumns() => _valueKinds.Prepend(_matchColumn);

    /// <summary>
    /// Streams the model's rows (the key, match and mapped columns only) into a temporary table through the appender,
    /// in types DuckDB hashes the same way as the source's own when it names DuckDB types. That table is the stage.
    /// </summary>
    private async Task<Stage> StreamAsync(CancellationToken ct)
    {
        var needed = new List<ModelColumn> { _keyColumn, _matchColumn };
        needed.AddRange(_valueKinds);
        needed = needed.DistinctBy(c => c.Name, StringComparer.OrdinalIgnoreCase).ToList();
        var positions = needed.Select(c => _request.Columns.ToList().FindIndex(x => x.Name == c.Name)).ToArray();
        var staging = needed.Select(c => StagingType(c)).ToArray();
        var table = "sluice_stream_" + _suffix;
        // Positional column names: a model column named like DuckDB's rowid would otherwise hide it.
        await _connection.ExecuteAsync(
            $"CREATE TEMP TABLE {table} ({string.Join(", ", needed.Select((c, i) => $"c{i} {staging[i]}"))})", ct);
        _stagedInto = table;
        using (var appender = _connection.CreateAppender("temp", "main", table))
        {
            await foreach (var row in _request.Source.ReadAsync(_request.ModelSql, ct))
            {
                var r = appender.CreateRow();
                for (var i = 0; i < positions.Length; i++)
                {
                    try
                    {
                        Append(r, row[positions[i]], staging[i]);
                    }
                    catch (Exception e) when (e is not DbException and not OperationCanceledException)
                    {
                        throw new SourceException(
                            $"The source returned a value for column '{needed[i].Name}' ({row[positions[i]]?.GetType().Name}) that is not a {needed[i].Kind}, its declared kind.", e);
                    }
                }
                r.EndRow();
            }
        }
        var select = needed.Select((c, i) =>
        {
            var exact = ExactType(c, staging[i]);
            return exact is null ? $"c{i} AS {Sql.Ident(c.Name)}" : $"CAST(c{i} AS {exact}) AS {Sql.Ident(c.Name)}";
        });
        return new Stage($"(SELECT {string.Join(", ", select)}, rowid AS sluice_rid FROM temp.main.{table}) AS sluice_model",
            $"CAST({Sql.Ident(_keyColumn.Name)} AS {_keyType})", HashExpression(),
            DeliveredColumns().Select(c => Sql.Ident(c.Name)).ToList(), "sluice_rid", MatchHash(Sql.Ident(_matchColumn.Name)));
    }

    /// <summary>The column type rows are appended in: the .NET type of the value's kind, as DuckDB holds it.</summary>
    private static string StagingType(ModelColumn column) => column.Kind switch
    {
        ValueKind.Integer when (column.SourceType ?? "").ToUpperInvariant() is "UBIGINT" or "HUGEINT" or "UHUGEINT" => "HUGEINT",
        ValueKind.Integer => "BIGINT",
        ValueKind.Decimal when DecimalType(column.SourceType) is { } exact => exact,
        ValueKind.Decimal => "DECIMAL(38, 10)",
        ValueKind.Float => "DOUBLE",
        ValueKind.Boolean => "BOOLEAN",
        ValueKind.Date => "DATE",
        ValueKind.Time => "TIME",
        ValueKind.Timestamp => "TIMESTAMP",
        _ => "VARCHAR",
    };

    /// <summary>The source's own type when it is a DuckDB type the staged value converts to exactly; null: keep staging's.</summary>
    private static string? ExactType(ModelColumn column, string staging)
    {
        var type = (column.SourceType ?? "").ToUpperInvariant();
        if (type == staging)
            return null;
        return column.Kind switch
        {
            ValueKind.Integer when type is "TINYINT" or "SMALLINT" or "INTEGER" or "UTINYINT" or "USMALLINT" or "UINTEGER"
                or "UBIGINT" => type,
            ValueKind.Float when type is "FLOAT" or "REAL" => type,
            _ => null,
        };
    }

    private static string? DecimalType(string? type)
    {
        var t = (type ?? "").ToUpperInvariant().Replace(" ", "", StringComparison.Ordinal);
        return System.Text.RegularExpressions.Regex.IsMatch(t, @"^(DECIMAL|NUMERIC)\(\d+,\d+\)$") ? t.Replace("NUMERIC", "DECIMAL", StringComparison.Ordinal) : null;
    }

    private static void Append(IDuckDBAppenderRow row, object? value, string staging)
    {
        if (value is null)
        {
            row.AppendNullValue();
            return;
        }
        _ = (staging, value) switch
        {
            ("VARCHAR", _) => row.AppendValue(value as string ?? Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)),
            ("BIGINT", long l) => row.AppendValue(l),
            ("HUGEINT", long l) => row.AppendValue(new System.Numerics.BigInteger(l)),
            ("HUGEINT", decimal d) => row.AppendValue(new System.Numerics.BigInteger(d)),
            ("DOUBLE", double d) => row.AppendValue(d),
            ("DOUBLE", long l) => row.AppendValue((double)l),
            ("BOOLEAN", bool b) => row.AppendValue(b),
            ("DATE", DateOnly date) => row.AppendValue(date),
            ("TIME", TimeOnly time) => row.AppendValue(time),
            ("TIMESTAMP", DateTime dt) => row.AppendValue(dt),
            (_, decimal d) when staging.StartsWith("DECIMAL", StringComparison.Ordinal) => row.AppendValue(d),
            (_, long l) when staging.StartsWith("DECIMAL", StringComparison.Ordinal) => row.AppendValue((decimal)l),
            _ => throw new InvalidCastException($"{value.GetType().Name} is not appended to {staging}"),
        };
    }

    private DuckDBCommand Streaming(string sql)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        // Read chunk by chunk: a plan's rows are never all held in memory at once.
        command.UseStreamingMode = true;
        return command;
    }

    /// <summary>
    /// The rows read per query when a whole plan is read. Each page is read into memory by a short query of its own, so
    /// no read stays open while the run commits: an open read keeps every commit made after it started (the ledger's
    /// per-batch writes) in DuckDB's memory, and a long run would fill the memory limit with them.
    /// </summary>
    internal const int DefaultPageRows = 20_000;

    internal int PageRows { get; init; } = DefaultPageRows;

    /// <inheritdoc/>
    public async IAsyncEnumerable<ChangeRow> ReadChangesAsync(
        bool includeAdded, bool includeChanged, int? limit = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var kinds = new List<string>();
        if (includeAdded) kinds.Add("'A'");
        if (includeChanged) kinds.Add("'C'");
        if (kinds.Count == 0)
            yield break;
        var stage = _stage ?? throw new InvalidOperationException("The plan was not built.");
        var values = string.Join(", ", stage.Values.Select((v, i) => $"{v} AS v{i}"));
        var createdIds = $"""
            LEFT JOIN (SELECT {DuckDbLedger.KeyAs(_keyType, "key")} AS key, list(dest_id) AS ids FROM {DuckDbLedger.TableName("created_ids")}
                       GROUP BY 1) k ON k.key = p.key
            """;
        string Select(string plan, string stageFilter) => $"""
            SELECT CAST(p.key AS VARCHAR), p.kind = 'A', p.dest_id, p.h, p.ids, s.v0{string.Join("", _valueKinds.Select((_, i) => $", s.v{i + 1}"))},
                   {MatchHash("s.v0")}
            FROM ({plan}) p JOIN (SELECT {values}, {stage.RowId} AS sluice_rid FROM {stage.From}) s ON s.sluice_rid = p.rid
            {stageFilter}
            """;
        var planned = $"SELECT p.key, p.kind, p.dest_id, p.h, p.rid, coalesce(k.ids, []) AS ids FROM {PlanTable} p {createdIds} WHERE p.kind IN ({string.Join(",", kinds)})";
        if (limit is { } n)
        {
            // Samples: the first n by key, in one short query.
            foreach (var row in await ReadWholeAsync(Select($"{planned} ORDER BY p.key LIMIT {n}", "ORDER BY p.key"), ReadChange, ct))
                yield return row;
            yield break;
        }

        // The rows to send in the order of their staged values: a page's staged values are then one range of row ids,
        // which DuckDB reads without scanning the rest of the stage.
        var send = "sluice_send_" + _suffix;
        await foreach (var row in PagedAsync(send, $"{planned} ORDER BY p.rid", async (page, token) =>
        {
            var (low, high) = (await ReadWholeAsync($"SELECT min(rid), max(rid) FROM {send} WHERE {page}",
                r => (r.GetInt64(0), r.GetInt64(1)), token))[0];
            return await ReadWholeAsync(
                Select($"SELECT * FROM {send} WHERE {page}", $"WHERE s.sluice_rid >= {low} AND s.sluice_rid <= {high}"), ReadChange, token);
        }, ct))
            yield return row;
    }

    private ChangeRow ReadChange(DbDataReader reader)
    {
        var values = new object?[_valueKinds.Length];
        for (var i = 0; i < values.Length; i++)
            values[i] = DuckDbValues.Read(reader, 6 + i, _valueKinds[i].Kind);
        return new ChangeRow(
            reader.GetString(0),
            reader.GetBoolean(1),
            DuckDbValues.Normalize(reader.IsDBNull(5) ? null : reader.GetValue(5), _matchColumn.Kind),
            values,
            reader.GetFieldValue<ulong>(3),
            reader.IsDBNull(2) ? null : reader.GetString(2),
            reader.GetFieldValue<List<string>>(4),
            _request.MatchIsKey || reader.IsDBNull(6 + values.Length) ? null : reader.GetFieldValue<ulong>(6 + values.Length));
    }

    /// <summary>
    /// What <paramref name="select"/> selects, a page of <see cref="PageRows"/> at a time: copied once into the temporary
    /// table <paramref name="table"/>, in its order, then each page (a range of that table's row ids, given to
    /// <paramref name="readPage"/> as a condition) read whole by a short query of its own.
    /// </summary>
    private async IAsyncEnumerable<T> PagedAsync<T>(string table, string select, Func<string, CancellationToken, Task<List<T>>> readPage,
        [EnumeratorCancellation] CancellationToken ct)
    {
        await ExecuteOnStateAsync($"CREATE OR REPLACE TEMP TABLE {table} AS {select}", ct);
        await EnterDeliveryBudgetAsync(ct);
        try
        {
            var count = await _connection.ScalarAsync<long>($"SELECT count(*) FROM {table}", ct);
            for (long first = 0; first < count; first += PageRows)
            {
                foreach (var row in await readPage($"rowid >= {first} AND rowid < {first + PageRows}", ct))
                    yield return row;
            }
        }
        finally
        {
            await _connection.ExecuteAsync($"DROP TABLE IF EXISTS temp.main.{table}", CancellationToken.None);
        }
    }

    /// <summary>
    /// Lowers DuckDB's budget (the whole instance's: the ledger's session shares it) to <see cref="DuckDbLedger.DeliveryMemoryLimit"/>
    /// once the whole plan is being read: what is left to do is a page at a time. One thread: a page's query and a batch's
    /// commit gain nothing from more, and each thread keeps buffers of its own (the next plan resets it).
    /// </summary>
    private async Task EnterDeliveryBudgetAsync(CancellationToken ct)
    {
        if (_ledger.AtDeliveryBudget)
            return;
        try
        {
            await _connection.ExecuteAsync($"SET memory_limit = {Sql.Literal(DuckDbLedger.DeliveryMemoryLimit)}; SET threads = 1;", ct);
            _ledger.AtDeliveryBudget = true;
        }
        catch (DbException)
        {
            // DuckDB could not give back enough memory yet: the run goes on within the planning budget.
        }
    }

    private StateException StateError(DbException e) => StateErrors.Explain(e, _ledger.Path, _ledger.TempDirectory);

    /// <summary>A statement on the plan's own tables: its failure is the state's (a full disk, DuckDB's budget), not the model's.</summary>
    private async Task ExecuteOnStateAsync(string sql, CancellationToken ct)
    {
        try
        {
            await _connection.ExecuteAsync(sql, ct);
        }
        catch (DbException e)
        {
            throw StateError(e);
        }
    }

    /// <summary>
    /// Reads what a query on the plan's own tables selects, whole, so the query is over before the first row is handed out.
    /// Its failure is the state's, not the model's.
    /// </summary>
    private async Task<List<T>> ReadWholeAsync<T>(string sql, Func<DbDataReader, T> read, CancellationToken ct)
    {
        var rows = new List<T>();
        try
        {
            await using var command = _connection.CreateCommand();
            command.CommandText = sql;
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
                rows.Add(read(reader));
        }
        catch (DbException e)
        {
            throw StateError(e);
        }
        return rows;
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<RemovedRow> ReadRemovedAsync(int? limit = null, bool includeInDoubt = true,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        var removed = $"""
            SELECT CAST(p.key AS VARCHAR) AS key, p.dest_id, d.match_value FROM {PlanTable} p
            LEFT JOIN (SELECT key, match_value FROM {DuckDbLedger.TableName("in_doubt")}
                       {DuckDbLedger.LatestPerKey()}) d
                   ON {DuckDbLedger.KeyAs(_keyType, "d.key")} = p.key
            WHERE p.kind IN ('R'{(includeInDoubt ? ", 'O'" : "")}) ORDER BY p.key
            """;
        static RemovedRow Read(DbDataReader r) =>
            new(r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2));
        if (limit is { } n)
        {
            foreach (var row in await ReadWholeAsync($"{removed} LIMIT {n}", Read, ct))
                yield return row;
            yield break;
        }
        // Paged for the reason the rows to send are (PageRows).
        var table = "sluice_removed_" + _suffix;
        await foreach (var row in PagedAsync(table, removed,
            (page, token) => ReadWholeAsync($"SELECT * FROM {table} WHERE {page} ORDER BY rowid", Read, token), ct))
            yield return row;
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<(string? Key, long Count)> ReadInvalidKeysAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var command = Streaming($"SELECT CAST(key AS VARCHAR), n FROM {PlanTable} WHERE kind IN ('N', 'D') ORDER BY key NULLS FIRST");
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            yield return (reader.IsDBNull(0) ? null : reader.GetString(0), reader.GetInt64(1));
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<DuplicateMatch> ReadDuplicateMatchesAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        if (!_matchesChecked)
            yield break;
        await using var command = Streaming(
            $"SELECT CAST(key AS VARCHAR), match_value, CAST(winner AS VARCHAR) FROM {DuplicateTable} ORDER BY key");
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            yield return new DuplicateMatch(reader.GetString(0), reader.GetString(1), reader.GetString(2));
    }

    /// <summary>The scratch copy of another store's ledger this plan was made against, disposed with it.</summary>
    internal DuckDbLedger? Scratch { get; init; }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_stagedInto is not null)
                await _connection.ExecuteAsync($"DROP TABLE IF EXISTS temp.main.{_stagedInto}", CancellationToken.None);
            await _connection.ExecuteAsync($"DROP TABLE IF EXISTS temp.main.{PlanTable}", CancellationToken.None);
            await _connection.ExecuteAsync($"DROP TABLE IF EXISTS temp.main.{DuplicateTable}", CancellationToken.None);
            if (_attachedAs is not null)
            {
                await _connection.ExecuteAsync($"USE {DuckDbLedger.CatalogName}", CancellationToken.None);
                await _connection.ExecuteAsync($"DETACH DATABASE IF EXISTS {_attachedAs}", CancellationToken.None);
            }
        }
        catch (DbException)
        {
            // The session is going away; its tables and the attachment go with it.
        }
        await _connection.DisposeAsync();
        if (Scratch is not null)
            await Scratch.DisposeAsync();
    }
}

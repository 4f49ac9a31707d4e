using System.Runtime.CompilerServices;
using Npgsql;
using Sluice.Core.Models;
using Sluice.Core.Planning;
using Sluice.Sources.Postgres;

namespace Sluice.State.Postgres.Warehouse;

/// <summary>
/// A plan computed inside PostgreSQL, held in two temporary tables of its session until disposed: the stage (the model
/// evaluated once: row id, key as text, PostgreSQL's hash of what is delivered, and the values sent) and the plan (the
/// planned keys with their kind, narrow). Only the rows to send, deletes and invalid keys are read out.
/// </summary>
internal sealed class WarehousePlan : IChangePlan
{
    private const string Stage = "sluice_stage";
    private const string PlanTable = "sluice_plan";
    private const string DuplicateTable = "sluice_dupmatch";

    private readonly PostgresWarehouse _warehouse;
    private readonly NpgsqlConnection _connection;
    private readonly ModelColumn _key;
    private readonly ModelColumn _match;
    private readonly ModelColumn[] _mapped;
    private bool _matchesChecked;

    public WarehousePlan(PostgresWarehouse warehouse, NpgsqlConnection connection, PlanRequest request)
    {
        _warehouse = warehouse;
        _connection = connection;
        Request = request;
        _key = Find(request.PrimaryKey);
        _match = Find(request.Match.Column);
        _mapped = request.Mappings.Select(m => Find(m.Column)).ToArray();
    }

    public PlanRequest Request { get; }

    public PlanTotals Totals { get; private set; } = new(0, 0, 0, 0, 0, 0, 0, 0, 0);

    private string T(string table) => $"{Pg.Ident(_warehouse.Schema)}.{Pg.Ident(table)}";

    private ModelColumn Find(string name) =>
        Request.Columns.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new InvalidOperationException($"The model has no column '{name}'.");

    /// <summary>Keys in the order the embedded planner gives them: numbers as numbers, text byte by byte.</summary>
    private string KeyOrder(string column) => _key.Kind == ValueKind.Integer ? $"{column}::numeric" : $"{column} COLLATE \"C\"";

    /// <summary>
    /// PostgreSQL's 64-bit hash of the text of a row of the match and each mapped value, with the fields they go to: a
    /// renamed field or a changed value changes it. The session's settings below fix how values print.
    /// </summary>
    private string HashExpression()
    {
        var parts = new List<string> { Literal("match:" + Request.Match.Field), Pg.Ident(_match.Name) };
        for (var i = 0; i < Request.Mappings.Count; i++)
        {
            parts.Add(Literal(Request.Mappings[i].Field));
            parts.Add(Pg.Ident(_mapped[i].Name));
        }
        return $"hashtextextended(ROW({string.Join(", ", parts)})::text, 0)";
    }

    /// <summary>A match value's text as the destination compares it (as the embedded planner's).</summary>
    private string MatchText(string value) => Request.MatchComparison == MatchComparison.IgnoreCase ? $"lower(({value})::text)" : $"({value})::text";

    /// <summary>The hash of a match value as compared (what the ledger keeps); null for a null value.</summary>
    private string MatchHash(string value) => $"CASE WHEN {value} IS NULL THEN NULL ELSE hashtextextended({MatchText(value)}, 0) END";

    private static string Literal(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'::text";

    private Task ExecuteAsync(string sql, CancellationToken ct) =>
        _warehouse.Source.ExecuteAsync(_connection, sql, p => p.AddWithValue("sync", Request.Sync), ct);

    public async Task BuildAsync(CancellationToken ct)
    {
        // Values print the same way in every session, so their hashes do too.
        await ExecuteAsync("""
            SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'iso_8601';
            SET extra_float_digits = 1; SET bytea_output = 'hex'
            """, ct);

        var values = new List<string> { Pg.Ident(_match.Name) };
        values.AddRange(_mapped.Select(c => Pg.Ident(c.Name)));
        // One evaluation of the model: key, hash and the values that may be sent, in a table of this session.
        await ExecuteAsync($"""
            CREATE TEMP TABLE {Stage} AS
            SELECT row_number() OVER () AS rid, ({Pg.Ident(_key.Name)})::text AS key, {HashExpression()} AS h
                   {string.Join("", values.Select((v, i) => $", {v} AS v{i}"))}
            FROM ({Request.ModelSql}) AS sluice_model
            """, ct);

        var changed = Request.FullResync ? "TRUE" : "h <> l_hash";
        // The diff, on narrow columns only: one group on the key counts duplicates, the full joins with the ledger and the
        // writes in doubt classify each key exactly as the embedded planner does (its Planner.BuildAsync).
        await ExecuteAsync($"""
            CREATE TEMP TABLE {PlanTable} AS
            WITH r AS (SELECT key, count(*) AS n, min(h) AS h, min(rid) AS rid FROM {Stage} GROUP BY key),
            l AS (SELECT key, hash, dest_id FROM {T("ledger")} WHERE sync = @sync),
            d AS (SELECT DISTINCT ON (key) key, op FROM {T("in_doubt")} WHERE sync = @sync ORDER BY key, run_id DESC, batch DESC),
            k AS (SELECT coalesce(r.key, l.key) AS key, r.n IS NOT NULL AND r.key IS NULL AS null_key, coalesce(r.n, 0) AS n, r.h, r.rid,
                         l.key IS NOT NULL AS in_ledger, l.hash AS l_hash, l.dest_id
                  FROM r FULL JOIN l ON r.key = l.key),
            j AS (SELECT coalesce(k.key, d.key) AS key, coalesce(k.null_key, FALSE) AS null_key, coalesce(k.n, 0) AS n, k.h, k.rid,
                         coalesce(k.in_ledger, FALSE) AS in_ledger, k.l_hash, k.dest_id, d.op
                  FROM k FULL JOIN d ON d.key = k.key),
            c AS (SELECT *, CASE WHEN n = 0 AND in_ledger THEN 'R'
                                 WHEN n = 0 AND op IS NOT NULL THEN 'O'
                                 WHEN n = 0 THEN NULL
                                 WHEN null_key THEN 'N'
                                 WHEN n > 1 THEN 'D'
                                 WHEN NOT in_ledger OR op = 'delete' THEN 'A'
                                 WHEN op IS NOT NULL OR {changed} THEN 'C'
                                 ELSE NULL END AS kind
                  FROM j)
            SELECT CASE WHEN kind = 'N' THEN NULL ELSE key END AS key, kind, n, in_ledger, op IS NOT NULL AS in_doubt,
                   CASE WHEN kind IN ('A', 'C') THEN h END AS h, CASE WHEN kind IN ('C', 'R') THEN dest_id END AS dest_id,
                   CASE WHEN kind IN ('A', 'C') THEN rid END AS rid
            FROM c WHERE kind IS NOT NULL
            """, ct);

        await CheckMatchesAsync(ct);

        long[] t = [];
        await foreach (var row in _warehouse.Source.QueryAsync(_connection, $"""
            SELECT count(*) FILTER (WHERE kind = 'A'), count(*) FILTER (WHERE kind = 'C'), count(*) FILTER (WHERE kind = 'R'),
                   coalesce(sum(n) FILTER (WHERE kind = 'N'), 0)::bigint, count(*) FILTER (WHERE kind = 'D'),
                   coalesce(sum(n) FILTER (WHERE kind = 'D'), 0)::bigint, count(*) FILTER (WHERE in_ledger),
                   (SELECT count(*) FROM {T("ledger")} WHERE sync = @sync),
                   count(*) FILTER (WHERE in_doubt AND kind IN ('A', 'C', 'R')), count(*) FILTER (WHERE kind = 'O'),
                   count(*) FILTER (WHERE kind = 'M')
            FROM {PlanTable}
            """, p => p.AddWithValue("sync", Request.Sync), ct))
        {
            t = row.Select(v => Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        }
        var (added, changedCount, removed, nullRows, duplicateKeys, duplicateRows, plannedInLedger, ledgerSize) =
            (t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7]);
        // Every ledger key not in the plan is unchanged (as in the embedded planner).
        var unchanged = ledgerSize - plannedInLedger;
        Totals = new PlanTotals(added + changedCount + unchanged + duplicateRows + nullRows + t[10], added, changedCount, removed, unchanged,
            nullRows, duplicateKeys, duplicateRows, ledgerSize, t[8], t[9], t[10]);
    }

    /// <summary>
    /// The embedded planner's check of rows the destination would merge (its Planner.CheckMatchesAsync), in PostgreSQL:
    /// values held by a row to send, against the whole model; the ledger's holder of the value, else the lowest key, is sent;
    /// the others become kind 'M'.
    /// </summary>
    private async Task CheckMatchesAsync(CancellationToken ct)
    {
        if (Request.MatchIsKey)
            return;
        await ExecuteAsync($"""
            CREATE TEMP TABLE {DuplicateTable} AS
            WITH sent AS (
                SELECT DISTINCT {MatchHash("s.v0")} AS mh FROM {PlanTable} p JOIN {Stage} s ON s.rid = p.rid WHERE p.kind IN ('A', 'C')),
            m AS (
                SELECT * FROM (SELECT key, {MatchHash("v0")} AS mh, v0 FROM {Stage}) x
                WHERE mh IN (SELECT mh FROM sent WHERE mh IS NOT NULL) AND key IS NOT NULL
                  AND key NOT IN (SELECT key FROM {PlanTable} WHERE kind = 'D')),
            g AS (SELECT mh FROM m GROUP BY mh HAVING count(*) > 1),
            mem AS (SELECT key, mh, v0, {MatchText("v0")} AS mv FROM m WHERE mh IN (SELECT mh FROM g)),
            l AS (SELECT key, hash, match_hash FROM {T("ledger")} WHERE sync = @sync AND key IN (SELECT key FROM mem)),
            r AS (
                SELECT mem.key, mem.mv, mem.v0,
                       l.key IS NOT NULL AND coalesce(l.match_hash = mem.mh, coalesce(p.h, l.hash) = l.hash) AS holds
                FROM mem LEFT JOIN l ON l.key = mem.key
                LEFT JOIN (SELECT key, h FROM {PlanTable} WHERE kind IN ('A', 'C')) p ON p.key = mem.key),
            w AS (
                SELECT *, count(*) OVER (PARTITION BY mv) AS n,
                       first_value(key) OVER (PARTITION BY mv ORDER BY holds DESC, {KeyOrder("key")}) AS winner
                FROM r)
            SELECT key, (v0)::text AS match_value, winner FROM w WHERE n > 1 AND key <> winner;
            UPDATE {PlanTable} SET kind = 'M', h = NULL, rid = NULL WHERE key IN (SELECT key FROM {DuplicateTable});
            INSERT INTO {PlanTable} (key, kind, n, in_ledger, in_doubt)
            SELECT key, 'M', 1, TRUE, FALSE FROM {DuplicateTable} d
            WHERE NOT EXISTS (SELECT 1 FROM {PlanTable} p WHERE p.key = d.key)
            """, ct);
        _matchesChecked = true;
    }

    public async IAsyncEnumerable<ChangeRow> ReadChangesAsync(bool includeAdded, bool includeChanged, int? limit = null,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        var kinds = new List<string>();
        if (includeAdded) kinds.Add("'A'");
        if (includeChanged) kinds.Add("'C'");
        if (kinds.Count == 0)
            yield break;
        var values = string.Join("", Enumerable.Range(0, _mapped.Length + 1).Select(i => $", s.v{i}"));
        var sql = $"""
            SELECT p.key, p.kind = 'A', p.dest_id, p.h, k.ids{values}, {MatchHash("s.v0")}
            FROM {PlanTable} p JOIN {Stage} s ON s.rid = p.rid
            LEFT JOIN (SELECT key, json_agg(dest_id ORDER BY dest_id) AS ids FROM {T("created_ids")} WHERE sync = @sync GROUP BY key) k
                   ON k.key = p.key
            WHERE p.kind IN ({string.Join(",", kinds)})
            {(limit is { } n ? $"ORDER BY {KeyOrder("p.key")} LIMIT {n}" : "")}
            """;
        await foreach (var row in _warehouse.Source.QueryAsync(_connection, sql, p => p.AddWithValue("sync", Request.Sync), ct))
        {
            var mapped = new object?[_mapped.Length];
            Array.Copy(row, 6, mapped, 0, mapped.Length);
            var matchHash = Request.MatchIsKey || row[^1] is not long m ? (ulong?)null : unchecked((ulong)m);
            yield return new ChangeRow((string)row[0]!, (bool)row[1]!, row[5], mapped, unchecked((ulong)(long)row[3]!),
                (string?)row[2], Ids(row[4]), matchHash);
        }
    }

    /// <summary>
    /// The created ids, read as the JSON array PostgreSQL aggregated them into; null (no created id, nearly every row) is the
    /// one shared empty list, so a row to send costs no parse and no list of its own.
    /// </summary>
    private static IReadOnlyList<string> Ids(object? value) =>
        value is string json ? System.Text.Json.JsonSerializer.Deserialize<List<string>>(json) ?? NoIds : NoIds;

    private static readonly IReadOnlyList<string> NoIds = [];

    public async IAsyncEnumerable<RemovedRow> ReadRemovedAsync(int? limit = null, bool includeInDoubt = true,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        var sql = $"""
            SELECT p.key, p.dest_id, d.match_value FROM {PlanTable} p
            LEFT JOIN (SELECT DISTINCT ON (key) key, match_value FROM {T("in_doubt")} WHERE sync = @sync ORDER BY key, run_id DESC, batch DESC) d
                   ON d.key = p.key
            WHERE p.kind IN ('R'{(includeInDoubt ? ", 'O'" : "")}) ORDER BY {KeyOrder("p.key")} {(limit is { } n ? $"LIMIT {n}" : "")}
            """;
        await foreach (var row in _warehouse.Source.QueryAsync(_connection, sql, p => p.AddWithValue("sync", Request.Sync), ct))
            yield return new RemovedRow((string)row[0]!, (string?)row[1], (string?)row[2]);
    }

    public async IAsyncEnumerable<(string? Key, long Count)> ReadInvalidKeysAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        var sql = $"SELECT key, n FROM {PlanTable} WHERE kind IN ('N', 'D') ORDER BY {KeyOrder("key")} NULLS FIRST";
        await foreach (var row in _warehouse.Source.QueryAsync(_connection, sql, null, ct))
            yield return ((string?)row[0], Convert.ToInt64(row[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    public async IAsyncEnumerable<DuplicateMatch> ReadDuplicateMatchesAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        if (!_matchesChecked)
            yield break;
        var sql = $"SELECT key, match_value, winner FROM {DuplicateTable} ORDER BY {KeyOrder("key")}";
        await foreach (var row in _warehouse.Source.QueryAsync(_connection, sql, null, ct))
            yield return new DuplicateMatch((string)row[0]!, (string)row[1]!, (string)row[2]!);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await using var drop = new NpgsqlCommand($"DROP TABLE IF EXISTS {PlanTable}; DROP TABLE IF EXISTS {Stage}; DROP TABLE IF EXISTS {DuplicateTable}", _connection);
            await drop.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            // The session is going away; its temporary tables go with it.
        }
        await _connection.DisposeAsync();
    }
}

using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Sluice.Emulators.Salesforce.Schema;
using Sluice.Emulators.Salesforce.Store;

namespace Sluice.Emulators.Salesforce.Http;

/// <summary>Open query cursors for <c>nextRecordsUrl</c> paging.</summary>
internal sealed class QueryCursors
{
    private readonly ConcurrentDictionary<string, Cursor> _cursors = new(StringComparer.Ordinal);
    private long _next;

    public sealed record Cursor(IReadOnlyList<SRecord> Records, IReadOnlyList<string> Fields);

    public string Open(Cursor cursor)
    {
        var id = "01g5E" + Interlocked.Increment(ref _next).ToString("D10", CultureInfo.InvariantCulture) + "AAA";
        _cursors[id] = cursor;
        return id;
    }

    public bool TryGet(string id, out Cursor cursor) => _cursors.TryGetValue(id, out cursor!);

    public void Close(string id) => _cursors.TryRemove(id, out _);

    public void Reset() => _cursors.Clear();
}

/// <summary>
/// <c>GET /query?q=</c>: SELECT fields or COUNT(), FROM one object, WHERE with =, !=, &lt;, &gt;, IN, NOT IN, LIKE, AND, OR,
/// NOT and parentheses, ORDER BY (ASC/DESC, NULLS FIRST/LAST), LIMIT and OFFSET (<see cref="SoqlParser"/>). Anything
/// else is 400 MALFORMED_QUERY.
/// </summary>
internal static class QueryEndpoints
{
    public static void Map(WebApplication app, SfState state)
    {
        app.MapGet(Routes.Data + "/query", (HttpContext c) => QueryAsync(c, state));
        app.MapGet(Routes.Data + "/queryAll", (HttpContext c) => QueryAsync(c, state));
        app.MapGet(Routes.Data + "/query/{locator}", (HttpContext c) => MoreAsync(c, state));
        app.MapGet(Routes.Data + "/queryAll/{locator}", (HttpContext c) => MoreAsync(c, state));
    }

    private static Task QueryAsync(HttpContext context, SfState state)
    {
        var soql = context.Request.Query["q"].ToString();
        if (soql.Length == 0)
            return JsonOut.ErrorAsync(context, new ApiError(400, "MALFORMED_QUERY", "unexpected token: <EOF>"));
        var query = SoqlParser.Parse(soql, state, out var error);
        if (query is null)
            return JsonOut.ErrorAsync(context, error!);
        // A single = or IN uses the store's lookup (indexes, the field's own case rule); anything else filters.
        var records = query.Where switch
        {
            null => [.. state.Store.All(query.Schema.Name)],
            SoqlComparison { Op: "=" or "IN" } c => state.Store.Find(query.Schema, c.Field, c.Values),
            var condition => state.Store.All(query.Schema.Name).Where(condition.Matches).ToList(),
        };
        if (query.OrderBy.Count > 0)
            records.Sort((a, b) => Order(query.OrderBy, a, b));
        if (query.Offset is { } skip)
            records = [.. records.Skip(skip)];
        if (query.Limit is { } n && records.Count > n)
            records = records.GetRange(0, n);
        if (query.Count)
        {
            // COUNT() answers the number alone, with no records.
            return JsonOut.WriteAsync(context, 200, w =>
            {
                w.WriteStartObject();
                w.WriteNumber("totalSize", records.Count);
                w.WriteBoolean("done", true);
                w.WritePropertyName("records");
                w.WriteStartArray();
                w.WriteEndArray();
                w.WriteEndObject();
            });
        }
        return WritePageAsync(context, state, new QueryCursors.Cursor(records, query.Fields), 0, cursorId: null);
    }

    private static int Order(List<SoqlOrder> order, SRecord a, SRecord b)
    {
        foreach (var o in order)
        {
            var x = o.Field.Name == "Id" ? a.Id : a.Values.GetValueOrDefault(o.Field.Name);
            var y = o.Field.Name == "Id" ? b.Id : b.Values.GetValueOrDefault(o.Field.Name);
            int c;
            if (x is null || y is null)
                c = x is null && y is null ? 0 : (x is null) == o.NullsLast ? 1 : -1;
            else
                c = o.Descending ? SoqlValues.Compare(y, x) : SoqlValues.Compare(x, y);
            if (c != 0)
                return c;
        }
        return string.CompareOrdinal(a.Id, b.Id);
    }

    private static Task MoreAsync(HttpContext context, SfState state)
    {
        var locator = (string)context.Request.RouteValues["locator"]!;
        var dash = locator.LastIndexOf('-');
        if (dash < 0 || !int.TryParse(locator.AsSpan(dash + 1), CultureInfo.InvariantCulture, out var start)
            || !state.Queries.TryGet(locator[..dash], out var cursor))
        {
            return JsonOut.ErrorAsync(context, new ApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator"));
        }
        return WritePageAsync(context, state, cursor, start, locator[..dash]);
    }

    private static Task WritePageAsync(HttpContext context, SfState state, QueryCursors.Cursor cursor, int start, string? cursorId)
    {
        var size = state.Options.QueryBatchSize;
        var end = Math.Min(cursor.Records.Count, start + size);
        var done = end >= cursor.Records.Count;
        string? next = null;
        if (!done)
        {
            cursorId ??= state.Queries.Open(cursor);
            next = $"/services/data/v{Routes.Version(context)}/query/{cursorId}-{end}";
        }
        else if (cursorId is not null)
        {
            state.Queries.Close(cursorId);
        }
        var version = Routes.Version(context);
        return JsonOut.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteNumber("totalSize", cursor.Records.Count);
            w.WriteBoolean("done", done);
            if (next is not null)
                w.WriteString("nextRecordsUrl", next);
            w.WritePropertyName("records");
            w.WriteStartArray();
            for (var i = start; i < end; i++)
                JsonOut.WriteRecord(w, cursor.Records[i], version, cursor.Fields);
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }
}

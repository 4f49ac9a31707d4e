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
/// <c>GET /query?q=</c> with the SOQL a sync needs for reconciliation:
/// <c>SELECT f1, f2 FROM Object [WHERE Field = 'v' | WHERE Field IN ('a','b')] [LIMIT n]</c>.
/// Anything else is 400 MALFORMED_QUERY.
/// </summary>
internal static partial class QueryEndpoints
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
        var parsed = Parse(soql, state, out var error);
        if (parsed is null)
            return JsonOut.ErrorAsync(context, error!);
        var (schema, fields, where, values, limit) = parsed.Value;
        List<SRecord> records;
        if (where is null)
            records = [.. state.Store.All(schema.Name)];
        else
            records = state.Store.Find(schema, where, values);
        if (limit is { } n && records.Count > n)
            records = records.GetRange(0, n);
        return WritePageAsync(context, state, new QueryCursors.Cursor(records, fields), 0, cursorId: null);
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

    private static (SObjectSchema Schema, List<string> Fields, FieldSchema? Where, List<object?> Values, int? Limit)? Parse(
        string soql, SfState state, out ApiError? error)
    {
        error = null;
        var m = Select().Match(soql);
        if (!m.Success)
        {
            error = Malformed(soql);
            return null;
        }
        var objectName = m.Groups["obj"].Value;
        if (!state.Catalog.TryGet(objectName, out var schema))
        {
            error = new ApiError(400, "INVALID_TYPE",
                $"\n{soql}\n^\nERROR at Row:1:Column:1\nsObject type '{objectName}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.");
            return null;
        }
        var fields = new List<string>();
        foreach (var raw in m.Groups["fields"].Value.Split(','))
        {
            var name = raw.Trim();
            if (!Identifier().IsMatch(name))
            {
                error = Malformed(soql);
                return null;
            }
            if (!schema.FieldsByName.TryGetValue(name, out var f))
            {
                error = NoSuchColumn(soql, name, schema.Name);
                return null;
            }
            fields.Add(f.Name);
        }
        int? limit = m.Groups["limit"].Success ? int.Parse(m.Groups["limit"].Value, CultureInfo.InvariantCulture) : null;
        if (!m.Groups["where"].Success)
            return (schema, fields, null, [], limit);

        var where = Where().Match(m.Groups["where"].Value.Trim());
        if (!where.Success)
        {
            error = Malformed(soql);
            return null;
        }
        if (!schema.FieldsByName.TryGetValue(where.Groups["field"].Value, out var field))
        {
            error = NoSuchColumn(soql, where.Groups["field"].Value, schema.Name);
            return null;
        }
        var literals = where.Groups["value"].Success ? [where.Groups["value"].Value] : SplitList(where.Groups["list"].Value);
        if (literals is null)
        {
            error = Malformed(soql);
            return null;
        }
        var values = new List<object?>(literals.Count);
        foreach (var literal in literals)
        {
            if (!TryLiteral(field, literal, out var value))
            {
                error = Malformed(soql);
                return null;
            }
            values.Add(value);
        }
        return (schema, fields, field, values, limit);
    }

    private static bool TryLiteral(FieldSchema field, string literal, out object? value)
    {
        value = null;
        if (literal.Equals("null", StringComparison.OrdinalIgnoreCase))
            return true;
        string text;
        if (literal.StartsWith('\''))
        {
            var sb = new StringBuilder(literal.Length);
            for (var i = 1; i < literal.Length - 1; i++)
            {
                if (literal[i] == '\\' && i + 1 < literal.Length - 1)
                {
                    i++;
                    sb.Append(literal[i] switch { 'n' => '\n', 't' => '\t', 'r' => '\r', var c => c });
                }
                else
                {
                    sb.Append(literal[i]);
                }
            }
            text = sb.ToString();
        }
        else
        {
            text = literal;
        }
        if (field.Type is "id" or "reference")
        {
            value = SalesforceId.TryNormalize(text, out var id) ? id : text;
            return true;
        }
        if (field.IsText)
        {
            value = text;
            return true;
        }
        // Numbers, booleans, dates: compare in the stored form; an unparsable literal matches nothing.
        value = Values.FromText(field, text, out var typed) is null ? typed : text;
        return true;
    }

    private static List<string>? SplitList(string list)
    {
        var items = new List<string>();
        var i = 0;
        while (i < list.Length)
        {
            while (i < list.Length && char.IsWhiteSpace(list[i]))
                i++;
            if (i >= list.Length)
                break;
            int start = i;
            if (list[i] == '\'')
            {
                i++;
                while (i < list.Length && list[i] != '\'')
                    i += list[i] == '\\' ? 2 : 1;
                if (i >= list.Length)
                    return null;
                i++;
            }
            else
            {
                while (i < list.Length && list[i] != ',' && !char.IsWhiteSpace(list[i]))
                    i++;
            }
            items.Add(list[start..i]);
            while (i < list.Length && char.IsWhiteSpace(list[i]))
                i++;
            if (i < list.Length)
            {
                if (list[i] != ',')
                    return null;
                i++;
            }
        }
        return items.Count == 0 ? null : items;
    }

    private static ApiError Malformed(string soql) =>
        new(400, "MALFORMED_QUERY", $"\n{soql}\n^\nERROR at Row:1:Column:1\nunexpected token: the emulator supports SELECT fields FROM Object [WHERE Field = value | Field IN (...)] [LIMIT n]");

    private static ApiError NoSuchColumn(string soql, string field, string objectName) =>
        new(400, "INVALID_FIELD",
            $"\n{soql}\n^\nERROR at Row:1:Column:1\nNo such column '{field}' on entity '{objectName}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.");

    [GeneratedRegex(@"^\s*SELECT\s+(?<fields>[\w\s,]+?)\s+FROM\s+(?<obj>\w+)(?:\s+WHERE\s+(?<where>.+?))?(?:\s+LIMIT\s+(?<limit>\d{1,9}))?\s*$",
        RegexOptions.IgnoreCase | RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex Select();

    [GeneratedRegex(@"^(?<field>\w+)\s*(?:=\s*(?<value>'(?:[^'\\]|\\.)*'|null|true|false|-?\d+(?:\.\d+)?|\d{4}-\d\d-\d\d)|\s+IN\s*\((?<list>.*)\))$",
        RegexOptions.IgnoreCase | RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex Where();

    [GeneratedRegex(@"^\w+$")]
    private static partial Regex Identifier();
}

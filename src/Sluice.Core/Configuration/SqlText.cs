using System.Text.RegularExpressions;

namespace Sluice.Core.Configuration;

/// <summary>The SQL the loader writes for <c>table:</c> models and segments.</summary>
internal static partial class SqlText
{
    // Words that must be quoted to be used as a table name in DuckDB and PostgreSQL.
    private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase)
    {
        "all", "and", "as", "asc", "by", "case", "cast", "check", "column", "constraint", "create", "default",
        "desc", "distinct", "do", "else", "end", "except", "false", "for", "foreign", "from", "grant", "group",
        "having", "in", "intersect", "into", "join", "limit", "not", "null", "offset", "on", "or", "order",
        "primary", "references", "select", "table", "then", "to", "true", "union", "unique", "user", "using",
        "when", "where", "window", "with",
    };

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex PlainIdentifier();

    /// <summary><c>select * from name</c>, quoting each dotted part that is not a plain identifier.</summary>
    public static string SelectFromTable(string table)
    {
        table = table.Trim();

        // Already quoted by the user: trust it.
        if (table.Contains('"', StringComparison.Ordinal))
        {
            return $"select * from {table}";
        }

        var parts = table.Split('.').Select(p => PlainIdentifier().IsMatch(p) && !Reserved.Contains(p) ? p : $"\"{p}\"");
        return $"select * from {string.Join('.', parts)}";
    }

    /// <summary>A segment's query: the base query filtered.</summary>
    public static string Segment(string baseSql, string filter)
    {
        // A trailing "-- comment" in the base query would swallow the closing parenthesis.
        var inner = baseSql.Contains("--", StringComparison.Ordinal) ? $"\n{baseSql}\n" : baseSql;
        return $"select * from ({inner}) as sluice_base where {filter.Trim()}";
    }

    /// <summary>A query as written, without surrounding blanks or trailing semicolons (it gets wrapped).</summary>
    public static string Clean(string sql) => sql.Trim().TrimEnd(';').TrimEnd();
}

using System.Security.Cryptography;
using System.Text;
using DuckDB.NET.Data;

namespace Sluice.State;

/// <summary>Small helpers for writing DuckDB SQL safely.</summary>
internal static class Sql
{
    public static string Ident(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    public static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>A table name for a sync's ledger in the older one-file layout.</summary>
    public static string LedgerTable(string sync) => "ledger_" + SafeName(sync);

    /// <summary>The file of a sync's ledger (<c>.sluice/syncs/</c>).</summary>
    public static string LedgerFile(string sync) => SafeName(sync) + ".duckdb";

    /// <summary>A sync's name as a file or table name: readable, and unique even when names differ only in punctuation or case.</summary>
    private static string SafeName(string sync)
    {
        var safe = new string(sync.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '_').ToArray());
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sync)))[..8];
        return $"{safe}_{hash}";
    }

    public static async Task<int> ExecuteAsync(this DuckDBConnection connection, string sql, CancellationToken ct, params object?[] args)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var arg in args)
            command.Parameters.Add(new DuckDBParameter(arg ?? DBNull.Value));
        return await command.ExecuteNonQueryAsync(ct);
    }

    public static async Task<T?> ScalarAsync<T>(this DuckDBConnection connection, string sql, CancellationToken ct, params object?[] args)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var arg in args)
            command.Parameters.Add(new DuckDBParameter(arg ?? DBNull.Value));
        var value = await command.ExecuteScalarAsync(ct);
        return value is null or DBNull ? default : (T)Convert.ChangeType(value, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }
}

using System.Security.Cryptography;
using System.Text;
using DuckDB.NET.Data;

namespace Sluice.State;

/// <summary>Small helpers for writing DuckDB SQL safely.</summary>
internal static class Sql
{
    public static string Ident(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    public static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>A table name for a sync's ledger: readable, and unique even when names differ only in punctuation.</summary>
    public static string LedgerTable(string sync)
    {
        var safe = new string(sync.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '_').ToArray());
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sync)))[..8];
        return $"ledger_{safe}_{hash}";
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

using System.Data.Common;
using System.Globalization;
using System.Numerics;
using System.Text;
using DuckDB.NET.Native;
using Sluice.Core.Models;

namespace Sluice.Sources.DuckDb;

/// <summary>Maps DuckDB types and values to Sluice's <see cref="ValueKind"/>s and their .NET types.</summary>
public static class DuckDbValues
{
    public static ValueKind KindOf(string duckDbType)
    {
        var t = duckDbType.ToUpperInvariant();
        var paren = t.IndexOf('(', StringComparison.Ordinal);
        var baseType = paren >= 0 ? t[..paren] : t;
        return baseType switch
        {
            "VARCHAR" or "TEXT" or "STRING" or "CHAR" or "BPCHAR" or "UUID" or "ENUM" => ValueKind.Text,
            "TINYINT" or "SMALLINT" or "INTEGER" or "INT" or "BIGINT" or "HUGEINT" or "UTINYINT" or "USMALLINT"
                or "UINTEGER" or "UBIGINT" or "UHUGEINT" or "INT1" or "INT2" or "INT4" or "INT8" => ValueKind.Integer,
            "DECIMAL" or "NUMERIC" => ValueKind.Decimal,
            "DOUBLE" or "FLOAT" or "REAL" or "FLOAT4" or "FLOAT8" => ValueKind.Float,
            "BOOLEAN" or "BOOL" => ValueKind.Boolean,
            "DATE" => ValueKind.Date,
            "TIME" => ValueKind.Time,
            _ when baseType.StartsWith("TIMESTAMP", StringComparison.Ordinal) => ValueKind.Timestamp,
            _ => ValueKind.Other,
        };
    }

    /// <summary>
    /// Reads one value of a row. INTERVALs are read as DuckDB's own (months, days, microseconds): the TimeSpan that
    /// GetValue makes of them throws for any interval with months.
    /// </summary>
    public static object? Read(DbDataReader reader, int ordinal, ValueKind kind)
    {
        if (reader.IsDBNull(ordinal))
            return null;
        if (kind == ValueKind.Other && string.Equals(reader.GetDataTypeName(ordinal), "Interval", StringComparison.OrdinalIgnoreCase))
            return Iso8601(reader.GetFieldValue<DuckDBInterval>(ordinal));
        return Normalize(reader.GetValue(ordinal), kind);
    }

    /// <summary>An interval as ISO 8601 duration text: P1Y2M3DT4H5M6.5S, PT0S for zero.</summary>
    // DuckDB.NET declares the fields unsigned; DuckDB stores them signed (intervals can be negative).
    public static string Iso8601(DuckDBInterval interval) =>
        Iso8601(unchecked((int)interval.Months), unchecked((int)interval.Days), unchecked((long)interval.Micros));

    private static string Iso8601(long months, long days, long micros) => IntervalText.Iso8601(months, days, micros);

    /// <summary>Converts a value read from DuckDB to the .NET type of its kind (see <see cref="ValueKind"/>).</summary>
    public static object? Normalize(object? value, ValueKind kind) => value switch
    {
        null or DBNull => null,
        string s => s,
        long l => l,
        int i => (long)i,
        short s16 => (long)s16,
        sbyte s8 => (long)s8,
        byte u8 => (long)u8,
        ushort u16 => (long)u16,
        uint u32 => (long)u32,
        ulong u64 => u64 <= long.MaxValue ? (long)u64 : (decimal)u64,
        // HUGEINT/UHUGEINT beyond decimal's 28 digits (the cast threw, failing the run) are kept as their digits.
        BigInteger big => big >= long.MinValue && big <= long.MaxValue ? (long)big
            : big >= (BigInteger)decimal.MinValue && big <= (BigInteger)decimal.MaxValue ? (decimal)big
            : big.ToString(CultureInfo.InvariantCulture),
        decimal d => d,
        double d => d,
        float f => (double)f,
        bool b => b,
        DateOnly date => date,
        DateTime dt when kind == ValueKind.Date => DateOnly.FromDateTime(dt),
        DateTime dt => dt,
        DateTimeOffset dto => dto.UtcDateTime,
        TimeOnly t => t,
        // DuckDB hands TIME and INTERVAL both as TimeSpan; an interval can exceed a day, so it is sent as text.
        TimeSpan ts when kind == ValueKind.Time && ts >= TimeSpan.Zero && ts < TimeSpan.FromDays(1) => TimeOnly.FromTimeSpan(ts),
        TimeSpan ts => Iso8601(0, ts.Days, (ts.Ticks - (ts.Days * TimeSpan.TicksPerDay)) / 10),
        DuckDBInterval interval => Iso8601(interval),
        Guid g => g.ToString(),
        // LIST, STRUCT, MAP and BLOB have no field type of their own in destinations: they are sent as text
        // (JSON, base64), never as the .NET type's name.
        byte[] bytes => Convert.ToBase64String(bytes),
        Stream stream => Base64(stream),
        System.Collections.IDictionary or System.Collections.IList => System.Text.Json.JsonSerializer.Serialize(Plain(value)),
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture),
    };

    private static string Base64(Stream stream)
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return Convert.ToBase64String(copy.ToArray());
    }

    /// <summary>A nested value as plain lists and string-keyed dictionaries of JSON-friendly leaves.</summary>
    private static object? Plain(object? value) => value switch
    {
        null or DBNull => null,
        string or bool or long or int or short or sbyte or byte or ushort or uint or ulong or decimal => value,
        double d => double.IsFinite(d) ? d : d.ToString(System.Globalization.CultureInfo.InvariantCulture),
        float f => float.IsFinite(f) ? f : f.ToString(System.Globalization.CultureInfo.InvariantCulture),
        System.Collections.IDictionary map => map.Keys.Cast<object>().ToDictionary(
            k => Convert.ToString(k, System.Globalization.CultureInfo.InvariantCulture) ?? "", k => Plain(map[k])),
        System.Collections.IList list => list.Cast<object?>().Select(Plain).ToList(),
        _ => Normalize(value, ValueKind.Other),
    };
}

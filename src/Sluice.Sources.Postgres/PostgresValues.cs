using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using Npgsql.PostgresTypes;
using NpgsqlTypes;
using Sluice.Core.Models;

namespace Sluice.Sources.Postgres;

/// <summary>How one PostgreSQL type is read: its Sluice kind and the .NET value it becomes (see docs/sources/postgres.md).</summary>
internal enum PgRead
{
    Long,
    Decimal,
    Double,
    Boolean,
    Date,
    Timestamp,
    Time,
    String,
    Uuid,
    Bytes,
    Interval,
    Array,

    /// <summary>json and jsonb: the document's text (nested as JSON inside an array).</summary>
    Json,

    /// <summary>Read in PostgreSQL's text format: the server's own text of the value.</summary>
    Text,
}

/// <summary>A model column as read: its Sluice column and how its values are read.</summary>
internal sealed record PgColumn(ModelColumn Column, PgRead Read, PgRead Element = PgRead.Text);

/// <summary>
/// Maps PostgreSQL types to Sluice's <see cref="ValueKind"/>s and reads their values as the .NET type of the kind, the
/// same values the DuckDB source gives for the same kind (destinations see one shape whatever the source).
/// </summary>
internal static class PostgresValues
{
    public static PgColumn Resolve(string name, PostgresType type, string displayName)
    {
        if (type is PostgresDomainType domain)
            return Resolve(name, domain.BaseType, displayName);
        if (type is PostgresArrayType array)
        {
            var element = ReadOf(array.Element is PostgresDomainType d ? d.BaseType : array.Element);
            // An array of a type read in text form (inet[], an enum's...) is sent as PostgreSQL's array text.
            return new PgColumn(new ModelColumn(name, ValueKind.Other, displayName),
                element is PgRead.Text or PgRead.Array or PgRead.Interval or PgRead.Bytes ? PgRead.Text : PgRead.Array, element);
        }

        var read = ReadOf(type);
        var kind = read switch
        {
            PgRead.Long => ValueKind.Integer,
            PgRead.Decimal => ValueKind.Decimal,
            PgRead.Double => ValueKind.Float,
            PgRead.Boolean => ValueKind.Boolean,
            PgRead.Date => ValueKind.Date,
            PgRead.Timestamp => ValueKind.Timestamp,
            PgRead.Time => ValueKind.Time,
            PgRead.String or PgRead.Uuid => ValueKind.Text,
            _ when type is PostgresEnumType || type.InternalName is "char" or "citext" => ValueKind.Text,
            _ => ValueKind.Other,
        };
        return new PgColumn(new ModelColumn(name, kind, displayName), read);
    }

    private static PgRead ReadOf(PostgresType type) => type is not PostgresBaseType ? PgRead.Text : type.InternalName switch
    {
        "int2" or "int4" or "int8" => PgRead.Long,
        "numeric" => PgRead.Decimal,
        "float4" or "float8" => PgRead.Double,
        "bool" => PgRead.Boolean,
        "date" => PgRead.Date,
        "timestamp" or "timestamptz" => PgRead.Timestamp,
        "time" => PgRead.Time,
        "text" or "varchar" or "bpchar" or "name" => PgRead.String,
        "json" or "jsonb" => PgRead.Json,
        "uuid" => PgRead.Uuid,
        "bytea" => PgRead.Bytes,
        "interval" => PgRead.Interval,
        _ => PgRead.Text,
    };

    /// <summary>Reads a non-null value of <paramref name="column"/> (the reader is sequential: each column once, in order).</summary>
    public static object Read(NpgsqlDataReader reader, int ordinal, PgColumn column) => column.Read switch
    {
        PgRead.Long => reader.GetFieldValue<long>(ordinal),
        PgRead.Decimal => reader.GetFieldValue<decimal>(ordinal),
        PgRead.Double => reader.GetFieldValue<double>(ordinal),
        PgRead.Boolean => reader.GetFieldValue<bool>(ordinal),
        PgRead.Date => reader.GetFieldValue<DateOnly>(ordinal),
        // timestamptz comes as UTC, timestamp as written (unspecified zone): the DuckDB source's shapes.
        PgRead.Timestamp => reader.GetFieldValue<DateTime>(ordinal),
        PgRead.Time => reader.GetFieldValue<TimeOnly>(ordinal),
        PgRead.Uuid => reader.GetFieldValue<Guid>(ordinal).ToString(),
        PgRead.Bytes => Convert.ToBase64String(reader.GetFieldValue<byte[]>(ordinal)),
        PgRead.Interval => Interval(reader.GetFieldValue<NpgsqlInterval>(ordinal)),
        PgRead.Array => JsonSerializer.Serialize(Plain(reader.GetValue(ordinal), column.Element)),
        _ => reader.GetFieldValue<string>(ordinal),
    };

    /// <summary>An interval as every source sends one: ISO 8601 duration text (<c>P1DT2H3M4.5S</c>).</summary>
    public static string Interval(NpgsqlInterval interval) => IntervalText.Iso8601(interval.Months, interval.Days, interval.Time);

    /// <summary>An array's elements as JSON-friendly values, nested for several dimensions (DuckDB's LIST shape).</summary>
    private static object? Plain(object value, PgRead element)
    {
        if (value is not Array array)
            return Element(value, element);
        return Nest(array, 0, new int[array.Rank], element);
    }

    private static List<object?> Nest(Array array, int dimension, int[] index, PgRead element)
    {
        var list = new List<object?>();
        for (var i = array.GetLowerBound(dimension); i <= array.GetUpperBound(dimension); i++)
        {
            index[dimension] = i;
            list.Add(dimension == array.Rank - 1 ? Element(array.GetValue(index), element) : Nest(array, dimension + 1, index, element));
        }

        return list;
    }

    private static object? Element(object? value, PgRead element) => value switch
    {
        null or DBNull => null,
        short or int or long => Convert.ToInt64(value, CultureInfo.InvariantCulture),
        double d => double.IsFinite(d) ? d : d.ToString(CultureInfo.InvariantCulture),
        float f => float.IsFinite(f) ? f : f.ToString(CultureInfo.InvariantCulture),
        DateTime dt when element == PgRead.Date => DateOnly.FromDateTime(dt),
        TimeSpan ts => ts.ToString("c", CultureInfo.InvariantCulture),
        TimeOnly t => t.ToTimeSpan().ToString("c", CultureInfo.InvariantCulture),
        Guid g => g.ToString(),
        byte[] bytes => Convert.ToBase64String(bytes),
        // json[] elements are documents: nested as JSON, not as strings holding JSON.
        string s when element == PgRead.Json => JsonNode.Parse(s),
        _ => value,
    };
}

using System.Globalization;
using System.Text;
using System.Text.Json;
using Sluice.Destinations.Salesforce.Schema;

namespace Sluice.Destinations.Salesforce.Formats;

/// <summary>
/// Writes model values the way Salesforce reads them: date <c>yyyy-MM-dd</c>, datetime ISO 8601 in UTC with Z,
/// JSON booleans and numbers, and in Bulk CSV <c>#N/A</c> for null.
/// </summary>
internal static class Values
{
    public const string CsvNull = "#N/A";

    /// <summary>Null when the value can be written; else why not (non-finite numbers have no JSON or CSV form).</summary>
    public static string? Problem(object? value) => value switch
    {
        double d when !double.IsFinite(d) => "is not a finite number",
        float f when !float.IsFinite(f) => "is not a finite number",
        _ => null,
    };

    /// <summary>
    /// Null when Salesforce's JSON reader takes the value for the field; else why not. A value it cannot read fails
    /// the whole Collections request (JSON_PARSER_ERROR), so it is caught here and refused alone.
    /// </summary>
    public static string? Misfit(object value, PlannedField field)
    {
        if (Problem(value) is { } problem)
            return problem;
        switch (field.Shape)
        {
            case ValueShape.Number when value is not (long or int or short or decimal or double or float):
                return $"a {field.SfType} field takes numbers, not {Describe(value)}";
            case ValueShape.Number when field.SfType.Equals("int", StringComparison.OrdinalIgnoreCase):
                var whole = Convert.ToDecimal(value, CultureInfo.InvariantCulture);
                if (whole != decimal.Truncate(whole))
                    return "an int field takes whole numbers only";
                return whole is < int.MinValue or > int.MaxValue ? "an int field holds -2,147,483,648 to 2,147,483,647" : null;
            case ValueShape.Number when field.SfType.Equals("long", StringComparison.OrdinalIgnoreCase):
                var big = Convert.ToDecimal(value, CultureInfo.InvariantCulture);
                return big != decimal.Truncate(big) || big is < long.MinValue or > long.MaxValue ? "a long field takes whole numbers within 64 bits" : null;
            case ValueShape.Boolean when value is not bool:
                return $"a boolean field takes true or false, not {Describe(value)}";
            case ValueShape.Date or ValueShape.DateTime when value is not (DateOnly or DateTime or DateTimeOffset):
                return $"a {field.SfType} field takes dates, not {Describe(value)}";
            case ValueShape.Time when value is not TimeOnly:
                return $"a time field takes times of day, not {Describe(value)}";
            default:
                return null;
        }
    }

    private static string Describe(object value) => value switch
    {
        string => "text",
        bool => "a boolean",
        long or int or short or decimal or double or float => "a number",
        DateOnly or DateTime or DateTimeOffset => "a date",
        TimeOnly => "a time",
        _ => value.GetType().Name,
    };

    /// <summary>A short, safe rendering of a value for a message.</summary>
    public static string Shown(object value)
    {
        var text = Text(value, ValueShape.Text);
        return "'" + (text.Length > 40 ? text[..40] + "…" : text) + "'";
    }

    public static void WriteJson(Utf8JsonWriter writer, object? value, ValueShape shape)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                return;
            case string s when shape != ValueShape.Number:
                writer.WriteStringValue(s);
                return;
            case bool b:
                writer.WriteBooleanValue(b);
                return;
            case long l when shape == ValueShape.Number:
                writer.WriteNumberValue(l);
                return;
            case int i when shape == ValueShape.Number:
                writer.WriteNumberValue(i);
                return;
            case decimal m when shape == ValueShape.Number:
                writer.WriteNumberValue(m);
                return;
            case double d when shape == ValueShape.Number:
                writer.WriteNumberValue(d);
                return;
            case float f when shape == ValueShape.Number:
                writer.WriteNumberValue(f);
                return;
            default:
                writer.WriteStringValue(Text(value, shape));
                return;
        }
    }

    /// <summary>The text form of a value for a field of this shape (CSV cells, SOQL literals, lookups).</summary>
    public static string Text(object value, ValueShape shape) => value switch
    {
        string s => s,
        bool b => b ? "true" : "false",
        DateOnly d when shape == ValueShape.DateTime => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + "T00:00:00.000Z",
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateTime t when shape == ValueShape.Date => Utc(t).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateTime t => Utc(t).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        DateTimeOffset o when shape == ValueShape.Date => o.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateTimeOffset o => o.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        TimeOnly t => t.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture) + "Z",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>A CSV cell's raw text (before quoting); empty text also becomes null so an update clears the field.</summary>
    public static string Csv(object? value, ValueShape shape) =>
        value is null || value is string { Length: 0 } ? CsvNull : Text(value, shape);

    /// <summary>A SOQL literal for a WHERE clause.</summary>
    public static string Soql(object value, ValueShape shape)
    {
        if (shape is ValueShape.Number or ValueShape.Boolean or ValueShape.Date or ValueShape.DateTime && value is not string)
            return Text(value, shape);
        var text = Text(value, shape);
        var sb = new StringBuilder(text.Length + 2).Append('\'');
        foreach (var c in text)
        {
            switch (c)
            {
                case '\'': sb.Append("\\'"); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '"': sb.Append("\\\""); break;
                default: sb.Append(c); break;
            }
        }
        return sb.Append('\'').ToString();
    }

    /// <summary>
    /// A comparable key for a match value, so a value sent and the same value read back from a query (where
    /// numbers may come back as 12.0 for 12) compare equal.
    /// </summary>
    public static string MatchKey(object value, ValueShape shape)
    {
        if (shape == ValueShape.Number)
        {
            var text = value is string s ? s : Text(value, shape);
            if (decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var m))
                return m.ToString("G29", CultureInfo.InvariantCulture);
            return text;
        }
        return value is string str ? str : Text(value, shape);
    }

    /// <summary>The match key of a field read from a query answer.</summary>
    public static string? MatchKey(JsonElement element, ValueShape shape) => element.ValueKind switch
    {
        JsonValueKind.String => MatchKey(element.GetString()!, shape),
        JsonValueKind.Number => element.TryGetDecimal(out var m) ? MatchKey(m, ValueShape.Number) : element.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => null,
    };

    private static DateTime Utc(DateTime t) => t.Kind switch
    {
        DateTimeKind.Local => t.ToUniversalTime(),
        DateTimeKind.Unspecified => DateTime.SpecifyKind(t, DateTimeKind.Utc),
        _ => t,
    };
}

using System.Globalization;

namespace Sluice.Destinations.Actito;

/// <summary>
/// Actito's documented value formats: dates <c>yyyy-MM-dd</c>, timestamps <c>yyyy-MM-dd HH:mm:ss</c>,
/// numbers with '.', booleans <c>true</c>/<c>false</c>. The same text goes into JSON and CSV.
/// </summary>
internal static class ValueFormat
{
    private const string DatePattern = "yyyy-MM-dd";
    private const string TimestampPattern = "yyyy-MM-dd HH:mm:ss";

    public static string? Format(object? value, FieldFormat format = FieldFormat.Natural)
    {
        switch (value)
        {
            case null:
                return null;
            case string s:
                return s;
            case DateTime dt:
                return format == FieldFormat.Date ? dt.ToString(DatePattern, CultureInfo.InvariantCulture) : dt.ToString(TimestampPattern, CultureInfo.InvariantCulture);
            case DateTimeOffset dto:
                return Format(dto.UtcDateTime, format);
            case DateOnly d:
                return format == FieldFormat.Timestamp
                    ? d.ToDateTime(TimeOnly.MinValue).ToString(TimestampPattern, CultureInfo.InvariantCulture)
                    : d.ToString(DatePattern, CultureInfo.InvariantCulture);
            case TimeOnly t:
                return t.ToString("HH:mm:ss", CultureInfo.InvariantCulture);
            case bool b:
                return b ? "true" : "false";
            case double d:
                return FormatDouble(d);
            case float f:
                return FormatDouble(f);
            case IFormattable formattable:
                return formattable.ToString(null, CultureInfo.InvariantCulture);
            default:
                return value.ToString();
        }
    }

    // Doubles print without exponent whenever decimal can hold them, since Actito's numeric format is plain digits and '.'.
    private static string FormatDouble(double d)
    {
        if (double.IsFinite(d) && Math.Abs(d) < 7.9e27)
        {
            try
            {
                return ((decimal)d).ToString(CultureInfo.InvariantCulture);
            }
            catch (OverflowException)
            {
            }
        }
        return d.ToString("R", CultureInfo.InvariantCulture);
    }
}

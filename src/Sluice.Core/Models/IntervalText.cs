using System.Globalization;
using System.Text;

namespace Sluice.Core.Models;

/// <summary>
/// An SQL interval (months, days and microseconds: a month has no fixed length) as ISO 8601 duration text, the one
/// form every source sends intervals in: <c>P1Y2M3DT4H5M6.5S</c>, <c>PT0S</c> for zero.
/// </summary>
public static class IntervalText
{
    public static string Iso8601(long months, long days, long micros)
    {
        var text = new StringBuilder("P");
        if (months / 12 != 0)
            text.Append(CultureInfo.InvariantCulture, $"{months / 12}Y");
        if (months % 12 != 0)
            text.Append(CultureInfo.InvariantCulture, $"{months % 12}M");
        if (days != 0)
            text.Append(CultureInfo.InvariantCulture, $"{days}D");
        if (micros != 0 || text.Length == 1)
        {
            text.Append('T');
            var hours = micros / 3_600_000_000;
            var minutes = micros / 60_000_000 % 60;
            var seconds = micros % 60_000_000 / 1_000_000m;
            if (hours != 0)
                text.Append(CultureInfo.InvariantCulture, $"{hours}H");
            if (minutes != 0)
                text.Append(CultureInfo.InvariantCulture, $"{minutes}M");
            if (seconds != 0 || (hours == 0 && minutes == 0))
                text.Append(seconds.ToString("0.######", CultureInfo.InvariantCulture)).Append('S');
        }
        return text.ToString();
    }
}

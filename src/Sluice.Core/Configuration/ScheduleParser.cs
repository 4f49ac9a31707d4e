using System.Globalization;
using System.Text.RegularExpressions;
using Cronos;

namespace Sluice.Core.Configuration;

/// <summary>Reads <c>schedule:</c>: manual, every &lt;n&gt;s/m/h/d (seconds for demos and tests: at least 5), a 5-field cron expression, or after &lt;sync&gt;.</summary>
internal static partial class ScheduleParser
{
    public const string Forms = "manual, every <n>s (at least 5), every <n>m, every <n>h, every <n>d, a 5-field cron expression such as '0 6 * * *', or after <sync>";

    [GeneratedRegex(@"^every\s+(\d+)\s*([smhd])$", RegexOptions.IgnoreCase)]
    private static partial Regex Every();

    [GeneratedRegex(@"^after\s+(\S+)$")]
    private static partial Regex After();

    /// <summary>The schedule, or null with the reason it is not one.</summary>
    public static Schedule? Parse(string text, TimeZoneInfo timeZone, out string? error)
    {
        error = null;
        text = text.Trim();
        if (text.Length == 0 || text == "manual")
        {
            return Schedule.Manual;
        }

        if (After().Match(text) is { Success: true } after)
        {
            return new AfterSchedule(after.Groups[1].Value);
        }

        if (text.StartsWith("every", StringComparison.OrdinalIgnoreCase))
        {
            var m = Every().Match(text);
            var unit = m.Success ? char.ToLowerInvariant(m.Groups[2].Value[0]) : ' ';
            // Seconds are for demos and tests; under 5 a run would hardly finish before the next is due.
            if (!m.Success || !int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < (unit == 's' ? 5 : 1))
            {
                error = $"'{text}' is not an interval: write every <n>m, every <n>h or every <n>d with n of at least 1 (or every <n>s with n of at least 5)";
                return null;
            }

            return new IntervalSchedule(unit switch
            {
                's' => TimeSpan.FromSeconds(n),
                'm' => TimeSpan.FromMinutes(n),
                'h' => TimeSpan.FromHours(n),
                _ => TimeSpan.FromDays(n),
            });
        }

        var fields = text.Split(' ', '\t').Count(f => f.Length > 0);
        if (fields == 5 || text.StartsWith('@'))
        {
            try
            {
                return new CronSchedule(text, CronExpression.Parse(text, CronFormat.Standard), timeZone);
            }
            catch (CronFormatException e)
            {
                error = $"'{text}' is not a valid cron expression ({e.Message.TrimEnd('.')})";
                return null;
            }
        }

        error = $"'{text}' is not a schedule";
        return null;
    }
}

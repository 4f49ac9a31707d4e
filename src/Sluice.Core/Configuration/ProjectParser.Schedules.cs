using YamlDotNet.RepresentationModel;

namespace Sluice.Core.Configuration;

// A sync's schedule and time zone, and the `after` chains between syncs.
internal sealed partial class ProjectParser
{
    private Schedule? ParseSchedule(YamlMappingNode map, string where, out YamlNode? afterNode)
    {
        afterNode = null;
        var timeZone = TimeZoneInfo.Utc;
        var zoneNode = Get(map, "schedule_timezone");
        var zoneOk = true;
        if (zoneNode is not null && Scalar(zoneNode, $"the schedule_timezone of {where}") is { } zone)
        {
            try
            {
                timeZone = TimeZoneInfo.FindSystemTimeZoneById(zone.Text.Trim());
            }
            catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
            {
                Add(zoneNode, $"the schedule_timezone of {where} is {zone.Shown}, which is not a known time zone",
                    "Write an IANA time zone name such as Europe/Brussels or America/New_York (default: UTC).");
                zoneOk = false;
            }
        }

        if (Get(map, "schedule") is not { } node)
        {
            if (zoneNode is not null)
            {
                Add(zoneNode, $"{where} has a schedule_timezone but no schedule", "Add a cron schedule, or remove schedule_timezone.");
            }

            return Schedule.Manual;
        }

        if (Scalar(node, $"the schedule of {where}") is not { } value)
        {
            return null;
        }

        var schedule = ScheduleParser.Parse(value.Text, timeZone, out var error);
        if (schedule is null)
        {
            Add(node, $"the schedule of {where} is invalid: {error}", $"Write one of: {ScheduleParser.Forms}.");
            return null;
        }

        if (zoneNode is not null && zoneOk && schedule is not CronSchedule)
        {
            Add(zoneNode, $"schedule_timezone only applies to a cron schedule, and the schedule of {where} is '{schedule}'",
                "Remove schedule_timezone, or use a cron expression.");
        }

        if (schedule is AfterSchedule)
        {
            afterNode = node;
        }

        return schedule;
    }

    private void CheckAfter(List<(string Sync, string Target, YamlNode Node)> after, IReadOnlyList<string> syncNames)
    {
        var next = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (sync, target, node) in after)
        {
            if (!syncNames.Contains(target, StringComparer.Ordinal))
            {
                var others = syncNames.Where(n => n != sync).ToList();
                Add(node, $"sync '{sync}' runs after sync '{target}', which does not exist{Suggestions.DidYouMean(target, others)}",
                    $"Use one of the syncs of this project: {Suggestions.List(others)}.");
            }
            else
            {
                next[sync] = target;
            }
        }

        var reported = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (sync, _, node) in after)
        {
            if (reported.Contains(sync))
            {
                continue;
            }

            var chain = new List<string> { sync };
            var current = sync;
            while (next.TryGetValue(current, out var target) && !reported.Contains(target))
            {
                if (target == sync)
                {
                    chain.Add(target);
                    Add(node, $"sync '{sync}' runs after itself: {string.Join(" -> ", chain)}",
                        "Give one of these syncs a schedule of its own (every <n>m, cron or manual).");
                    reported.UnionWith(chain);
                    break;
                }

                if (chain.Contains(target))
                {
                    break; // a cycle further down the chain: reported when its own members are checked
                }

                chain.Add(target);
                current = target;
            }
        }
    }
}

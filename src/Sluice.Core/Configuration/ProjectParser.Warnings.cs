using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Sluice.Core.Configuration;

// A sync's warnings (warnings.md) and who hears them.
internal sealed partial class ProjectParser
{
    private static readonly string[] WarningKeys = ["on_failure", "rejected_rows_percent", "on_empty_model", "on_mirror_guard", "row_count_change_percent",
        "not_succeeded_hours", "notify"];

    private WarningsConfig ParseWarnings(YamlMappingNode map, string where, IReadOnlyList<string> notificationNames)
    {
        var defaults = WarningsConfig.Default;
        if (Get(map, "warnings") is not { } node || IsNull(node))
        {
            return defaults;
        }

        var what = $"the warnings of {where}";
        if (AsMapping(node, what) is not { } warnings)
        {
            return defaults;
        }

        CheckKeys(warnings, WarningKeys, what);
        bool Flag(string key, bool fallback)
        {
            if (Get(warnings, key) is not { } flagNode || Scalar(flagNode, $"{key} in {what}") is not { } value)
            {
                return fallback;
            }

            if (Bool(value.Text.Trim()) is { } b)
            {
                return b;
            }

            Add(flagNode, ParserMessages.NotTrueOrFalse($"{key} in {what}", value.Shown), ParserMessages.TrueOrFalseHint);
            return fallback;
        }

        // A number within bounds, or null (with a problem naming the key) when it is written wrong.
        double? Number(string key, double max, string hint)
        {
            if (Get(warnings, key) is not { } numberNode || Scalar(numberNode, $"{key} in {what}") is not { } n || n.Text.Trim().Length == 0)
            {
                return null;
            }

            if (double.TryParse(n.Text.Trim().TrimEnd('%'), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= 0 && v <= max)
            {
                return v;
            }

            Add(numberNode, $"{key} in {what} must be a number from 0 to {max.ToString(CultureInfo.InvariantCulture)}, not {n.Shown}", hint);
            return null;
        }

        var percent = Number("rejected_rows_percent", 100, "Write the share of rejected rows above which to warn, e.g. rejected_rows_percent: 5.");
        var rowCountChange = Number("row_count_change_percent", 1_000_000,
            "Write by how much (in percent) the model's row count may move between two successful runs, e.g. row_count_change_percent: 20.");
        var hours = Number("not_succeeded_hours", 24 * 366,
            "Write after how many hours without a successful run to warn, e.g. not_succeeded_hours: 24.");

        var notify = new List<string>();
        if (Get(warnings, "notify") is { } notifyNode && !IsNull(notifyNode))
        {
            IEnumerable<YamlNode> items = notifyNode is YamlSequenceNode seq ? seq.Children : [notifyNode];
            foreach (var item in items)
            {
                if (Scalar(item, $"notify in {what}") is not { } n)
                {
                    continue;
                }

                var name = n.Text.Trim();
                if (notificationNames.Contains(name, StringComparer.Ordinal))
                {
                    notify.Add(name);
                }
                else
                {
                    Add(item, $"{what} notify '{name}', which is not a notification{Suggestions.DidYouMean(name, notificationNames)}",
                        notificationNames.Count == 0
                            ? "Declare it under notifications: with a webhook and/or an email."
                            : $"Use one of the notifications of this project: {Suggestions.List(notificationNames)}.");
                }
            }
        }

        return new WarningsConfig(
            Flag("on_failure", defaults.OnFailure),
            percent,
            Flag("on_empty_model", defaults.OnEmptyModel),
            Flag("on_mirror_guard", defaults.OnMirrorGuard),
            notify)
        {
            RowCountChangePercent = rowCountChange,
            NotSucceededFor = hours is { } h ? TimeSpan.FromHours(h) : null,
        };
    }
}

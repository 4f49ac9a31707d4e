using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Sluice.Core.Configuration;

// Notification channels: a webhook and/or an email address.
internal sealed partial class ProjectParser
{
    private static readonly string[] NotificationKeys = ["webhook", "email"];

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    private static partial Regex EmailAddress();

    private Dictionary<string, NotificationConfig> ParseNotifications(YamlMappingNode? section)
    {
        var result = new Dictionary<string, NotificationConfig>(StringComparer.Ordinal);
        foreach (var (name, keyNode, value) in Entries(section))
        {
            var where = $"notification '{name}'";
            if (AsMapping(value, where) is not { } map)
            {
                continue;
            }

            CheckKeys(map, NotificationKeys, where);
            string? webhook = null;
            string? email = null;
            var unresolved = new List<UnresolvedSetting>();

            // A variable that is not set fails only a run that warns through this channel.
            ResolvedValue? Deferred(YamlNode node, string key)
            {
                var missing = new List<ConfigProblem>();
                var value = Scalar(node, $"the {key} of {where}", missing);
                if (missing.Count > 0)
                {
                    unresolved.Add(new UnresolvedSetting(key, missing));
                }

                return value;
            }

            if (Get(map, "webhook") is { } webhookNode && Deferred(webhookNode, "webhook") is { } w)
            {
                // A webhook URL is a credential (Slack's carry a token): never shown.
                if (IsHttpUrl(w.Text.Trim()))
                {
                    webhook = w.Text.Trim();
                }
                else
                {
                    Add(webhookNode, $"the webhook of {where} is not an absolute http(s) URL",
                        "Write the webhook's full URL, e.g. https://hooks.slack.com/services/..., preferably as ${VARIABLE}.");
                }
            }

            if (Get(map, "email") is { } emailNode && Deferred(emailNode, "email") is { } e)
            {
                if (EmailAddress().IsMatch(e.Text.Trim()))
                {
                    email = e.Text.Trim();
                }
                else
                {
                    Add(emailNode, $"the email of {where} is not an email address: {e.Shown}", "Write one address such as data-team@example.com.");
                }
            }

            if (Get(map, "webhook") is null && Get(map, "email") is null)
            {
                Add(keyNode, $"{where} has neither webhook nor email", "Add webhook: <URL> and/or email: <address>.");
            }

            result[name] = new NotificationConfig(name, webhook, email, Loc(keyNode)) { Unresolved = UnresolvedSetting.Of(unresolved) };
        }

        return result;
    }
}

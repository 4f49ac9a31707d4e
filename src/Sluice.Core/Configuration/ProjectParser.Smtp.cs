using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Sluice.Core.Configuration;

// The SMTP relay that email notifications go through.
internal sealed partial class ProjectParser
{
    private static readonly string[] SmtpKeys = ["host", "port", "security", "username", "password", "from"];

    private SmtpConfig? ParseSmtp(YamlMappingNode top)
    {
        if (Get(top, "smtp") is not { } node || IsNull(node) || AsMapping(node, "the smtp section") is not { } map)
        {
            return null;
        }

        const string where = "the smtp section";
        // Problems of the whole section are shown where it is named.
        var at = top.Children.Keys.First(k => k is YamlScalarNode { Value: "smtp" });
        CheckKeys(map, SmtpKeys, where);
        var unresolved = new List<UnresolvedSetting>();

        // Like a channel's settings, a variable that is not set fails only what sends email.
        string? Text(string key)
        {
            if (Get(map, key) is not { } valueNode)
            {
                return null;
            }

            var missing = new List<ConfigProblem>();
            var value = Scalar(valueNode, $"the {key} of {where}", missing);
            if (missing.Count > 0)
            {
                unresolved.Add(new UnresolvedSetting(key, missing));
            }

            return value?.Text.Trim() is { Length: > 0 } text ? text : null;
        }

        var host = Text("host");
        if (host is null && unresolved.Count == 0 && Get(map, "host") is null)
        {
            Add(at, $"{where} has no host", "Write the relay's name, e.g. host: smtp.example.com.");
        }

        var security = SmtpSecurity.StartTls;
        if (Text("security") is { } s)
        {
            switch (s.ToLowerInvariant())
            {
                case "starttls": security = SmtpSecurity.StartTls; break;
                case "ssl" or "tls": security = SmtpSecurity.SslOnConnect; break;
                case "none": security = SmtpSecurity.None; break;
                default:
                    Add(Get(map, "security")!, $"the security of {where} is '{s}', which is not starttls, ssl or none",
                        "Write security: starttls (port 587, the default), ssl (port 465) or none (a relay on a trusted network).");
                    break;
            }
        }

        var port = security == SmtpSecurity.SslOnConnect ? 465 : 587;
        if (Text("port") is { } p)
        {
            if (int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is > 0 and < 65536)
            {
                port = n;
            }
            else
            {
                Add(Get(map, "port")!, $"the port of {where} is '{p}', which is not a port number", "Write a number from 1 to 65535, e.g. port: 587.");
            }
        }

        var from = Text("from");
        if (from is not null && !EmailAddress().IsMatch(from))
        {
            Add(Get(map, "from")!, $"the from of {where} is not an email address: {from}", "Write the sender's address, e.g. from: sluice@example.com.");
        }
        else if (from is null && Get(map, "from") is null)
        {
            Add(at, $"{where} has no from address", "Write the sender's address, e.g. from: sluice@example.com.");
        }

        var username = Text("username");
        var password = Text("password");
        if ((username is null) != (password is null) && unresolved.Count == 0)
        {
            Add(at, $"{where} has a {(username is null ? "password" : "username")} without a {(username is null ? "username" : "password")}",
                "Write both username and password (the password as ${VARIABLE}), or neither for a relay that needs no login.");
        }

        return new SmtpConfig(host ?? "", port, security, username, password, from ?? "", Loc(at))
        {
            Unresolved = UnresolvedSetting.Of(unresolved),
        };
    }
}

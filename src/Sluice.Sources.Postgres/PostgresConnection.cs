using System.Data.Common;
using System.Globalization;
using System.Text;
using Npgsql;

namespace Sluice.Sources.Postgres;

/// <summary>
/// Reads the <c>connection:</c> of a postgres source: an Npgsql connection string (<c>Host=...;Username=...</c>), a libpq
/// keyword string (<c>host=... dbname=...</c>) or a <c>postgres://user:pass@host:port/db?sslmode=require</c> URL.
/// Errors name the part that is wrong, never a value (the whole option is a secret).
/// </summary>
internal static class PostgresConnection
{
    /// <summary>Seconds to wait for a connection when the connection does not say: an unreachable host fails fast.</summary>
    public const int DefaultConnectTimeout = 10;

    // libpq's keywords (URL parameters and keyword strings share them) and the Npgsql keyword each becomes.
    private static readonly Dictionary<string, string> LibpqKeywords = new(StringComparer.Ordinal)
    {
        ["host"] = "Host",
        ["hostaddr"] = "Host",
        ["port"] = "Port",
        ["dbname"] = "Database",
        ["user"] = "Username",
        ["password"] = "Password",
        ["sslmode"] = "SSL Mode",
        ["sslrootcert"] = "Root Certificate",
        ["sslcert"] = "SSL Certificate",
        ["sslkey"] = "SSL Key",
        ["sslpassword"] = "SSL Password",
        ["connect_timeout"] = "Timeout",
        ["application_name"] = "Application Name",
        ["options"] = "Options",
        ["target_session_attrs"] = "Target Session Attributes",
        ["keepalives_idle"] = "Tcp Keepalive Time",
        ["channel_binding"] = "Channel Binding",
        ["gssencmode"] = "GSS Encryption Mode",
    };

    private static readonly Dictionary<string, string> SslModes = new(StringComparer.Ordinal)
    {
        ["disable"] = "Disable",
        ["allow"] = "Allow",
        ["prefer"] = "Prefer",
        ["require"] = "Require",
        ["verify-ca"] = "VerifyCA",
        ["verify-full"] = "VerifyFull",
    };

    /// <summary>The Npgsql settings for <paramref name="text"/>, or a <see cref="FormatException"/> that repeats no value.</summary>
    public static NpgsqlConnectionStringBuilder Parse(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.Length == 0)
            throw new FormatException("the connection is empty");
        var builder = trimmed.Contains("://", StringComparison.Ordinal) ? FromUrl(trimmed)
            : LooksLikeLibpq(trimmed) ? FromPairs(LibpqPairs(trimmed), "keyword")
            : FromNpgsql(trimmed);
        builder.ArrayNullabilityMode = ArrayNullabilityMode.PerInstance;
        if (string.IsNullOrEmpty(builder.Host))
            builder.Host = "localhost";
        if (string.IsNullOrEmpty(builder.ApplicationName))
            builder.ApplicationName = "sluice";
        return builder;
    }

    /// <summary>Where the connection goes, for messages: host:port/database as user (never the password).</summary>
    public static string Describe(NpgsqlConnectionStringBuilder builder)
    {
        var host = builder.Host ?? "localhost";
        var where = host.Contains(',', StringComparison.Ordinal) || host.Contains(':', StringComparison.Ordinal) ? host : $"{host}:{builder.Port}";
        var database = builder.Database ?? builder.Username;
        var user = string.IsNullOrEmpty(builder.Username) ? "" : $" as user '{builder.Username}'";
        return $"{where}/{database}{user}";
    }

    private static NpgsqlConnectionStringBuilder FromNpgsql(string text)
    {
        var keys = new DbConnectionStringBuilder();
        try
        {
            keys.ConnectionString = text;
        }
        catch (ArgumentException)
        {
            throw new FormatException(
                "it is neither a connection string (Host=...;Username=...;Password=...;Database=...) nor a postgres://user:password@host:port/database URL");
        }

        var builder = new NpgsqlConnectionStringBuilder();
        foreach (string key in keys.Keys)
        {
            try
            {
                builder[key] = keys[key];
            }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException)
            {
                var known = builder.ContainsKey(key);
                throw new FormatException(known
                    ? $"the value of its '{key}' keyword is not valid"
                    : $"'{key}' is not a connection string keyword Npgsql knows (e.g. Host, Port, Database, Username, Password, SSL Mode)");
            }
        }

        if (!keys.ContainsKey("timeout") && !keys.ContainsKey("connect timeout") && !keys.ContainsKey("connection timeout"))
            builder.Timeout = DefaultConnectTimeout;
        return builder;
    }

    private static NpgsqlConnectionStringBuilder FromUrl(string url)
    {
        var scheme = url[..url.IndexOf("://", StringComparison.Ordinal)];
        if (scheme is not ("postgres" or "postgresql"))
            throw new FormatException($"a URL must start with postgres:// or postgresql://, not {scheme}://");
        var rest = url[(scheme.Length + 3)..];
        var pairs = new List<(string Key, string Value)>();
        var query = rest.IndexOf('?', StringComparison.Ordinal);
        if (query >= 0)
        {
            foreach (var part in rest[(query + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = part.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                    throw new FormatException("a parameter of the URL's query is not written name=value");
                pairs.Add((Unescape(part[..eq], "a parameter name"), Unescape(part[(eq + 1)..], $"parameter '{part[..eq]}'")));
            }
            rest = rest[..query];
        }

        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var authority = slash >= 0 ? rest[..slash] : rest;
        if (slash >= 0 && rest[(slash + 1)..].Length > 0)
            pairs.Insert(0, ("dbname", Unescape(rest[(slash + 1)..], "the database name")));
        var at = authority.LastIndexOf('@');
        if (at >= 0)
        {
            var userInfo = authority[..at];
            authority = authority[(at + 1)..];
            var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            var user = colon >= 0 ? userInfo[..colon] : userInfo;
            if (user.Length > 0)
                pairs.Insert(0, ("user", Unescape(user, "the user name")));
            if (colon >= 0)
                pairs.Insert(0, ("password", Unescape(userInfo[(colon + 1)..], "the password")));
        }

        if (authority.Length > 0)
        {
            var hosts = authority.Split(',').Select(HostAndPort).ToList();
            if (hosts.Count == 1)
            {
                pairs.Insert(0, ("host", hosts[0].Host));
                if (hosts[0].Port is { } port)
                    pairs.Insert(0, ("port", port));
            }
            else
            {
                // Npgsql takes several hosts as one Host=h1:p1,h2:p2.
                pairs.Insert(0, ("host", string.Join(',', hosts.Select(h => h.Port is null ? h.Host : $"{h.Host}:{h.Port}"))));
            }
        }

        return FromPairs(pairs, "URL parameter");
    }

    private static (string Host, string? Port) HostAndPort(string part)
    {
        if (part.StartsWith('['))
        {
            var close = part.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
                throw new FormatException("an IPv6 host of the URL has no closing ]");
            var after = part[(close + 1)..];
            return (part[1..close], after.StartsWith(':') ? after[1..] : null);
        }

        var colon = part.LastIndexOf(':');
        return colon >= 0 ? (Unescape(part[..colon], "the host"), part[(colon + 1)..]) : (Unescape(part, "the host"), null);
    }

    private static string Unescape(string text, string what)
    {
        try
        {
            return Uri.UnescapeDataString(text);
        }
        catch (UriFormatException)
        {
            throw new FormatException($"{what} in the URL is not validly %-encoded");
        }
    }

    private static NpgsqlConnectionStringBuilder FromPairs(IEnumerable<(string Key, string Value)> pairs, string what)
    {
        var builder = new NpgsqlConnectionStringBuilder();
        var timeout = false;
        foreach (var (key, value) in pairs)
        {
            timeout |= key == "connect_timeout";
            if (!LibpqKeywords.TryGetValue(key, out var npgsqlKey))
                throw new FormatException($"'{key}' is not a {what} Sluice knows; use {string.Join(", ", LibpqKeywords.Keys)}");
            var setting = key == "sslmode" ? SslModes.GetValueOrDefault(value)
                ?? throw new FormatException($"sslmode must be one of {string.Join(", ", SslModes.Keys)}") : value;
            if (key is "port" or "connect_timeout" or "keepalives_idle" && !int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                throw new FormatException($"{key} must be a whole number");
            try
            {
                builder[npgsqlKey] = setting;
            }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException)
            {
                throw new FormatException($"the value of {key} is not valid");
            }
        }

        if (!timeout)
            builder.Timeout = DefaultConnectTimeout;
        return builder;
    }

    /// <summary>A libpq keyword string: only <c>keyword=value</c> words (values may be 'quoted'), each keyword libpq's.</summary>
    private static bool LooksLikeLibpq(string text)
    {
        if (text.Contains(';', StringComparison.Ordinal))
            return false;
        try
        {
            var pairs = LibpqPairs(text);
            return pairs.Count > 0 && pairs.All(p => LibpqKeywords.ContainsKey(p.Key));
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static List<(string Key, string Value)> LibpqPairs(string text)
    {
        var pairs = new List<(string, string)>();
        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i]))
                i++;
            if (i == text.Length)
                break;
            var eq = text.IndexOf('=', i);
            if (eq < 0)
                throw new FormatException("a keyword of the connection has no =value");
            var key = text[i..eq].Trim();
            i = eq + 1;
            while (i < text.Length && text[i] == ' ')
                i++;
            var value = new StringBuilder();
            if (i < text.Length && text[i] == '\'')
            {
                i++;
                while (i < text.Length && text[i] != '\'')
                {
                    if (text[i] == '\\' && i + 1 < text.Length)
                        i++;
                    value.Append(text[i++]);
                }
                if (i == text.Length)
                    throw new FormatException($"the value of {key} has no closing quote");
                i++;
            }
            else
            {
                while (i < text.Length && !char.IsWhiteSpace(text[i]))
                    value.Append(text[i++]);
            }
            pairs.Add((key, value.ToString()));
        }

        return pairs;
    }
}

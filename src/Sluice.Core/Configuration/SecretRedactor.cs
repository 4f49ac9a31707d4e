using System.Text.RegularExpressions;

namespace Sluice.Core.Configuration;

/// <summary>
/// Hides secret values in lines of <c>sluice.yaml</c> before they are shown (excerpts of syntax errors).
/// The file may not parse, so this works on the text: a value written after a key that any known source
/// or destination declares secret, or whose name says it holds one, is replaced by <c>***</c>.
/// <c>${VAR}</c> references stay visible: they name a variable, not its value.
/// </summary>
public sealed partial class SecretRedactor
{
    public const string Mask = "***";

    // Names that hold credentials even when no provider declares them (a misspelt api_key still holds a key).
    private static readonly string[] SecretWords = ["secret", "token", "password", "passwd", "api_key", "apikey", "api-key", "private_key", "access_key", "credential"];

    private readonly HashSet<string> _secretNames;

    public SecretRedactor(IEnumerable<string> secretOptionNames)
    {
        _secretNames = new HashSet<string>(secretOptionNames, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The secret option names of every source and destination in <paramref name="catalog"/>.</summary>
    public static SecretRedactor For(ProjectCatalog catalog) => new(
        catalog.Sources.Values.SelectMany(s => s.Options).Concat(catalog.Destinations.Values.SelectMany(d => d.Options))
            .Where(o => o.IsSecret).Select(o => o.Name).Append("state"));

    // A key and its colon: at the line's start, after "- ", or inside a flow mapping; quoted or not.
    [GeneratedRegex("""(?<![A-Za-z0-9_.$-])(?<q>["']?)(?<key>[A-Za-z_][A-Za-z0-9_.-]*)\k<q>[ \t]*:(?=[ \t]|$)""")]
    private static partial Regex Key();

    [GeneratedRegex(@"^(?:\s*\$\{[^}]*\}\s*)+$")]
    private static partial Regex OnlyReferences();

    /// <summary>True when a value under <paramref name="key"/> must never be shown.</summary>
    public bool IsSecretKey(string key)
    {
        if (_secretNames.Contains(key))
        {
            return true;
        }

        // A misspelt secret option (api_kye) still holds the secret: it is only reported as an unknown key.
        var lower = key.ToLowerInvariant();
        return SecretWords.Any(w => lower.Contains(w, StringComparison.Ordinal)) || Suggestions.Closest(key, _secretNames) is not null;
    }

    /// <summary>
    /// Redacts every line of <paramref name="lines"/>: values of secret keys, and the lines of a block scalar
    /// (<c>api_key: |</c>) that belongs to one.
    /// </summary>
    public string[] Redact(IReadOnlyList<string> lines)
    {
        var result = new string[lines.Count];
        var blockIndent = -1;
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            var indent = line.Length - line.TrimStart().Length;
            if (blockIndent >= 0)
            {
                if (line.Trim().Length == 0 || indent > blockIndent)
                {
                    result[i] = line.Trim().Length == 0 ? line : new string(' ', indent) + Mask;
                    continue;
                }

                blockIndent = -1;
            }

            result[i] = RedactLine(line, out var opensBlock);
            if (opensBlock)
            {
                blockIndent = indent;
            }
        }

        return result;
    }

    /// <summary>Redacts one line; <paramref name="opensBlock"/> says a secret's value continues on the next, more indented lines.</summary>
    public string RedactLine(string line, out bool opensBlock)
    {
        opensBlock = false;
        var output = new System.Text.StringBuilder();
        var at = 0;
        for (var m = Key().Match(line); m.Success; m = Key().Match(line, at))
        {
            var valueStart = m.Index + m.Length;
            while (valueStart < line.Length && line[valueStart] is ' ' or '\t')
            {
                valueStart++;
            }

            if (valueStart < line.Length && line[valueStart] is '{' or '[' && !IsSecretKey(m.Groups["key"].Value))
            {
                // A flow collection: its own keys are looked at one by one.
                output.Append(line, at, valueStart + 1 - at);
                at = valueStart + 1;
                continue;
            }

            var inFlow = line.LastIndexOf('{', m.Index) >= 0;
            var valueEnd = ValueEnd(line, valueStart, inFlow);
            var value = line[valueStart..valueEnd];
            output.Append(line, at, valueStart - at);
            if (IsSecretKey(m.Groups["key"].Value) && value.Trim().Length > 0)
            {
                if (value.TrimStart()[0] is '|' or '>')
                {
                    opensBlock = true;
                    output.Append(value);
                }
                else
                {
                    output.Append(OnlyReferences().IsMatch(value.Trim().Trim('"', '\'')) ? value : Mask);
                }
            }
            else
            {
                output.Append(value);
            }

            at = Math.Max(valueEnd, valueStart);
            if (at >= line.Length)
            {
                break;
            }
        }

        output.Append(line, at, line.Length - at);
        return output.ToString();
    }

    /// <summary>Where a value that starts at <paramref name="start"/> ends: its closing quote, or a flow separator or comment.</summary>
    private static int ValueEnd(string line, int start, bool inFlow)
    {
        if (start >= line.Length)
        {
            return line.Length;
        }

        var quote = line[start];
        if (quote is '"' or '\'')
        {
            for (var i = start + 1; i < line.Length; i++)
            {
                if (quote == '"' && line[i] == '\\')
                {
                    i++;
                    continue;
                }

                if (line[i] == quote)
                {
                    if (quote == '\'' && i + 1 < line.Length && line[i + 1] == '\'')
                    {
                        i++;
                        continue;
                    }

                    return i + 1;
                }
            }

            // An unclosed quote: the rest of the line is the value.
            return line.Length;
        }

        for (var i = start; i < line.Length; i++)
        {
            if (inFlow && line[i] is ',' or '}')
            {
                return TrimEnd(line, start, i);
            }

            if (line[i] == '#' && i > start && line[i - 1] is ' ' or '\t')
            {
                return TrimEnd(line, start, i);
            }
        }

        return TrimEnd(line, start, line.Length);
    }

    private static int TrimEnd(string line, int start, int end)
    {
        while (end > start && line[end - 1] is ' ' or '\t')
        {
            end--;
        }

        return end;
    }
}

using System.Text;
using System.Text.RegularExpressions;

namespace Sluice.Core.Configuration;

/// <summary>A scalar after <c>${VAR}</c> substitution, and which variables it used (so messages can avoid printing it).</summary>
internal sealed record ResolvedValue(string Text, SourceLocation Location, IReadOnlyList<string> Variables)
{
    public bool FromEnvironment => Variables.Count > 0;

    /// <summary>How a message may show this value: literally when the user wrote it, never when it came from a variable.</summary>
    public string Shown => FromEnvironment ? $"the value of {string.Join(", ", Variables.Select(v => $"${{{v}}}"))}" : $"'{Text}'";
}

/// <summary>
/// Replaces <c>${VAR}</c> in scalars: the real environment first, then the project's <c>.env</c>.
/// <c>$${X}</c> is a literal <c>${X}</c>.
/// </summary>
internal sealed partial class VariableResolver
{
    private readonly IReadOnlyDictionary<string, string?> _environment;
    private readonly IReadOnlyDictionary<string, string> _dotEnv;
    private readonly string _fileName;

    public VariableResolver(IReadOnlyDictionary<string, string?> environment, IReadOnlyDictionary<string, string> dotEnv, string fileName)
    {
        _environment = environment;
        _dotEnv = dotEnv;
        _fileName = fileName;
    }

    [GeneratedRegex(@"\$(\$?)\{([^}]*)\}")]
    private static partial Regex Reference();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*$")]
    internal static partial Regex VariableName();

    /// <summary>Substitutes every reference; a missing or malformed one is a problem and leaves the value unusable (null).</summary>
    /// <param name="missing">Where problems with variables that are not set go, when the caller defers them to what uses the value; default: <paramref name="problems"/>.</param>
    public ResolvedValue? Resolve(string text, SourceLocation location, string what, List<ConfigProblem> problems, List<ConfigProblem>? missing = null)
    {
        if (!text.Contains('$', StringComparison.Ordinal))
        {
            return new ResolvedValue(text, location, []);
        }

        var used = new List<string>();
        var ok = true;
        var result = Reference().Replace(text, m =>
        {
            var name = m.Groups[2].Value;
            if (m.Groups[1].Length > 0)
            {
                return "${" + name + "}";
            }

            if (!VariableName().IsMatch(name))
            {
                ok = false;
                problems.Add(new ConfigProblem(
                    location,
                    $"'${{{name}}}' in {what} is not a valid variable reference",
                    "Variable names use letters, digits and '_' and do not start with a digit; write $${ for a literal ${."));
                return "";
            }

            used.Add(name);
            if (Lookup(name) is { } value)
            {
                return value;
            }

            ok = false;
            (missing ?? problems).Add(new ConfigProblem(
                location,
                $"variable ${{{name}}} used by {what} is not set",
                $"Set {name} in the environment, or add a line {name}=... to the .env file beside {_fileName}."));
            return "";
        });

        return ok ? new ResolvedValue(result, location, used) : null;
    }

    private string? Lookup(string name) =>
        _environment.TryGetValue(name, out var value) && value is not null ? value
        : _dotEnv.TryGetValue(name, out var fromFile) ? fromFile
        : null;
}

/// <summary>Reads a <c>.env</c> file: <c>KEY=VALUE</c> lines, <c># comments</c>, optional quotes and <c>export</c> prefix.</summary>
internal static class DotEnvFile
{
    public const string FileName = ".env";

    /// <summary>The variables of the file; malformed lines are problems (their content is never shown: it may be a secret).</summary>
    public static Dictionary<string, string> Parse(string text, List<ConfigProblem> problems)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r').Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var at = new SourceLocation(FileName, i + 1, 1);
            if (line.StartsWith("export ", StringComparison.Ordinal) || line.StartsWith("export\t", StringComparison.Ordinal))
            {
                line = line[7..].TrimStart();
            }

            var eq = line.IndexOf('=');
            var key = eq > 0 ? line[..eq].Trim() : "";
            if (eq <= 0 || !VariableResolver.VariableName().IsMatch(key))
            {
                problems.Add(new ConfigProblem(at, "this line is not a KEY=VALUE assignment",
                    "Write one NAME=value per line (letters, digits and '_' in the name), or start the line with # to make it a comment."));
                continue;
            }

            var value = Value(line[(eq + 1)..].Trim());
            if (value is null)
            {
                problems.Add(new ConfigProblem(at, $"the value of {key} has an opening quote but no closing quote",
                    "Close the quote on the same line."));
                continue;
            }

            values[key] = value;
        }

        return values;
    }

    private static string? Value(string raw)
    {
        if (raw.Length > 0 && raw[0] == '\'')
        {
            var end = raw.IndexOf('\'', 1);
            return end < 0 ? null : raw[1..end];
        }

        if (raw.Length > 0 && raw[0] == '"')
        {
            var sb = new StringBuilder();
            for (var i = 1; i < raw.Length; i++)
            {
                var c = raw[i];
                if (c == '"')
                {
                    return sb.ToString();
                }

                if (c == '\\' && i + 1 < raw.Length)
                {
                    i++;
                    sb.Append(raw[i] switch
                    {
                        'n' => '\n',
                        'r' => '\r',
                        't' => '\t',
                        var other => other,
                    });
                    continue;
                }

                sb.Append(c);
            }

            return null;
        }

        // Unquoted: a " #" starts a comment.
        var hash = raw.IndexOf(" #", StringComparison.Ordinal);
        return hash >= 0 ? raw[..hash].TrimEnd() : raw;
    }
}

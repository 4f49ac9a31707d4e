using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Sluice.Core.Configuration;

/// <summary>
/// Loads <c>sluice.yaml</c> (or <c>sluice.yml</c>) from a project folder, substitutes <c>${VAR}</c> from the
/// environment and the <c>.env</c> file beside it, and validates everything that can be checked without a
/// network: every problem is reported, not just the first.
/// </summary>
public static partial class ProjectLoader
{
    /// <summary>The project file's name.</summary>
    public const string FileName = "sluice.yaml";

    /// <summary>The other name accepted for the project file.</summary>
    public const string AlternateFileName = "sluice.yml";

    /// <summary>Loads and validates a project; throws <see cref="ConfigException"/> carrying every problem found.</summary>
    /// <param name="projectDirectory">The folder holding <c>sluice.yaml</c>.</param>
    /// <param name="catalog">The source and destination types this build knows.</param>
    /// <param name="environment">Variables for <c>${VAR}</c>; default: the process environment. They win over <c>.env</c>.</param>
    public static ProjectConfig Load(string projectDirectory, ProjectCatalog catalog, IReadOnlyDictionary<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(projectDirectory);
        ArgumentNullException.ThrowIfNull(catalog);
        var problems = new List<ConfigProblem>();
        var warnings = new List<ConfigProblem>();
        var project = Read(Path.GetFullPath(projectDirectory), catalog, environment ?? ProcessEnvironment(), problems, warnings);
        return problems.Count == 0 && project is not null ? project : throw new ConfigException(problems) { Warnings = warnings };
    }

    /// <summary>Loads and validates a project; returns false with every problem found instead of throwing.</summary>
    public static bool TryLoad(
        string projectDirectory,
        ProjectCatalog catalog,
        [NotNullWhen(true)] out ProjectConfig? project,
        out IReadOnlyList<ConfigProblem> problems,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(projectDirectory);
        ArgumentNullException.ThrowIfNull(catalog);
        var found = new List<ConfigProblem>();
        problems = found;
        project = Read(Path.GetFullPath(projectDirectory), catalog, environment ?? ProcessEnvironment(), found, []);
        if (found.Count > 0)
        {
            project = null;
            return false;
        }

        return project is not null;
    }

    private static ProjectConfig? Read(string directory, ProjectCatalog catalog, IReadOnlyDictionary<string, string?> environment,
        List<ConfigProblem> problems, List<ConfigProblem> warnings)
    {
        if (!Directory.Exists(directory))
        {
            problems.Add(new ConfigProblem(null, $"the project folder {directory} does not exist",
                "Pass the folder that holds sluice.yaml with --project DIR, or run `sluice init` to create a project."));
            return null;
        }

        var yaml = Path.Combine(directory, FileName);
        var yml = Path.Combine(directory, AlternateFileName);
        if (File.Exists(yaml) && File.Exists(yml))
        {
            problems.Add(new ConfigProblem(new SourceLocation(AlternateFileName, 0, 0),
                $"both {FileName} and {AlternateFileName} are in {directory}", $"Keep one project file: merge them into {FileName} and delete {AlternateFileName}."));
            return null;
        }

        var path = File.Exists(yaml) ? yaml : File.Exists(yml) ? yml : null;
        if (path is null)
        {
            problems.Add(new ConfigProblem(new SourceLocation(FileName, 0, 0), $"no {FileName} in {directory}",
                "Run `sluice init` to create a project here, or pass the project's folder with --project DIR."));
            return null;
        }

        var file = Path.GetFileName(path);
        string text;
        string? envText;
        var envPath = Path.Combine(directory, DotEnvFile.FileName);
        try
        {
            text = File.ReadAllText(path);
            envText = File.Exists(envPath) ? File.ReadAllText(envPath) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problems.Add(new ConfigProblem(new SourceLocation(file, 0, 0), $"cannot read the project: {e.Message}", "Check the files' permissions."));
            return null;
        }

        var dotEnv = envText is null ? new Dictionary<string, string>() : DotEnvFile.Parse(envText, problems);

        YamlNode? root;
        var redactor = SecretRedactor.For(catalog);
        var parser = new TrackingParser(new Parser(new StringReader(text)));
        try
        {
            var stream = new YamlStream();
            stream.Load(parser);
            if (stream.Documents.Count > 1)
            {
                var second = stream.Documents[1].RootNode;
                problems.Add(new ConfigProblem(new SourceLocation(file, (int)second.Start.Line, (int)second.Start.Column),
                    $"{file} holds more than one YAML document", "Remove the '---' separator: a project is one document."));
                return null;
            }

            root = stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode;
        }
        catch (YamlException e)
        {
            problems.Add(SyntaxProblem(file, text, redactor, (int)e.Start.Line, (int)e.Start.Column, MarkPrefix().Replace(e.Message, "").Trim().TrimEnd('.')));
            return null;
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner can fail this way (not with a YamlException) on an unclosed flow collection.
            problems.Add(SyntaxProblem(file, text, redactor, (int)parser.LastStart.Line, (int)parser.LastStart.Column,
                "the parser could not finish the value that starts here (an unclosed '[', '{' or quote?)"));
            return null;
        }

        var variables = new VariableResolver(environment, dotEnv, file);
        var yamlProblems = new List<ConfigProblem>();
        var yamlWarnings = new List<ConfigProblem>();
        var project = new ProjectParser(file, catalog, variables, yamlProblems, yamlWarnings).Parse(root, directory, path);

        // Problems read best in file order; the parser finds them section by section.
        problems.AddRange(yamlProblems.OrderBy(p => p.Location?.Line ?? 0).ThenBy(p => p.Location?.Column ?? 0));
        warnings.AddRange(yamlWarnings.OrderBy(p => p.Location?.Line ?? 0).ThenBy(p => p.Location?.Column ?? 0));
        return project is null ? null : project with { Warnings = [.. warnings] };
    }

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ")]
    private static partial Regex MarkPrefix();

    /// <summary>A syntax error with a numbered excerpt of the lines around it (the way dbt shows them).</summary>
    private static ConfigProblem SyntaxProblem(string file, string text, SecretRedactor redactor, int line, int column, string reason)
    {
        line = Math.Max(1, line);
        column = Math.Max(1, column);
        // Secrets written literally in the file must not reach the terminal or a CI log with the excerpt.
        var lines = redactor.Redact(text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'));
        line = Math.Min(line, lines.Length);

        var excerpt = new StringBuilder();
        var first = Math.Max(1, line - 2);
        var last = Math.Min(lines.Length, line + 2);
        var width = last.ToString(System.Globalization.CultureInfo.InvariantCulture).Length;
        for (var n = first; n <= last; n++)
        {
            var marker = n == line ? ">" : " ";
            excerpt.Append(System.Globalization.CultureInfo.InvariantCulture, $"\n  {marker} {n.ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(width)} | {lines[n - 1]}");
            if (n == line)
            {
                excerpt.Append($"\n    {new string(' ', width)} | {new string(' ', column - 1)}^");
            }
        }

        return new ConfigProblem(new SourceLocation(file, line, column), $"invalid YAML: {reason}{excerpt}",
            "Fix the syntax at the marked place: indent with spaces (not tabs), write key: value with a space after the colon, and quote values that contain ': ' or start with special characters.");
    }

    /// <summary>Remembers where the last event started, for errors that come without a position.</summary>
    private sealed class TrackingParser(IParser inner) : IParser
    {
        public Mark LastStart { get; private set; } = Mark.Empty;

        public ParsingEvent? Current => inner.Current;

        public bool MoveNext()
        {
            var moved = inner.MoveNext();
            if (inner.Current is { } current)
            {
                LastStart = current.Start;
            }

            return moved;
        }
    }

    private static Dictionary<string, string?> ProcessEnvironment()
    {
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            result[(string)entry.Key] = entry.Value as string;
        }

        return result;
    }
}

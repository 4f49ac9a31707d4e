namespace Sluice.Core.Configuration;

/// <summary>
/// One thing wrong with a project: where (file, line, column), what, and what to do. Problems are
/// collected and shown together. Messages never contain secret values.
/// </summary>
public sealed record ConfigProblem(SourceLocation? Location, string Message, string? Hint = null)
{
    public override string ToString()
    {
        var where = Location is { } l ? $"{l}: " : "";
        return Hint is null ? $"{where}{Message}" : $"{where}{Message}\n    hint: {Hint}";
    }
}

/// <summary>Thrown when a project cannot be used; carries every problem found.</summary>
public sealed class ConfigException : Exception
{
    public ConfigException(IReadOnlyList<ConfigProblem> problems)
        : base(string.Join(Environment.NewLine, problems))
    {
        Problems = problems;
    }

    public ConfigException(ConfigProblem problem)
        : this([problem])
    {
    }

    public IReadOnlyList<ConfigProblem> Problems { get; }

    /// <summary>Warnings found while loading, shown with the problems.</summary>
    public IReadOnlyList<ConfigProblem> Warnings { get; init; } = [];
}

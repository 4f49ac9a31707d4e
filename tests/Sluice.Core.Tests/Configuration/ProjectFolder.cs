using Sluice.Core.Configuration;

namespace Sluice.Core.Tests.Configuration;

/// <summary>A throwaway project folder with a sluice.yaml (and optionally a .env), deleted afterwards.</summary>
internal sealed class ProjectFolder : IDisposable
{
    public static readonly IReadOnlyDictionary<string, string?> NoEnvironment = new Dictionary<string, string?>();

    public ProjectFolder(string? yaml, string? dotEnv = null, string fileName = "sluice.yaml")
    {
        Path = Directory.CreateTempSubdirectory("sluice-config-").FullName;
        if (yaml is not null)
        {
            File.WriteAllText(System.IO.Path.Combine(Path, fileName), yaml);
        }

        if (dotEnv is not null)
        {
            File.WriteAllText(System.IO.Path.Combine(Path, ".env"), dotEnv);
        }
    }

    public string Path { get; }

    public IReadOnlyList<ConfigProblem> Problems(IReadOnlyDictionary<string, string?>? environment = null)
    {
        Assert.False(ProjectLoader.TryLoad(Path, FakeCatalog.Instance, out var project, out var problems, environment ?? NoEnvironment));
        Assert.Null(project);
        Assert.NotEmpty(problems);
        return problems;
    }

    public ProjectConfig Load(IReadOnlyDictionary<string, string?>? environment = null) =>
        ProjectLoader.Load(Path, FakeCatalog.Instance, environment ?? NoEnvironment);

    public void Dispose() => Directory.Delete(Path, recursive: true);

    /// <summary>Loads <paramref name="yaml"/> and returns its problems.</summary>
    public static IReadOnlyList<ConfigProblem> ProblemsOf(string yaml, IReadOnlyDictionary<string, string?>? environment = null, string? dotEnv = null)
    {
        using var folder = new ProjectFolder(yaml, dotEnv);
        return folder.Problems(environment);
    }

    /// <summary>Loads <paramref name="yaml"/>, which must be valid.</summary>
    public static ProjectConfig LoadOf(string yaml, IReadOnlyDictionary<string, string?>? environment = null, string? dotEnv = null)
    {
        using var folder = new ProjectFolder(yaml, dotEnv);
        return folder.Load(environment);
    }

    /// <summary>The only problem of <paramref name="yaml"/>.</summary>
    public static ConfigProblem SingleProblemOf(string yaml, IReadOnlyDictionary<string, string?>? environment = null, string? dotEnv = null) =>
        Assert.Single(ProblemsOf(yaml, environment, dotEnv));

    public static IReadOnlyDictionary<string, string?> Env(params (string Key, string? Value)[] values) =>
        values.ToDictionary(v => v.Key, v => v.Value);
}

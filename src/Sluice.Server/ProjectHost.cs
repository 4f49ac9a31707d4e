using Microsoft.Extensions.Logging;
using Sluice.Core.Configuration;

namespace Sluice.Server;

/// <summary>
/// The project configuration the server runs on. A reload that finds problems keeps the last good configuration
/// running and keeps the problems, so the API and the UI can show what to fix.
/// </summary>
public sealed class ProjectHost
{
    private readonly ServerOptions _options;
    private readonly ILogger<ProjectHost> _logger;
    private readonly Lock _gate = new();
    private ProjectConfig _current;

    public ProjectHost(ServerOptions options, ILogger<ProjectHost> logger)
    {
        _options = options;
        _logger = logger;
        // The first load has no last good configuration to fall back on: its problems stop the start.
        _current = ProjectLoader.Load(options.ProjectDirectory, options.Catalog, options.Environment);
        LoadedAt = options.Time.GetUtcNow();
    }

    public ProjectConfig Current
    {
        get
        {
            lock (_gate)
                return _current;
        }
    }

    /// <summary>When the running configuration was loaded.</summary>
    public DateTimeOffset LoadedAt { get; private set; }

    /// <summary>The problems of the last reload, empty when it succeeded.</summary>
    public IReadOnlyList<ConfigProblem> Problems { get; private set; } = [];

    /// <summary>Raised after a reload that changed the running configuration.</summary>
    public event Action<ProjectConfig>? Changed;

    /// <summary>Reads sluice.yaml again; returns the problems (empty: the new configuration runs).</summary>
    public IReadOnlyList<ConfigProblem> Reload()
    {
        ProjectConfig next;
        try
        {
            next = ProjectLoader.Load(_options.ProjectDirectory, _options.Catalog, _options.Environment);
        }
        catch (ConfigException e)
        {
            Problems = e.Problems;
            _logger.LogWarning("sluice.yaml has {Count} problem(s); the last good configuration keeps running: {Problems}",
                e.Problems.Count, string.Join(" | ", e.Problems.Select(p => p.ToString())));
            return e.Problems;
        }
        catch (IOException e)
        {
            Problems = [new ConfigProblem(null, $"sluice.yaml could not be read: {e.Message}", "The last good configuration keeps running.")];
            return Problems;
        }

        lock (_gate)
            _current = next;
        LoadedAt = _options.Time.GetUtcNow();
        Problems = [];
        _logger.LogInformation("Reloaded sluice.yaml: {Count} sync(s)", next.Syncs.Count);
        Changed?.Invoke(next);
        return [];
    }
}

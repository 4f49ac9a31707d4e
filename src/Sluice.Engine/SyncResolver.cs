using Sluice.Core.Configuration;
using Sluice.Core.Destinations;
using Sluice.Core.Models;
using Sluice.Core.Sources;

namespace Sluice.Engine;

/// <summary>
/// Turns a loaded project into checked syncs ready to run: the model's source and real columns, the destination,
/// the destination's fixed rules and (on request) its live schema. Sources and destinations are created on first use
/// and shared between the project's syncs; they are disposed with the resolver. The CLI, the bench and the server
/// all resolve syncs here.
/// </summary>
public sealed class SyncResolver : IAsyncDisposable
{
    private readonly Dictionary<string, ISource> _sources = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IDestination> _destinations = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<ModelColumn>> _columns = new(StringComparer.Ordinal);

    public SyncResolver(ProjectConfig project, ProjectCatalog catalog, DestinationServices services)
    {
        Project = project;
        Catalog = catalog;
        Services = services;
    }

    public ProjectConfig Project { get; }

    public ProjectCatalog Catalog { get; }

    public DestinationServices Services { get; }

    /// <summary>The sync named <paramref name="name"/>; a <see cref="ConfigException"/> naming the project's syncs when there is none.</summary>
    public SyncConfig Sync(string name)
    {
        if (Project.Syncs.TryGetValue(name, out var sync))
            return sync;
        var names = Project.Syncs.Keys.Order().ToList();
        var hint = names.Count == 0 ? "sluice.yaml declares no syncs." : $"Syncs in this project: {string.Join(", ", names)}.";
        if (Suggestions.Closest(name, names) is { } close)
            hint = $"Did you mean '{close}'? " + hint;
        throw new ConfigException(new ConfigProblem(new SourceLocation(ProjectLoader.FileName, 0, 0), $"There is no sync named '{name}'.", hint));
    }

    public ISource Source(ModelConfig model)
    {
        if (_sources.TryGetValue(model.Source, out var source))
            return source;
        var config = Project.Sources[model.Source];
        source = Catalog.Sources[config.Type].Create(config, Project.Directory);
        _sources[model.Source] = source;
        return source;
    }

    public IDestination Destination(string name)
    {
        if (_destinations.TryGetValue(name, out var destination))
            return destination;
        var config = Project.Destinations[name];
        // Created on first call, so that plan needs no destination secret.
        destination = new DeferredDestination(() => Catalog.Destinations[config.Type].Create(ProjectValidator.ToSettings(config), Services));
        _destinations[name] = destination;
        return destination;
    }

    /// <summary>The model's real columns, described by its source (once per model).</summary>
    public async Task<IReadOnlyList<ModelColumn>> ColumnsAsync(ModelConfig model, CancellationToken ct)
    {
        if (!_columns.TryGetValue(model.Name, out var columns))
            _columns[model.Name] = columns = await Source(model).DescribeAsync(model.Sql, ct);
        return columns;
    }

    /// <summary>
    /// Resolves a sync: checks its columns against the model and the destination's fixed rules, then (when
    /// <paramref name="checkDestination"/>) the credentials and the live destination schema. Throws
    /// <see cref="ConfigException"/> with every problem, and <see cref="DeliveryException"/> when the destination
    /// can't be reached or refuses the credentials.
    /// </summary>
    public async Task<SyncRunRequest> ResolveAsync(SyncConfig sync, bool checkDestination, CancellationToken ct)
    {
        // A ${VAR} that is not set fails only the syncs that need it: planning the source's, a run the destination's too.
        if (ProjectValidator.UnresolvedVariables(Project, sync, delivery: checkDestination) is { Count: > 0 } unresolved)
            throw new ConfigException(unresolved);
        var model = Project.Models[sync.Model];
        IReadOnlyList<ModelColumn> columns;
        try
        {
            columns = await ColumnsAsync(model, ct);
        }
        catch (SourceException e)
        {
            throw new ConfigException(new ConfigProblem(model.Location, $"Model '{model.Name}': {e.Message}",
                e.Hint ?? "Check the model's SQL and its source's settings; `sluice validate` lists every problem."));
        }
        var problems = ProjectValidator.CheckColumns(Project, sync, columns).ToList();
        if (problems.Count > 0)
            throw new ConfigException(problems);

        var destinationConfig = Project.Destinations[sync.Destination];
        var provider = Catalog.Destinations[destinationConfig.Type];
        var context = ProjectValidator.ToSyncContext(Project, sync, columns);
        problems.AddRange(provider.CheckSync(ProjectValidator.ToSettings(destinationConfig), context)
            .Select(p => ProjectValidator.Locate(Project, sync, p)));
        var destination = Destination(sync.Destination);
        if (problems.Count == 0 && checkDestination)
            problems.AddRange((await destination.CheckAsync(context, ct)).Select(p => ProjectValidator.Locate(Project, sync, p)));
        if (problems.Count > 0)
            throw new ConfigException(problems);
        return new SyncRunRequest(sync, model, Source(model), provider, destination, columns);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var destination in _destinations.Values)
            await destination.DisposeAsync();
        foreach (var source in _sources.Values)
            await source.DisposeAsync();
    }
}

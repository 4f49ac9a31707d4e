using Sluice.Core.Configuration;
using Sluice.Core.Destinations;
using Sluice.Core.State;
using Sluice.Engine;
using Sluice.State;
using Sluice.State.Postgres;

namespace Sluice.Cli;

/// <summary>
/// One command's view of a project: its loaded configuration, its state, and the resolver that turns its syncs
/// into runnable ones, all disposed together.
/// </summary>
internal sealed class Workspace : IAsyncDisposable
{
    private IStateStore? _state;

    private Workspace(SyncResolver resolver) => Resolver = resolver;

    public ProjectConfig Project => Resolver.Project;

    public SyncResolver Resolver { get; }

    /// <summary>Loads the project; throws <see cref="ConfigException"/> with every problem.</summary>
    public static Workspace Load(string directory, ProjectCatalog catalog, DestinationServices services,
        IReadOnlyDictionary<string, string?>? environment = null) =>
        new(new SyncResolver(ProjectLoader.Load(directory, catalog, environment), catalog, services));

    /// <summary>The project's state: the PostgreSQL database of <c>state:</c> when set, else the embedded <c>.sluice/</c>.</summary>
    public async Task<IStateStore> StateAsync(CancellationToken ct) => _state ??= await OpenStateAsync(Project, ct);

    /// <summary>Opens <paramref name="project"/>'s state; a failure names the line of <c>state:</c> (never its value).</summary>
    public static async Task<IStateStore> OpenStateAsync(ProjectConfig project, CancellationToken ct)
    {
        if (project.State is not { } config)
            return await EmbeddedState.OpenAsync(project.Directory, ct);
        try
        {
            return await PostgresState.OpenAsync(config.Connection, config.Schema, ct: ct);
        }
        catch (StateException e)
        {
            throw new StateException($"{config.Location}: state: {e.Message}", e);
        }
    }

    public SyncConfig Sync(string name) => Resolver.Sync(name);

    /// <inheritdoc cref="SyncResolver.ResolveAsync"/>
    public Task<SyncRunRequest> PrepareAsync(SyncConfig sync, bool checkDestination, CancellationToken ct) =>
        Resolver.ResolveAsync(sync, checkDestination, ct);

    public async ValueTask DisposeAsync()
    {
        await Resolver.DisposeAsync();
        if (_state is not null)
            await _state.DisposeAsync();
    }
}

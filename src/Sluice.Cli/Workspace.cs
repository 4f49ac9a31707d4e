using Sluice.Core.Configuration;
using Sluice.Core.Destinations;
using Sluice.Engine;
using Sluice.State;

namespace Sluice.Cli;

/// <summary>
/// One command's view of a project: its loaded configuration, its state, and the resolver that turns its syncs
/// into runnable ones, all disposed together.
/// </summary>
internal sealed class Workspace : IAsyncDisposable
{
    private EmbeddedState? _state;

    private Workspace(SyncResolver resolver) => Resolver = resolver;

    public ProjectConfig Project => Resolver.Project;

    public SyncResolver Resolver { get; }

    /// <summary>Loads the project; throws <see cref="ConfigException"/> with every problem.</summary>
    public static Workspace Load(string directory, ProjectCatalog catalog, DestinationServices services,
        IReadOnlyDictionary<string, string?>? environment = null) =>
        new(new SyncResolver(ProjectLoader.Load(directory, catalog, environment), catalog, services));

    public async Task<EmbeddedState> StateAsync(CancellationToken ct) =>
        _state ??= await EmbeddedState.OpenAsync(Project.Directory, ct);

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

using Sluice.Core.Destinations;
using Sluice.Core.Sources;

namespace Sluice.Core.Configuration;

/// <summary>
/// The source and destination types a build of Sluice knows, by their <c>type:</c> name. The CLI builds
/// one from the providers it ships and hands it to <see cref="ProjectLoader"/>. Immutable.
/// </summary>
public sealed class ProjectCatalog
{
    public ProjectCatalog(IEnumerable<ISourceProvider> sources, IEnumerable<IDestinationProvider> destinations)
    {
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(destinations);
        Sources = Index(sources, p => p.Type, "source");
        Destinations = Index(destinations, p => p.Type, "destination");
    }

    /// <summary>An empty catalog: every <c>type:</c> is unknown. Useful to check syntax only.</summary>
    public static ProjectCatalog Empty { get; } = new([], []);

    /// <summary>Source providers by <see cref="ISourceProvider.Type"/> (ordinal, as written in sluice.yaml).</summary>
    public IReadOnlyDictionary<string, ISourceProvider> Sources { get; }

    /// <summary>Destination providers by <see cref="IDestinationProvider.Type"/> (ordinal).</summary>
    public IReadOnlyDictionary<string, IDestinationProvider> Destinations { get; }

    private static Dictionary<string, T> Index<T>(IEnumerable<T> providers, Func<T, string> type, string what)
    {
        var map = new Dictionary<string, T>(StringComparer.Ordinal);
        foreach (var provider in providers)
        {
            if (!map.TryAdd(type(provider), provider))
            {
                throw new ArgumentException($"Two {what} providers declare the type '{type(provider)}'.");
            }
        }

        return map;
    }
}

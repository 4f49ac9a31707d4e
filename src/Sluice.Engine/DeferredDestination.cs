using Sluice.Core.Configuration;
using Sluice.Core.Destinations;
using Sluice.Core.Models;

namespace Sluice.Engine;

/// <summary>
/// A destination created on first use: <c>plan</c> never calls the destination, so it must not need what creating
/// one reads (its secrets, which may come from a <c>${VAR}</c> that is not set).
/// </summary>
internal sealed class DeferredDestination(Func<IDestination> create) : IDestination
{
    private IDestination? _destination;

    private IDestination Destination => _destination ??= create();

    public Task<IReadOnlyList<SyncProblem>> CheckAsync(SyncContext sync, CancellationToken cancellationToken) =>
        Destination.CheckAsync(sync, cancellationToken);

    public Task<IDestinationWriter> OpenAsync(SyncContext sync, PlanCounts plan, CancellationToken cancellationToken) =>
        Destination.OpenAsync(sync, plan, cancellationToken);

    /// <summary>Advisory (what <c>plan</c> says of pacing): a destination that cannot be created without its secrets has none.</summary>
    public DeliveryEstimate? Estimate(SyncContext sync, PlanCounts plan)
    {
        try
        {
            return Destination.Estimate(sync, plan);
        }
        catch (Exception e) when (e is ConfigException or DeliveryException)
        {
            return null;
        }
    }

    public ValueTask DisposeAsync() => _destination?.DisposeAsync() ?? ValueTask.CompletedTask;
}

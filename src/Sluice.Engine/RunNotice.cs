using Sluice.Core.Configuration;
using Sluice.Core.State;

namespace Sluice.Engine;

/// <summary>
/// The warnings a run started and cleared, with what each one means in numbers (<see cref="Details"/>, by warning: "12
/// of the 200 rows it planned were rejected..."), for the people the sync notifies.
/// </summary>
public sealed record RunNotice(SyncConfig Sync, RunRecord Run, IReadOnlyList<string> Raised, IReadOnlyList<string> Cleared,
    IReadOnlyDictionary<string, string> Details);

/// <summary>Tells people when a sync's warnings start and when they clear (once each, not every run).</summary>
public interface IRunNotifier
{
    /// <summary>Sends the notice to the sync's channels; a channel that fails is reported by the notifier, never thrown.</summary>
    Task NotifyAsync(RunNotice notice, CancellationToken ct);
}

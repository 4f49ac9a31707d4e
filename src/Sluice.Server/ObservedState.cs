using Sluice.Core.State;

namespace Sluice.Server;

/// <summary>
/// The project's state, seen through a window: it tells the runner the id of a run as soon as the engine records its
/// start, so that "Run now" can answer with the id while the run goes on. Everything else goes straight through.
/// </summary>
internal sealed class ObservedState(IStateStore inner, Action<string, long> started) : IStateStore
{
    private readonly ObservedHistory _runs = new(inner.Runs, started);

    public string Location => inner.Location;

    public IRunHistory Runs => _runs;

    public ISyncPauses Pauses => inner.Pauses;

    public Task<ISyncLedger> ClaimAsync(string sync, CancellationToken ct = default) => inner.ClaimAsync(sync, ct);

    // The inner store is the server's, shared by every run: it is disposed with the server, not per run.
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private sealed class ObservedHistory(IRunHistory inner, Action<string, long> started) : IRunHistory
    {
        public async Task<long> StartRunAsync(string sync, bool fullResync, CancellationToken ct = default)
        {
            var id = await inner.StartRunAsync(sync, fullResync, ct);
            started(sync, id);
            return id;
        }

        public Task AddRejectedAsync(string sync, long runId, IReadOnlyList<RejectedRow> rows, CancellationToken ct = default) =>
            inner.AddRejectedAsync(sync, runId, rows, ct);

        public Task FinishRunAsync(long runId, RunStatus status, RunCounts counts, IReadOnlyList<string> warnings, string? error,
            CancellationToken ct = default) => inner.FinishRunAsync(runId, status, counts, warnings, error, ct);

        public Task<IReadOnlyList<RunRecord>> HistoryAsync(string? sync, int limit = 50, CancellationToken ct = default) =>
            inner.HistoryAsync(sync, limit, ct);

        public Task<RunRecord?> GetRunAsync(long runId, CancellationToken ct = default) => inner.GetRunAsync(runId, ct);

        public Task<bool> AddWarningAsync(long runId, string warning, CancellationToken ct = default) => inner.AddWarningAsync(runId, warning, ct);

        public Task<IReadOnlyList<RejectedRow>> RejectedAsync(string sync, int limit = 1000, CancellationToken ct = default) =>
            inner.RejectedAsync(sync, limit, ct);
    }
}

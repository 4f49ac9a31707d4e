using System.Collections.Concurrent;
using System.Data.Common;
using Sluice.Core.State;

namespace Sluice.State;

/// <summary>
/// The project's embedded state under <c>.sluice/</c>: run history and rejected rows in <c>state.duckdb</c> (opened
/// per operation, so any process can read it while syncs run), and each sync's ledger in a file of its own under
/// <c>syncs/</c>, held by whoever claimed the sync (so runs of different syncs, and reads, never wait on each other).
/// </summary>
public sealed class EmbeddedState : IStateStore
{
    private readonly string _folder;
    private readonly TimeProvider _time;
    private readonly DuckDbRunHistory _runs;
    private readonly ConcurrentDictionary<string, byte> _claimed = new(StringComparer.Ordinal);

    private EmbeddedState(string folder, TimeProvider time)
    {
        _folder = folder;
        _time = time;
        _runs = new DuckDbRunHistory(System.IO.Path.Combine(folder, "state.duckdb"), time);
        Pauses = new DuckDbSyncPauses(_runs, time);
    }

    public string Location => _runs.Path;

    /// <summary>The history file, <c>.sluice/state.duckdb</c>.</summary>
    public string Path => _runs.Path;

    public IRunHistory Runs => _runs;

    public ISyncPauses Pauses { get; }

    /// <summary>Opens (creating when needed) the state of the project in <paramref name="projectDirectory"/>.</summary>
    public static Task<EmbeddedState> OpenAsync(string projectDirectory, CancellationToken ct = default) =>
        OpenAsync(projectDirectory, TimeProvider.System, ct);

    /// <inheritdoc cref="OpenAsync(string, CancellationToken)"/>
    public static async Task<EmbeddedState> OpenAsync(string projectDirectory, TimeProvider time, CancellationToken ct = default)
    {
        var folder = System.IO.Path.Combine(projectDirectory, ".sluice");
        var state = new EmbeddedState(folder, time);
        try
        {
            Directory.CreateDirectory(folder);
            Directory.CreateDirectory(state.SyncsFolder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw StateErrors.Explain(e, state.Path);
        }
        // Opening the history once checks the file (damaged, locked, read-only) and moves ledgers of an older layout out.
        await state._runs.SessionAsync(c => LegacyLayout.MoveLedgersOutAsync(c, state.SyncFile, time.GetUtcNow().UtcDateTime, ct), ct,
            inTransaction: false);
        return state;
    }

    private string SyncsFolder => System.IO.Path.Combine(_folder, "syncs");

    private string TempDirectory => System.IO.Path.Combine(_folder, "tmp");

    /// <summary>A sync's ledger file: readable, and unique even when names differ only in punctuation or case.</summary>
    internal string SyncFile(string sync) => System.IO.Path.Combine(SyncsFolder, Sql.LedgerFile(sync));

    async Task<ISyncLedger> IStateStore.ClaimAsync(string sync, CancellationToken ct) => await ClaimAsync(sync, ct);

    /// <inheritdoc cref="IStateStore.ClaimAsync"/>
    public async Task<DuckDbLedger> ClaimAsync(string sync, CancellationToken ct = default)
    {
        if (!_claimed.TryAdd(sync, 0))
            throw new SyncBusyException(sync, $"Sync '{sync}' is already being planned or run by this process. Wait for that to finish.");
        var path = SyncFile(sync);
        try
        {
            return await DuckDbLedger.OpenAsync(sync, path, TempDirectory, _time, () => { _claimed.TryRemove(sync, out _); return ValueTask.CompletedTask; }, ct);
        }
        catch (Exception e)
        {
            _claimed.TryRemove(sync, out _);
            if (e is not DbException db)
                throw;
            throw StateErrors.Classify(db.Message) == StateFailure.Locked ? await BusyAsync(sync, db, ct) : StateErrors.Explain(db, path);
        }
    }

    private async Task<SyncBusyException> BusyAsync(string sync, DbException e, CancellationToken ct)
    {
        var pid = StateErrors.HolderPid(e.Message);
        var running = await _runs.RunningAsync(sync, ct);
        var who = running is { } r
            ? $"run {r.RunId} (started {r.StartedAt:yyyy-MM-dd HH:mm:ss} UTC{(pid is null ? "" : $", PID {pid}")})"
            : $"another sluice process{(pid is null ? "" : $" (PID {pid})")}, planning it";
        return new SyncBusyException(sync,
            $"Sync '{sync}' is in use by {who}: one process at a time plans or runs a sync. " +
            "Wait for it to finish (`sluice history` shows it), or stop that process, then try again.", e);
    }

    /// <summary>The number of a sync's writes in doubt (claims the sync for the moment).</summary>
    public async Task<long> InDoubtCountAsync(string sync, CancellationToken ct = default)
    {
        await using var ledger = await ClaimAsync(sync, ct);
        return await ledger.InDoubtCountAsync(ct);
    }

    /// <summary>The number of records in a sync's ledger (claims the sync for the moment).</summary>
    public async Task<long> LedgerSizeAsync(string sync, CancellationToken ct = default)
    {
        await using var ledger = await ClaimAsync(sync, ct);
        return await ledger.SizeAsync(ct);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

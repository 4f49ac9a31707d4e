using Sluice.Core.State;

namespace Sluice.State;

/// <summary>
/// A DuckDB copy of another store's ledger (entries, writes in doubt, created ids) in a temporary file, for the embedded
/// planner to diff against unchanged. It is only read: commits go to the store's own ledger. The file goes with the plan.
/// </summary>
internal static class ScratchLedger
{
    /// <summary>Copies <paramref name="source"/>'s read-out into a new temporary ledger, deleted when it is disposed.</summary>
    public static async Task<DuckDbLedger> CopyAsync(ISyncLedger source, CancellationToken ct)
    {
        var folder = Path.Combine(Path.GetTempPath(), "sluice-plan-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "ledger.duckdb");
        ValueTask Delete()
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // The temp folder is the system's to clean when a file is still open.
            }
            return ValueTask.CompletedTask;
        }
        DuckDbLedger? scratch = null;
        try
        {
            // The scratch ledger writes no times of its own: the system clock is only its fold's default.
            scratch = await DuckDbLedger.OpenAsync(source.Sync, path, folder, TimeProvider.System, Delete, ct);
            await scratch.ImportAsync(source, ct);
            return scratch;
        }
        catch
        {
            if (scratch is not null)
                await scratch.DisposeAsync();
            else
                await Delete();
            throw;
        }
    }
}

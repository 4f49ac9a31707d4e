using Sluice.Core.Planning;
using Sluice.Core.Sources;
using Sluice.Core.State;
using Sluice.Sources.Postgres;

namespace Sluice.State.Postgres.Warehouse;

/// <summary>
/// Plans a PostgreSQL source inside its own database (<c>planner: warehouse</c>): each sync's ledger lives in a schema
/// of that database (the same tables as a PostgreSQL state), the model is evaluated once into a temporary table with
/// its keys and value hashes computed by PostgreSQL, the diff against the ledger is one statement there, and only the
/// rows to send travel to Sluice. Commits of acknowledged batches are written back to that ledger.
/// </summary>
public sealed class WarehousePlanner : IChangePlanner, IAsyncDisposable
{
    private readonly PostgresWarehouse _warehouse;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _opening = new(1, 1);
    private PostgresState? _ledgers;

    public WarehousePlanner(PostgresWarehouse warehouse, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(warehouse);
        _warehouse = warehouse;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Claims the sync's ledger in the warehouse's schema (created and migrated on first use).</summary>
    public async Task<ISyncLedger?> OpenLedgerAsync(string sync, CancellationToken ct = default) =>
        await (await LedgersAsync(ct)).ClaimAsync(sync, ct);

    /// <summary>
    /// With <c>planner: warehouse</c>, every sync. With <c>auto</c>, the choice is kept by where the sync's deliveries
    /// are, so it never changes under a sync (a switch would send every row again): a sync the warehouse ledger knows is
    /// planned here; one the state's ledger knows (delivered rows or writes in doubt) stays local; a new one is planned
    /// here when the role may create the ledger schema (or use it) and create temporary tables, else locally.
    /// </summary>
    public async Task<bool> PlansAsync(string sync, ISyncLedger stateLedger, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(stateLedger);
        if (!_warehouse.Auto)
            return true;
        await using var connection = await _warehouse.Source.OpenAsync(ct);
        const string Probe = """
            SELECT to_regclass(format('%I.in_doubt', @schema)) IS NOT NULL
                   AND EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = @schema AND has_schema_privilege(oid, 'USAGE')),
                   (has_database_privilege(current_database(), 'CREATE')
                      OR EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = @schema
                                 AND has_schema_privilege(oid, 'USAGE') AND has_schema_privilege(oid, 'CREATE')))
                   AND has_database_privilege(current_database(), 'TEMP')
            """;
        bool ledgerReadable = false, permitted = false;
        await foreach (var row in _warehouse.Source.QueryAsync(connection, Probe, p => p.AddWithValue("schema", _warehouse.Schema), ct))
            (ledgerReadable, permitted) = (row[0] is true, row[1] is true);
        if (ledgerReadable && await KnowsAsync(connection, sync, ct))
            return true;
        if (await stateLedger.SizeAsync(ct) > 0 || await stateLedger.ReadInDoubtAsync(ct).AnyAsync(ct))
            return false;
        return permitted;
    }

    /// <summary>Whether the warehouse's ledger holds anything of the sync: delivered rows, a journal not yet folded, writes in doubt.</summary>
    private async Task<bool> KnowsAsync(Npgsql.NpgsqlConnection connection, string sync, CancellationToken ct)
    {
        var s = Pg.Ident(_warehouse.Schema);
        var known = false;
        await foreach (var row in _warehouse.Source.QueryAsync(connection,
            $"SELECT EXISTS (SELECT 1 FROM {s}.ledger WHERE sync = @sync) OR EXISTS (SELECT 1 FROM {s}.journal WHERE sync = @sync) " +
            $"OR EXISTS (SELECT 1 FROM {s}.in_doubt WHERE sync = @sync)", p => p.AddWithValue("sync", sync), ct))
            known = row[0] is true;
        return known;
    }

    public async Task<IChangePlan> PlanAsync(PlanRequest request, ISyncLedger ledger, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var own = ledger as PostgresLedger ?? throw new ArgumentException(
            $"The warehouse planner plans against the ledger it opened (OpenLedgerAsync), not a {ledger.GetType().Name}.", nameof(ledger));
        await own.CompactAsync(ct);
        var connection = await _warehouse.Source.OpenAsync(ct);
        var plan = new WarehousePlan(_warehouse, connection, request);
        try
        {
            await plan.BuildAsync(ct);
            return plan;
        }
        catch
        {
            await plan.DisposeAsync();
            throw;
        }
    }

    private async Task<PostgresState> LedgersAsync(CancellationToken ct)
    {
        await _opening.WaitAsync(ct);
        try
        {
            if (_ledgers is not null)
                return _ledgers;
            try
            {
                return _ledgers = await PostgresState.OpenAsync(_warehouse.Source.ConnectionText, _warehouse.Schema, _time, ct);
            }
            catch (StateException e)
            {
                throw new SourceException(
                    $"Source '{_warehouse.Source.Name}' plans in the warehouse (planner: warehouse), which keeps each sync's ledger in schema " +
                    $"'{_warehouse.Schema}' of its database, and that failed: {e.Message} Grant the source's role CREATE on the database " +
                    $"(or create schema {_warehouse.Schema} owned by it), or set planner: local on the source.", e);
            }
        }
        finally
        {
            _opening.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_ledgers is not null)
            await _ledgers.DisposeAsync();
        _opening.Dispose();
    }
}

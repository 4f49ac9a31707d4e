using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;
using Sluice.Core.State;
using Sluice.Sources.Postgres;

namespace Sluice.State.Postgres;

/// <summary>
/// A project's state in a PostgreSQL schema (default <c>sluice</c>) that every worker shares: run history, rejected rows,
/// each sync's ledger (<see cref="PostgresLedger"/>) and the claims. The schema is created and migrated on open. A claim
/// is a session advisory lock on (schema, sync) held by a connection of its own for the claim's life: PostgreSQL ends it
/// with the process or its connection, so a killed holder never blocks the next run. A row of <c>claims</c> names the
/// holder for the busy message.
/// </summary>
public sealed partial class PostgresState : IStateStore
{
    /// <summary>The schema's version this Sluice writes; a newer one in the database is refused.</summary>
    public const int SchemaVersion = 4;

    public const string DefaultSchema = "sluice";

    private readonly NpgsqlDataSource _db;
    private readonly string _connection;
    private readonly string _claimConnection;
    private readonly string _schema;
    private readonly TimeProvider _time;
    private readonly Holder _self = Holder.Current();
    private readonly PostgresRunHistory _runs;
    private readonly ConcurrentDictionary<string, byte> _claimed = new(StringComparer.Ordinal);

    private PostgresState(NpgsqlDataSource db, string connection, string claimConnection, string schema, string location, TimeProvider time,
        PostgresStateErrors errors)
    {
        Errors = errors;
        _db = db;
        _connection = connection;
        _claimConnection = claimConnection;
        _schema = schema;
        _time = time;
        Location = location;
        _runs = new PostgresRunHistory(db, schema, time, _self) { Errors = errors };
        Pauses = new PostgresSyncPauses(db, schema, time, errors);
    }

    private PostgresStateErrors Errors { get; }

    /// <summary>The database as a URL without its password, and the schema.</summary>
    public string Location { get; }

    public string Schema => _schema;

    public IRunHistory Runs => _runs;

    public ISyncPauses Pauses { get; }

    /// <summary>The history, with what a migration needs.</summary>
    public PostgresRunHistory History => _runs;

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex SchemaName();

    /// <summary>
    /// Opens the state at <paramref name="connection"/> (an Npgsql connection string, libpq keywords or a postgres:// URL)
    /// in <paramref name="schema"/>, creating and migrating it. Throws <see cref="StateException"/> with what is wrong and
    /// what to do (never the password).
    /// </summary>
    public static async Task<PostgresState> OpenAsync(string connection, string? schema = null, TimeProvider? time = null,
        CancellationToken ct = default)
    {
        schema ??= DefaultSchema;
        if (!SchemaName().IsMatch(schema))
        {
            throw new StateException(
                $"The state's schema name '{schema}' is not valid: use lower-case letters, digits and _ (starting with a letter), e.g. {DefaultSchema}.");
        }
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = PostgresConnection.Parse(connection);
        }
        catch (FormatException e)
        {
            throw new StateException(
                $"The state's PostgreSQL connection could not be read: {e.Message}. Write a URL such as postgres://sluice:PASSWORD@db.example.com:5432/sluice " +
                "or a connection string such as Host=db.example.com;Database=sluice;Username=sluice;Password=...");
        }
        var where = PostgresConnection.Describe(builder);
        var location = $"{Redacted(builder)} (schema {schema})";
        var errors = new PostgresStateErrors(where, builder.Password);
        // Claims hold a connection each for their life: never pooled, so closing one ends its session and its lock; kept
        // alive so that an idle claim is not dropped by a firewall while the run waits on its destination.
        var claims = new NpgsqlConnectionStringBuilder(builder.ConnectionString) { Pooling = false, KeepAlive = 30 };
        var db = NpgsqlDataSource.Create(builder.ConnectionString);
        var state = new PostgresState(db, builder.ConnectionString, claims.ConnectionString, schema, location, time ?? TimeProvider.System, errors);
        try
        {
            await state.MigrateAsync(ct);
            return state;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            await db.DisposeAsync();
            throw errors.Explain(e, schema);
        }
        catch
        {
            await db.DisposeAsync();
            throw;
        }
    }


    /// <summary>The connection as a postgres:// URL with the password replaced by ***.</summary>
    private static string Redacted(NpgsqlConnectionStringBuilder b)
    {
        var user = string.IsNullOrEmpty(b.Username) ? "" : Uri.EscapeDataString(b.Username) + (string.IsNullOrEmpty(b.Password) ? "" : ":***") + "@";
        var host = b.Host ?? "localhost";
        var authority = host.Contains(',', StringComparison.Ordinal) ? host : $"{host}:{b.Port}";
        return $"postgres://{user}{authority}/{Uri.EscapeDataString(b.Database ?? b.Username ?? "")}";
    }

    /// <summary>Creates the schema and its tables, or brings an older one to <see cref="SchemaVersion"/>; one process at a time.</summary>
    private async Task MigrateAsync(CancellationToken ct)
    {
        await using var c = await _db.OpenConnectionAsync(ct);
        if (await CurrentVersionAsync(c, ct) == SchemaVersion)
            return;
        await using var tx = await c.BeginTransactionAsync(ct);
        await using (var gate = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@k)", c, tx))
        {
            gate.Parameters.AddWithValue("k", LockKey(_schema, "\0migrate"));
            await gate.ExecuteNonQueryAsync(ct);
        }
        var version = await CurrentVersionAsync(c, ct);
        if (version > SchemaVersion)
        {
            throw new StateException(
                $"The state in {Location} was written by a newer Sluice (schema version {version}; this one knows up to {SchemaVersion}). " +
                "Upgrade sluice on this machine to the version the other workers run; an older Sluice never writes a newer state.");
        }
        var s = Pg.Ident(_schema);
        // Version 1: everything; 2: the match value's hash in the ledger; 3: the backend of each claim's lock; 4: the paused
        // syncs (sluice serve's automatic pause). Each step is applied once, in order.
        var steps = new[]
        {
            $"""
            CREATE SCHEMA IF NOT EXISTS {s};
            CREATE TABLE IF NOT EXISTS {s}.schema_version (version integer NOT NULL, migrated_at timestamptz NOT NULL);
            {PostgresRunHistory.CreateTablesSql(_schema)}
            {PostgresLedger.CreateTablesSql(_schema)}
            """,
            PostgresLedger.AddMatchHashSql(_schema),
            PostgresRunHistory.AddClaimBackendSql(_schema),
            PostgresSyncPauses.CreateTableSql(_schema),
        };
        for (var v = version + 1; v <= SchemaVersion; v++)
        {
            await using var step = new NpgsqlCommand(steps[v - 1], c, tx);
            await step.ExecuteNonQueryAsync(ct);
            await using var mark = new NpgsqlCommand($"INSERT INTO {s}.schema_version (version, migrated_at) VALUES (@v, @now)", c, tx);
            mark.Parameters.AddWithValue("v", v);
            mark.Parameters.AddWithValue("now", _time.GetUtcNow().UtcDateTime);
            await mark.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
    }

    /// <summary>The schema's version: 0 when there is no schema yet (checked without CREATE, which needs a privilege).</summary>
    private async Task<int> CurrentVersionAsync(NpgsqlConnection c, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "SELECT to_regclass(quote_ident(@s) || '.schema_version') IS NOT NULL", c);
        command.Parameters.AddWithValue("s", _schema);
        if (!(bool)(await command.ExecuteScalarAsync(ct))!)
            return 0;
        await using var read = new NpgsqlCommand($"SELECT coalesce(max(version), 0) FROM {Pg.Ident(_schema)}.schema_version", c);
        return (int)(await read.ExecuteScalarAsync(ct))!;
    }

    /// <summary>The advisory lock of a sync: 64 bits of a hash of (schema, sync), so names of any length and case differ.</summary>
    internal static long LockKey(string schema, string sync) =>
        BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes(schema + "\0" + sync)), 0);

    async Task<ISyncLedger> IStateStore.ClaimAsync(string sync, CancellationToken ct) => await ClaimAsync(sync, ct);

    /// <inheritdoc cref="IStateStore.ClaimAsync"/>
    public async Task<PostgresLedger> ClaimAsync(string sync, CancellationToken ct = default)
    {
        if (!_claimed.TryAdd(sync, 0))
            throw new SyncBusyException(sync, $"Sync '{sync}' is already being planned or run by this process. Wait for that to finish.");
        NpgsqlConnection? claim = null;
        try
        {
            var key = LockKey(_schema, sync);
            claim = new NpgsqlConnection(_claimConnection);
            await claim.OpenAsync(ct);
            await using (var take = new NpgsqlCommand("SELECT pg_try_advisory_lock(@k)", claim))
            {
                take.Parameters.AddWithValue("k", key);
                if (!(bool)(await take.ExecuteScalarAsync(ct))!)
                    throw await BusyAsync(sync, ct);
            }
            await using (var name = new NpgsqlCommand($"""
                INSERT INTO {Pg.Ident(_schema)}.claims (sync, lock_key, host, pid, run_id, claimed_at, backend_pid)
                VALUES (@sync, @k, @host, @pid, NULL, @now, pg_backend_pid())
                ON CONFLICT (sync) DO UPDATE SET lock_key = excluded.lock_key, host = excluded.host, pid = excluded.pid, run_id = NULL,
                    claimed_at = excluded.claimed_at, backend_pid = excluded.backend_pid
                """, claim))
            {
                name.Parameters.AddWithValue("sync", sync);
                name.Parameters.AddWithValue("k", key);
                name.Parameters.AddWithValue("host", _self.Host);
                name.Parameters.AddWithValue("pid", _self.Pid);
                name.Parameters.AddWithValue("now", _time.GetUtcNow().UtcDateTime);
                await name.ExecuteNonQueryAsync(ct);
            }
            var held = claim;
            claim = null;
            return new PostgresLedger(_db, _schema, sync, _time, async () =>
            {
                // Closing the claim's own (unpooled) connection ends its session, and with it the lock.
                await held.DisposeAsync();
                _claimed.TryRemove(sync, out _);
            })
            { Errors = Errors, Claim = held };
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            throw Errors.Explain(e, _schema);
        }
        finally
        {
            if (claim is not null)
            {
                await claim.DisposeAsync();
                _claimed.TryRemove(sync, out _);
            }
        }
    }

    private async Task<SyncBusyException> BusyAsync(string sync, CancellationToken ct)
    {
        // The holder names itself in `claims` just after taking the lock: a claim refused in between finds no live holder
        // yet (the row, if any, is an earlier holder's, kept after its release).
        var holder = await _runs.HolderAsync(sync, ct);
        for (var attempt = 0; holder is null && attempt < 20; attempt++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), _time, ct);
            holder = await _runs.HolderAsync(sync, ct);
        }
        var who = holder switch
        {
            { RunId: { } run } h => $"run {run} on host {h.Host} (pid {h.Pid})",
            { } h => $"a sluice process on host {h.Host} (pid {h.Pid}), planning it",
            null => null,
        };
        return new SyncBusyException(sync,
            (who is null ? $"Sync '{sync}' is being taken by another sluice process" : $"Sync '{sync}' is in use by {who}") +
            ": one process at a time plans or runs a sync. " +
            "Wait for it to finish (`sluice history` shows it), or stop that process, then try again.");
    }

    /// <summary>
    /// Creates or migrates the tables of <c>sluice serve</c>'s clustered Quartz job store in this state's schema
    /// (<see cref="SchedulerTables"/>) and says how Quartz reaches them.
    /// </summary>
    public async Task<SchedulerStore> OpenSchedulerStoreAsync(CancellationToken ct = default)
    {
        try
        {
            await SchedulerTables.MigrateAsync(_db, _schema, _time, ct);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            throw Errors.Explain(e, _schema);
        }
        return new SchedulerStore(_connection, SchedulerTables.TablePrefix(_schema), $"sluice-{_schema}");
    }

    /// <summary>
    /// Takes the lock every worker takes while it makes the scheduler store match its sluice.yaml, so that two workers
    /// applying one change at once compare and replace in turn. Held on a connection of its own until disposed.
    /// </summary>
    public async Task<IAsyncDisposable> LockSchedulesAsync(CancellationToken ct = default)
    {
        var held = new NpgsqlConnection(_claimConnection);
        try
        {
            await held.OpenAsync(ct);
            await using var take = new NpgsqlCommand("SELECT pg_advisory_lock(@k)", held);
            take.Parameters.AddWithValue("k", LockKey(_schema, "\0schedules"));
            await take.ExecuteNonQueryAsync(ct);
            return held;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            await held.DisposeAsync();
            throw Errors.Explain(e, _schema);
        }
        catch
        {
            await held.DisposeAsync();
            throw;
        }
    }

    /// <summary>The syncs that have anything in their ledger here (for a migration's check).</summary>
    public async Task<bool> HasLedgerAsync(string sync, CancellationToken ct = default) =>
        !await UnclaimedLedger(sync).IsEmptyAsync(ct);

    /// <summary>A sync's ledger without claiming it, for a migration run while no worker uses the target.</summary>
    public PostgresLedger UnclaimedLedger(string sync) => PostgresLedger.Open(_db, _schema, sync, _time, Errors);

    public async ValueTask DisposeAsync() => await _db.DisposeAsync();
}

using Npgsql;

namespace Sluice.State.Postgres;

/// <summary>
/// Where <c>sluice serve</c>'s clustered Quartz.NET job store lives: tables <c>qrtz_*</c> in the state's schema, reached
/// with the state's connection. The connection string carries the password: hand it to Quartz only, never print it.
/// </summary>
/// <param name="ConnectionString">The state database's Npgsql connection string (with its password).</param>
/// <param name="TablePrefix">Quartz's table prefix, schema-qualified: <c>sluice.qrtz_</c>.</param>
/// <param name="SchedulerName">The Quartz scheduler name every worker of this state shares (clustering requires one).</param>
public sealed record SchedulerStore(string ConnectionString, string TablePrefix, string SchedulerName)
{
    public override string ToString() => $"SchedulerStore {{ TablePrefix = {TablePrefix}, SchedulerName = {SchedulerName} }}";
}

/// <summary>
/// Creates and migrates the Quartz.NET 4 ADO.NET job store tables (<c>qrtz_*</c>) in the state's schema, versioned in
/// <c>scheduler_schema_version</c> the way the state's own tables are, under an advisory lock so that workers starting
/// at the same moment create them once. Quartz itself only checks them at start (its default
/// <c>SchemaProvisioning.Validate</c>), so a layout that drifted from what Quartz reads stops the server with Quartz's
/// message rather than failing a firing later.
/// </summary>
/// <remarks>
/// The layout is Quartz.NET 4.7.3's PostgreSQL one: the tables, columns and indexes of the <c>create_postgres.sql</c> the
/// Quartz 4.7.3 package embeds (<c>Quartz.Impl.AdoJobStore.Schema.create_postgres.sql</c>, generated from the same
/// description as <c>database/tables/tables_postgres.sql</c> in the Quartz.NET repository). Unquoted names, so
/// PostgreSQL folds Quartz's upper-case statements (<c>QRTZ_TRIGGERS</c>) to these.
/// </remarks>
internal static class SchedulerTables
{
    /// <summary>The Quartz tables' version this Sluice writes (1: Quartz.NET 4.7.3's layout).</summary>
    public const int Version = 1;

    public const string Prefix = "qrtz_";

    // Unquoted: Quartz pastes the prefix into its statements, and state schema names are plain lower-case identifiers.
    public static string TablePrefix(string schema) => $"{schema}.{Prefix}";

    public static async Task MigrateAsync(NpgsqlDataSource db, string schema, TimeProvider time, CancellationToken ct)
    {
        var s = Pg.Ident(schema);
        await using var c = await db.OpenConnectionAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        await using (var gate = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@k)", c, tx))
        {
            gate.Parameters.AddWithValue("k", PostgresState.LockKey(schema, "\0scheduler-tables"));
            await gate.ExecuteNonQueryAsync(ct);
        }
        await using (var table = new NpgsqlCommand(
            $"CREATE TABLE IF NOT EXISTS {s}.scheduler_schema_version (version integer NOT NULL, migrated_at timestamptz NOT NULL)", c, tx))
            await table.ExecuteNonQueryAsync(ct);
        int version;
        await using (var read = new NpgsqlCommand($"SELECT coalesce(max(version), 0) FROM {s}.scheduler_schema_version", c, tx))
            version = (int)(await read.ExecuteScalarAsync(ct))!;
        if (version > Version)
        {
            throw new Core.State.StateException(
                $"The scheduler tables in schema {schema} were written by a newer Sluice (version {version}; this one knows up to {Version}). " +
                "Run the same Sluice version on every worker.");
        }
        // Version 1: Quartz.NET 4.7.3. A later Quartz that adds columns adds a step here (its database/migrations script).
        var steps = new[] { CreateSql(TablePrefix(schema), Prefix) };
        for (var v = version + 1; v <= Version; v++)
        {
            await using var step = new NpgsqlCommand(steps[v - 1], c, tx);
            await step.ExecuteNonQueryAsync(ct);
            await using var mark = new NpgsqlCommand($"INSERT INTO {s}.scheduler_schema_version (version, migrated_at) VALUES (@v, @now)", c, tx);
            mark.Parameters.AddWithValue("v", v);
            mark.Parameters.AddWithValue("now", time.GetUtcNow().UtcDateTime);
            await mark.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
    }

    /// <param name="p">The schema-qualified prefix (<c>sluice.qrtz_</c>).</param>
    /// <param name="i">The prefix for index names, which PostgreSQL keeps in the table's schema.</param>
    private static string CreateSql(string p, string i) => $"""
        CREATE TABLE IF NOT EXISTS {p}job_details (
          sched_name text NOT NULL, job_name text NOT NULL, job_group text NOT NULL, description text NULL,
          job_class_name text NOT NULL, is_durable bool NOT NULL, is_nonconcurrent bool NOT NULL, is_update_data bool NOT NULL,
          requests_recovery bool NOT NULL, job_data bytea NULL,
          PRIMARY KEY (sched_name, job_name, job_group));
        CREATE TABLE IF NOT EXISTS {p}triggers (
          sched_name text NOT NULL, trigger_name text NOT NULL, trigger_group text NOT NULL, job_name text NOT NULL, job_group text NOT NULL,
          description text NULL, next_fire_time bigint NULL, prev_fire_time bigint NULL, priority integer NULL, trigger_state text NOT NULL,
          trigger_type text NOT NULL, start_time bigint NOT NULL, end_time bigint NULL, calendar_name text NULL, misfire_instr smallint NULL,
          misfire_orig_fire_time bigint NULL, execution_group varchar(200) NULL, preferred_node varchar(200) NULL,
          preferred_node_auto bool NOT NULL DEFAULT false, retry_policy varchar(250) NULL, retry_attempt integer NULL,
          continues_trigger_name text NULL, continues_trigger_group text NULL, continuation_condition integer NULL, overlap_policy integer NULL,
          pause_reason varchar(250) NULL, paused_by varchar(200) NULL, paused_at bigint NULL, misfire_threshold bigint NULL,
          fixed_delay bool NULL, job_data bytea NULL,
          PRIMARY KEY (sched_name, trigger_name, trigger_group),
          FOREIGN KEY (sched_name, job_name, job_group) REFERENCES {p}job_details (sched_name, job_name, job_group));
        CREATE TABLE IF NOT EXISTS {p}simple_triggers (
          sched_name text NOT NULL, trigger_name text NOT NULL, trigger_group text NOT NULL,
          repeat_count bigint NOT NULL, repeat_interval bigint NOT NULL, times_triggered bigint NOT NULL,
          PRIMARY KEY (sched_name, trigger_name, trigger_group),
          FOREIGN KEY (sched_name, trigger_name, trigger_group) REFERENCES {p}triggers (sched_name, trigger_name, trigger_group) ON DELETE CASCADE);
        CREATE TABLE IF NOT EXISTS {p}cron_triggers (
          sched_name text NOT NULL, trigger_name text NOT NULL, trigger_group text NOT NULL, cron_expression text NOT NULL, time_zone_id text,
          PRIMARY KEY (sched_name, trigger_name, trigger_group),
          FOREIGN KEY (sched_name, trigger_name, trigger_group) REFERENCES {p}triggers (sched_name, trigger_name, trigger_group) ON DELETE CASCADE);
        CREATE TABLE IF NOT EXISTS {p}simprop_triggers (
          sched_name text NOT NULL, trigger_name text NOT NULL, trigger_group text NOT NULL,
          str_prop_1 text NULL, str_prop_2 text NULL, str_prop_3 text NULL, int_prop_1 integer NULL, int_prop_2 integer NULL,
          long_prop_1 bigint NULL, long_prop_2 bigint NULL, dec_prop_1 numeric NULL, dec_prop_2 numeric NULL,
          bool_prop_1 bool NULL, bool_prop_2 bool NULL, time_zone_id text NULL,
          PRIMARY KEY (sched_name, trigger_name, trigger_group),
          FOREIGN KEY (sched_name, trigger_name, trigger_group) REFERENCES {p}triggers (sched_name, trigger_name, trigger_group) ON DELETE CASCADE);
        CREATE TABLE IF NOT EXISTS {p}blob_triggers (
          sched_name text NOT NULL, trigger_name text NOT NULL, trigger_group text NOT NULL, blob_data bytea NULL,
          PRIMARY KEY (sched_name, trigger_name, trigger_group),
          FOREIGN KEY (sched_name, trigger_name, trigger_group) REFERENCES {p}triggers (sched_name, trigger_name, trigger_group) ON DELETE CASCADE);
        CREATE TABLE IF NOT EXISTS {p}calendars (
          sched_name text NOT NULL, calendar_name text NOT NULL, calendar bytea NOT NULL,
          PRIMARY KEY (sched_name, calendar_name));
        CREATE TABLE IF NOT EXISTS {p}paused_trigger_grps (
          sched_name text NOT NULL, trigger_group text NOT NULL, pause_reason varchar(250) NULL, paused_by varchar(200) NULL, paused_at bigint NULL,
          PRIMARY KEY (sched_name, trigger_group));
        CREATE TABLE IF NOT EXISTS {p}paused_job_grps (
          sched_name text NOT NULL, job_group text NOT NULL, pause_reason varchar(250) NULL, paused_by varchar(200) NULL, paused_at bigint NULL,
          PRIMARY KEY (sched_name, job_group));
        CREATE TABLE IF NOT EXISTS {p}fired_triggers (
          sched_name text NOT NULL, entry_id text NOT NULL, trigger_name text NOT NULL, trigger_group text NOT NULL, instance_name text NOT NULL,
          fired_time bigint NOT NULL, sched_time bigint NOT NULL, priority integer NOT NULL, state text NOT NULL, job_name text NULL,
          job_group text NULL, is_nonconcurrent bool NOT NULL, requests_recovery bool NULL, execution_group varchar(200) NULL,
          progress integer NULL, progress_message varchar(250) NULL, interrupt_requested_time bigint NULL,
          PRIMARY KEY (sched_name, entry_id));
        CREATE TABLE IF NOT EXISTS {p}scheduler_state (
          sched_name text NOT NULL, instance_name text NOT NULL, last_checkin_time bigint NOT NULL, checkin_interval bigint NOT NULL,
          quartz_version varchar(20) NULL,
          PRIMARY KEY (sched_name, instance_name));
        CREATE TABLE IF NOT EXISTS {p}locks (
          sched_name text NOT NULL, lock_name text NOT NULL,
          PRIMARY KEY (sched_name, lock_name));
        CREATE TABLE IF NOT EXISTS {p}execution_history (
          sched_name text NOT NULL, entry_id text NOT NULL, instance_name text NOT NULL, job_name text NOT NULL, job_group text NOT NULL,
          trigger_name text NOT NULL, trigger_group text NOT NULL, fired_time bigint NOT NULL, run_time bigint NOT NULL, succeeded bool NOT NULL,
          error_message text NULL, retry_attempt integer NOT NULL DEFAULT 0, retry_scheduled bool NOT NULL DEFAULT false, execution_log text NULL,
          result integer NULL, summary text NULL, metrics text NULL, manual bool NULL, fire_instance_id text NULL, job_input text NULL,
          job_input_too_large bool NULL,
          PRIMARY KEY (sched_name, entry_id));
        CREATE TABLE IF NOT EXISTS {p}misfire_history (
          sched_name text NOT NULL, entry_id text NOT NULL, instance_name text NOT NULL, trigger_name text NOT NULL, trigger_group text NOT NULL,
          job_name text NULL, job_group text NULL, misfire_time bigint NOT NULL, sched_time bigint NULL, reason integer NULL,
          PRIMARY KEY (sched_name, entry_id));
        CREATE TABLE IF NOT EXISTS {p}job_status (
          sched_name text NOT NULL, job_group text NOT NULL, job_name text NOT NULL, first_fired_time bigint NOT NULL, last_fired_time bigint NOT NULL,
          last_result integer NOT NULL, last_run_time bigint NOT NULL, last_instance_name text NOT NULL, last_entry_id text NULL,
          last_summary text NULL, last_success_time bigint NULL, last_failure_time bigint NULL, last_failure_message text NULL,
          consecutive_failures integer NOT NULL DEFAULT 0, run_count bigint NOT NULL DEFAULT 0, failure_count bigint NOT NULL DEFAULT 0,
          PRIMARY KEY (sched_name, job_group, job_name));
        CREATE INDEX IF NOT EXISTS idx_{i}j_g_n ON {p}job_details (sched_name, job_group, job_name);
        CREATE INDEX IF NOT EXISTS idx_{i}t_j ON {p}triggers (sched_name, job_name, job_group);
        CREATE INDEX IF NOT EXISTS idx_{i}t_g_n ON {p}triggers (sched_name, trigger_group, trigger_name);
        CREATE INDEX IF NOT EXISTS idx_{i}t_c ON {p}triggers (sched_name, calendar_name);
        CREATE INDEX IF NOT EXISTS idx_{i}t_nft_st ON {p}triggers (sched_name, trigger_state, next_fire_time ASC, priority DESC, misfire_instr);
        CREATE INDEX IF NOT EXISTS idx_{i}ft_inst_job_req_rcvry ON {p}fired_triggers (sched_name, instance_name, requests_recovery);
        CREATE INDEX IF NOT EXISTS idx_{i}ft_j_g ON {p}fired_triggers (sched_name, job_name, job_group);
        CREATE INDEX IF NOT EXISTS idx_{i}ft_t_g ON {p}fired_triggers (sched_name, trigger_name, trigger_group);
        CREATE INDEX IF NOT EXISTS idx_{i}eh_fired_time ON {p}execution_history (sched_name, fired_time);
        CREATE INDEX IF NOT EXISTS idx_{i}eh_inst ON {p}execution_history (sched_name, instance_name);
        CREATE INDEX IF NOT EXISTS idx_{i}mh_misfire_time ON {p}misfire_history (sched_name, misfire_time);
        CREATE INDEX IF NOT EXISTS idx_{i}mh_inst ON {p}misfire_history (sched_name, instance_name);
        CREATE INDEX IF NOT EXISTS idx_{i}eh_job_time ON {p}execution_history (sched_name, job_group, job_name, fired_time);
        CREATE INDEX IF NOT EXISTS idx_{i}eh_fire_inst ON {p}execution_history (sched_name, fire_instance_id);
        CREATE INDEX IF NOT EXISTS idx_{i}eh_trig_time ON {p}execution_history (sched_name, trigger_group, trigger_name, fired_time);
        """;
}

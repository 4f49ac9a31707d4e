using System.CommandLine;
using Sluice.Core.State;
using Sluice.State;
using Sluice.State.Postgres;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice state migrate --to URL</c>: copies a project's embedded state into PostgreSQL.</summary>
internal static class StateCommand
{
    public static Command Create()
    {
        var to = new Option<string>("--to")
        {
            Description = "The PostgreSQL database to copy to: a postgres:// URL or connection string, or the name of an environment " +
                "variable holding one (e.g. DATABASE_URL, so the password stays out of the shell's history).",
            Required = true,
        };
        var schema = new Option<string>("--schema") { Description = "The schema to write.", DefaultValueFactory = _ => PostgresState.DefaultSchema };
        var force = new Option<bool>("--force") { Description = "Replace the ledgers the target already holds for these syncs." };
        var migrate = new Command("migrate",
            "Copy this project's embedded state (.sluice/: run history, rejected rows, each sync's ledger, writes in doubt, created ids) " +
            "into PostgreSQL. Then set state: in sluice.yaml to use it.") { to, schema, force };
        migrate.SetAction((parse, ct) => SluiceCli.GuardAsync(async () =>
        {
            await using var workspace = SluiceCli.OpenWorkspace(parse);
            var target = parse.GetValue(to)!;
            if (!target.Contains("://", StringComparison.Ordinal) && !target.Contains('=', StringComparison.Ordinal))
            {
                target = Environment.GetEnvironmentVariable(target) ?? throw new StateException(
                    $"--to {target} is neither a postgres:// URL nor a set environment variable. Export it (export {target}=postgres://...) or pass the URL.");
            }
            return await MigrateAsync(workspace, target, parse.GetValue(schema)!, parse.GetValue(force), ct);
        }));
        return new Command("state", "Manage where the project's state is kept.") { migrate };
    }

    private static async Task<int> MigrateAsync(Workspace workspace, string url, string schema, bool force, CancellationToken ct)
    {
        var directory = workspace.Project.Directory;
        if (!File.Exists(Path.Combine(directory, ".sluice", "state.duckdb")))
        {
            Console.Error.WriteLine($"error: {directory} has no embedded state (.sluice/state.duckdb) to migrate.");
            return ExitCodes.RunFailed;
        }
        await using var source = await EmbeddedState.OpenAsync(directory, ct);
        await using var target = await PostgresState.OpenAsync(url, schema, ct: ct);

        var runs = await source.Runs.HistoryAsync(null, int.MaxValue, ct);
        var syncs = workspace.Project.Syncs.Keys.Concat(runs.Select(r => r.Sync)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        // Nothing is written before every sync is known to be free to write.
        var taken = new List<string>();
        foreach (var sync in syncs)
        {
            if (await target.HasLedgerAsync(sync, ct))
                taken.Add(sync);
        }
        if (taken.Count > 0 && !force)
        {
            Console.Error.WriteLine(
                $"error: {target.Location} already holds the ledger of {string.Join(", ", taken.Select(s => $"'{s}'"))}. Nothing was copied. " +
                "Run with --force to replace it with this project's (what a worker delivered from there is then forgotten), or choose another --schema.");
            return ExitCodes.RunFailed;
        }

        var rejected = new List<RejectedRow>();
        foreach (var sync in syncs)
            rejected.AddRange(await source.Runs.RejectedAsync(sync, int.MaxValue, ct));
        var (runsCopied, rejectedCopied) = await target.History.ImportAsync(runs, rejected, ct);
        Console.WriteLine($"Copied to {target.Location}:");
        Console.WriteLine($"  history: {runsCopied:N0} run(s), {rejectedCopied:N0} rejected row(s)");
        foreach (var sync in syncs)
        {
            // Both claims are held while copying: no run of the sync changes either side meanwhile.
            await using var from = await source.ClaimAsync(sync, ct);
            await using var into = await target.ClaimAsync(sync, ct);
            var (records, inDoubt, ids) = await into.ReplaceWithAsync(from, ct);
            Console.WriteLine($"  {sync}: {records:N0} ledger record(s), {inDoubt:N0} write(s) in doubt, {ids:N0} created id(s)");
        }
        Console.WriteLine("Set state: ${DATABASE_URL} at the top of sluice.yaml to use it (docs/state.md); .sluice/ is then no longer read.");
        return ExitCodes.Ok;
    }
}

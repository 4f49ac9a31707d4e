using System.CommandLine;
using System.Text.Json.Nodes;
using Sluice.Core.Configuration;
using Sluice.Emulators.Actito;
using Sluice.Emulators.Iterable;
using Sluice.Emulators.Salesforce;
using Sluice.Engine;
using Spectre.Console;

namespace Sluice.Cli.Commands;

/// <summary>
/// `sluice demo`: the whole path on a laptop with no account: a sample warehouse, the destination
/// emulators in-process, a first run, a change of 1% plus a few new rows, a second run that sends only
/// those, and an update-mode sync that reports users missing from the destination as not found.
/// </summary>
internal static class DemoCommand
{
    private const string IterableKey = "demo-iterable-key";
    private const string ExistingKey = "demo-existing-project-key";
    private const string SalesforceClientId = "demo-connected-app";
    private const string SalesforceSecret = "demo-client-secret";
    private const string ActitoKey = "demo-actito-key";

    public static Command Create()
    {
        var dir = new Option<string?>("--dir") { Description = "Where to write the demo project (default: a new temporary folder)." };
        var customers = new Option<int>("--customers") { Description = "How many sample customers (100 to 5,000,000).", DefaultValueFactory = _ => 50_000 }
            .AtLeast(100, 5_000_000);
        var serve = new Option<bool>("--serve")
        {
            Description = "Instead of the story, leave `sluice serve` running on the demo project and its emulators, with its syncs on " +
                "short schedules: open the printed address, log in with the printed token and watch them run. Ctrl+C stops it.",
        };
        var urls = new Option<string[]>("--urls")
        {
            Description = "With --serve: where to listen (default http://127.0.0.1:5080).",
            DefaultValueFactory = _ => ["http://127.0.0.1:5080"],
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command("demo", "Run Sluice end to end on sample data against local emulators (no account needed).")
        {
            dir, customers, serve, urls,
        };
        command.SetAction((parse, ct) => SluiceCli.GuardAsync(() =>
            RunAsync(parse.GetValue(dir) ?? Path.Combine(Path.GetTempPath(), $"sluice-demo-{Guid.NewGuid():N}"[..24]), parse.GetValue(customers),
                parse.GetValue(serve) ? parse.GetValue(urls)! : null, ct)));
        return command;
    }

    /// <summary>The demo's schedules under <c>--serve</c>: short, so that a newcomer sees runs come, and chains of <c>after</c>.</summary>
    private static readonly (string Sync, string Schedule)[] ServeSchedules =
    [
        ("customers-to-iterable", "every 1m"),
        ("customers-update-existing", "after customers-to-iterable"),
        ("accounts-to-salesforce", "every 2m"),
        ("contacts-to-salesforce", "after accounts-to-salesforce"),
        ("customers-to-actito", "every 5m"),
    ];

    /// <param name="serveUrls">Serve the project there instead of telling the story (<c>--serve</c>), or null.</param>
    private static async Task<int> RunAsync(string directory, int customers, IReadOnlyList<string>? serveUrls, CancellationToken ct)
    {
        directory = Path.GetFullPath(directory);
        Directory.CreateDirectory(directory);
        if (Directory.Exists(Path.Combine(directory, ".sluice")))
            Directory.Delete(Path.Combine(directory, ".sluice"), recursive: true);
        var warehouse = Path.Combine(directory, "warehouse.duckdb");
        var output = Output.ForConsole();
        // Every claim the story makes is checked against what happened; a step that did not go as told says so.
        var ok = true;
        void Check(bool held, string what)
        {
            if (held)
                return;
            ok = false;
            output.Line($"[red]The demo expected {Markup.Escape(what)}; it did not happen (see above).[/]");
        }

        output.Heading("Sluice demo");
        output.Line($"Project folder: [blue]{Markup.Escape(directory)}[/]");
        await SampleData.CreateAsync(warehouse, customers, ct);
        output.Line($"Built a sample warehouse with {customers:N0} customers (warehouse.duckdb).");

        await using var iterable = await IterableEmulator.StartAsync(new IterableEmulatorOptions { ApiKey = IterableKey }, ct);
        await using var existing = await IterableEmulator.StartAsync(new IterableEmulatorOptions { ApiKey = ExistingKey }, ct);
        // The second Iterable project already knows 60% of the customers: update mode may only touch those.
        existing.SeedUsers(Enumerable.Range(1, customers).Where(i => i % 5 < 3)
            .Select(i => new IterableSeedUser($"customer{i}@example.com", null, new JsonObject { ["firstName"] = "Old" })));
        output.Line($"Started the Iterable emulator at {iterable.BaseUrl} and a second project (with {existing.UserCount:N0} existing users) at {existing.BaseUrl}.");

        await using var salesforce = await SalesforceEmulator.StartAsync(new SalesforceEmulatorOptions
        {
            ClientId = SalesforceClientId,
            ClientSecret = SalesforceSecret,
        }, ct);
        await using var actito = await ActitoEmulator.StartAsync(new ActitoEmulatorOptions { ApiKey = ActitoKey }, ct);
        output.Line($"Started the Salesforce emulator at {salesforce.BaseUrl} and the Actito emulator at {actito.BaseUrl}.");

        await File.WriteAllTextAsync(Path.Combine(directory, "sluice.yaml"), serveUrls is null ? ProjectFile : ScheduledProjectFile(), ct);
        var environment = new Dictionary<string, string?>
        {
            ["ITERABLE_BASE_URL"] = iterable.BaseUrl.ToString().TrimEnd('/'),
            ["ITERABLE_API_KEY"] = IterableKey,
            ["EXISTING_BASE_URL"] = existing.BaseUrl.ToString().TrimEnd('/'),
            ["EXISTING_API_KEY"] = ExistingKey,
            ["SF_LOGIN_URL"] = salesforce.BaseUrl.ToString().TrimEnd('/'),
            ["SF_CLIENT_ID"] = SalesforceClientId,
            ["SF_CLIENT_SECRET"] = SalesforceSecret,
            ["ACTITO_BASE_URL"] = actito.BaseUrl.ToString().TrimEnd('/'),
            ["ACTITO_API_KEY"] = ActitoKey,
        };
        // The project's own .env, so that `history`, `rejected` and the rest work on it after the demo, as printed.
        await File.WriteAllTextAsync(Path.Combine(directory, ".env"),
            "# Written by `sluice demo`: the emulators' made-up keys and the URLs they had (they stop with the demo).\n" +
            string.Concat(environment.Select(v => $"{v.Key}={v.Value}\n")), ct);
        await File.WriteAllTextAsync(Path.Combine(directory, ".gitignore"), ".sluice/\n.env\n", ct);
        if (serveUrls is not null)
            return await ServeAsync(directory, environment, serveUrls, output, ct);

        await using (var workspace = Workspace.Load(directory, SluiceCli.Catalog(), SluiceCli.Services(), environment))
        {
            var upsert = workspace.Sync("customers-to-iterable");
            output.Heading("1. First run: every customer is new");
            Check(await RunAndShowAsync(workspace, upsert, output, ct), "the first run to succeed");
            output.Line($"Iterable now holds [bold]{iterable.UserCount:N0}[/] users.");

            const int every = 100;
            const int added = 25;
            var changed = customers / every;
            await SampleData.ChangeAsync(warehouse, every, added, ct);
            output.Heading($"2. Changed the plan of {changed:N0} customer{(changed == 1 ? "" : "s")} ({Percent(changed, customers)}), edited an unmapped column of a third, added {added}");
            var before = iterable.GetStats().UsersReceived.Values.Sum();
            Check(await RunAndShowAsync(workspace, upsert, output, ct), "the second run to succeed");
            var received = iterable.GetStats().UsersReceived.Values.Sum() - before;
            if (received == changed + added)
                output.Line($"Iterable received [bold]{received:N0}[/] users this run: the {changed:N0} changed and {added} new ones, nothing else.");
            else
                Check(false, $"Iterable to receive {changed + added:N0} users (it received {received:N0})");

            output.Heading("3. Update mode (a segment of recent active customers) on a project that already has 60% of them");
            output.Line("Iterable has no update-only call, so Sluice looks each new user up first (100 lookups/s, Iterable's read limit); users it does not find are reported as not found and never created.");
            var existingBefore = existing.UserCount;
            Check(await RunAndShowAsync(workspace, workspace.Sync("customers-update-existing"), output, ct), "the update run to succeed");
            output.Line($"That project still holds {existing.UserCount:N0} users (was {existingBefore:N0}): none created.");
            Check(existing.UserCount == existingBefore, "update mode to create no user");

            output.Heading("4. Salesforce: accounts (custom model) and contacts (user model), upserted by an external ID");
            Check(await RunAndShowAsync(workspace, workspace.Sync("accounts-to-salesforce"), output, ct), "the accounts run to succeed");
            Check(await RunAndShowAsync(workspace, workspace.Sync("contacts-to-salesforce"), output, ct), "the contacts run to succeed");
            output.Line($"Salesforce now holds {salesforce.CountRecords("Account"):N0} accounts and {salesforce.CountRecords("Contact"):N0} contacts.");

            output.Heading("5. Actito mirror: creates the missing attributes, then keeps the Profiles table equal to the model");
            var mirror = workspace.Sync("customers-to-actito");
            Check(await RunAndShowAsync(workspace, mirror, output, ct), "the first mirror run to succeed");
            var delivered = actito.ProfileCount("Profiles", "sluice_demo");
            output.Line($"Actito's Profiles table holds {delivered:N0} profiles; attributes: {Markup.Escape(string.Join(", ", actito.GetAttributeNames("Profiles", "sluice_demo")))}.");

            // A few deletes: Actito has no bulk delete and allows 100 single calls a minute, so each one is paced.
            var removed = (int)Math.Min(10, Math.Max(1, delivered / 20));
            await SampleData.RemoveAsync(warehouse, 1, removed, ct);
            output.Line($"Removed {removed} customers from the warehouse: mirror deletes exactly those ({Percent(removed, delivered)} of the {delivered:N0} it delivered, " +
                $"under its {mirror.MaxDeletes} guard). Actito has no bulk delete and allows 100 calls a minute, so they go one call at a time: a few seconds.");
            var deletes = await RunCommand.RunAsync(workspace, [mirror], new RunOptions(), quiet: false, output, ct);
            RunCommand.WriteSummary(deletes, output);
            Check(deletes[0].Succeeded && deletes[0].Outcome!.Record.Counts.Deleted == removed, $"the mirror to delete {removed} profiles");
            var left = actito.ProfileCount("Profiles", "sluice_demo");
            output.Line($"Actito now holds {left:N0} profiles.");

            // Twice what the guard allows of what is left, and never the whole model (that is the empty-model rule's case).
            var allowed = mirror.MaxDeletes.AllowedFor(left);
            var many = (int)Math.Min(left - 1, 2 * allowed + 1);
            await SampleData.RemoveAsync(warehouse, removed + 1, removed + many, ct);
            output.Line($"Removed {many:N0} more ({Percent(many, left)} of the {left:N0} profiles, over the {allowed:N0} that max_deletes {mirror.MaxDeletes} allows): " +
                "the mirror guard stops the run before deleting anything.");
            var guarded = await RunCommand.RunAsync(workspace, [mirror], new RunOptions(), quiet: false, output, ct);
            RunCommand.WriteSummary(guarded, output);
            Check(guarded[0].GuardStopped && guarded[0].Outcome!.Record.Counts.Deleted == 0, "the mirror guard to stop the run");
            output.Line($"Actito still holds {actito.ProfileCount("Profiles", "sluice_demo"):N0} profiles.");
        }

        output.Heading(ok ? "Done" : "Done, but not as described");
        var sluice = SluiceCli.CommandName();
        var project = SluiceCli.Quote(directory);
        output.Line("The demo project stays on disk, with its run history (the emulators stopped with the demo, so its syncs cannot run again). Explore it:");
        output.Line(Markup.Escape($"  {sluice} history --project {project}"));
        output.Line(Markup.Escape($"  {sluice} rejected customers-update-existing --project {project}"));
        return ok ? ExitCodes.Ok : ExitCodes.RunFailed;
    }

    /// <summary>
    /// Serves the demo project while its emulators run: a token of <c>SLUICE_API_TOKENS</c>, or a new one printed here
    /// (the demo's own, for a server on this machine: a real one is never printed).
    /// </summary>
    private static async Task<int> ServeAsync(string directory, Dictionary<string, string?> environment, IReadOnlyList<string> urls, Output output,
        CancellationToken ct)
    {
        var tokens = ServeCommand.ReadTokens(null);
        var token = tokens.Count == 0 ? Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)) : null;
        output.Heading("Serving the demo project");
        output.Line("Its syncs run on short schedules (" + Markup.Escape(string.Join(", ", ServeSchedules.Select(s => $"{s.Sync}: {s.Schedule}"))) + ").");
        output.Line($"Every {ChangeInterval.TotalSeconds:0} seconds the demo changes its warehouse (warehouse.duckdb): 3 customers' plan, 2 customers " +
            "added, 1 removed, 1 account's head count, so each scheduled run has rows to send.");
        output.Line(token is null
            ? $"Log in with one of the tokens of {ServeCommand.TokensVariable}."
            : $"Log in with the token [bold]{token}[/] (made up for this demo; set {ServeCommand.TokensVariable} to choose one).");
        await using var workspace = Workspace.Load(directory, SluiceCli.Catalog(), SluiceCli.Services(), environment);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var changes = ChangeWarehouseAsync(Path.Combine(directory, "warehouse.duckdb"), TimeProvider.System, stop.Token);
        try
        {
            return await ServeCommand.ServeAsync(workspace, urls, token is null ? tokens : [token], watch: true, publicUrl: null, environment, ct);
        }
        finally
        {
            await stop.CancelAsync();
            await changes;
        }
    }

    /// <summary>How often <c>--serve</c> changes the demo's warehouse: more often than its shortest schedule (every 1m).</summary>
    internal static readonly TimeSpan ChangeInterval = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Changes the demo's warehouse every <see cref="ChangeInterval"/> until stopped (<see cref="SampleData.ChangeLiveAsync"/>),
    /// so that the served demo's runs keep finding changes. A failed change is told and tried again next time.
    /// </summary>
    private static async Task ChangeWarehouseAsync(string warehouse, TimeProvider time, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(ChangeInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                try
                {
                    var what = await SampleData.ChangeLiveAsync(warehouse, ct);
                    Console.WriteLine($"demo: changed warehouse.duckdb ({what})");
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Data.Common.DbException)
                {
                    Console.Error.WriteLine($"demo: could not change warehouse.duckdb this time ({e.Message}); trying again in {ChangeInterval.TotalSeconds:0} s.");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static string ScheduledProjectFile()
    {
        var text = ProjectFile.ReplaceLineEndings("\n");
        foreach (var (sync, schedule) in ServeSchedules)
            text = text.Replace($"\n  {sync}:\n", $"\n  {sync}:\n    schedule: {schedule}\n", StringComparison.Ordinal);
        return text;
    }

    private static string Percent(long part, long whole) =>
        (part / (double)whole).ToString(part * 100 % whole == 0 ? "0%" : "0.0%", System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<bool> RunAndShowAsync(Workspace workspace, SyncConfig sync, Output output, CancellationToken ct)
    {
        var outcomes = await RunCommand.RunAsync(workspace, [sync], new RunOptions(), quiet: false, output, ct);
        RunCommand.WriteSummary(outcomes, output);
        return outcomes.All(o => o.Succeeded);
    }

    private const string ProjectFile = """
        # The demo project: a DuckDB warehouse and two Iterable projects (local emulators).
        sources:
          warehouse:
            type: duckdb
            path: warehouse.duckdb

        models:
          customers:
            source: warehouse
            kind: user
            primary_key: customer_id
            sql: select customer_id, email, first_name, last_name, plan, ltv, signup_date, is_active, internal_note from customers
          accounts:
            source: warehouse
            kind: custom
            primary_key: account_id
            sql: select account_id, 'A-' || account_id as external_id, name, website, employees, annual_revenue from accounts
          contacts:
            source: warehouse
            kind: user
            primary_key: customer_id
            sql: select customer_id, 'C-' || customer_id as external_id, email, first_name, last_name from customers where customer_id <= 2000
          actito_customers:
            source: warehouse
            kind: user
            primary_key: customer_id
            sql: select customer_id, 'C-' || customer_id as customer_ref, email, first_name, last_name, plan, ltv from customers where customer_id <= 5000
          recent_active_customers:        # a segment: the model plus a filter
            model: customers
            filter: is_active and customer_id <= 1500

        destinations:
          iterable:
            type: iterable
            api_key: ${ITERABLE_API_KEY}
            base_url: ${ITERABLE_BASE_URL}
          existing_iterable:
            type: iterable
            api_key: ${EXISTING_API_KEY}
            base_url: ${EXISTING_BASE_URL}
          sf_accounts:
            type: salesforce
            login_url: ${SF_LOGIN_URL}
            client_id: ${SF_CLIENT_ID}
            client_secret: ${SF_CLIENT_SECRET}
            object: Account
          sf_contacts:
            type: salesforce
            login_url: ${SF_LOGIN_URL}
            client_id: ${SF_CLIENT_ID}
            client_secret: ${SF_CLIENT_SECRET}
            object: Contact
          actito:
            type: actito
            api_key: ${ACTITO_API_KEY}
            base_url: ${ACTITO_BASE_URL}
            entity: sluice_demo
            table: Profiles
            bulk_threshold: 20

        syncs:
          customers-to-iterable:
            model: customers
            destination: iterable
            mode: upsert
            match: { column: email, field: email }
            mappings:
              first_name: firstName
              last_name: lastName
              plan: plan
              ltv: lifetimeValue
              signup_date: signupDay
            warnings:
              rejected_rows_percent: 5
          customers-update-existing:
            model: recent_active_customers
            destination: existing_iterable
            mode: update
            match: { column: email, field: email }
            mappings:
              first_name: firstName
              plan: plan
          accounts-to-salesforce:
            model: accounts
            destination: sf_accounts
            mode: upsert
            match: { column: external_id, field: External_Id__c }
            mappings:
              name: Name
              website: Website
              employees: NumberOfEmployees
              annual_revenue: AnnualRevenue
          contacts-to-salesforce:
            model: contacts
            destination: sf_contacts
            mode: upsert
            match: { column: external_id, field: External_Id__c }
            mappings:
              email: Email
              first_name: FirstName
              last_name: LastName
          customers-to-actito:
            model: actito_customers
            destination: actito
            mode: mirror
            match: { column: customer_ref, field: customerId }
            max_deletes: 10%
            mappings:
              email: emailAddress
              first_name: firstName
              last_name: lastName
              plan: plan
              ltv: lifetimeValue
        """;
}

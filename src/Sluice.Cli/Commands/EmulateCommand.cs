using System.CommandLine;
using Sluice.Emulators;
using Sluice.Emulators.Actito;
using Sluice.Emulators.Iterable;
using Sluice.Emulators.Salesforce;

namespace Sluice.Cli.Commands;

internal static class EmulateCommand
{
    public static Command Create()
    {
        var command = new Command("emulate", "Serve a local copy of a destination's HTTP API (for tests, demos and offline development).");
        command.Subcommands.Add(Iterable());
        command.Subcommands.Add(Salesforce());
        command.Subcommands.Add(Actito());
        return command;
    }

    private static Command Iterable()
    {
        var port = new Option<int>("--port") { Description = "The port on 127.0.0.1 (0 picks a free one).", DefaultValueFactory = _ => 5081 }.AtLeast(0, 65535);
        var apiKey = new Option<string>("--api-key") { Description = "The API key clients must send.", Required = true };
        var noRateLimits = new Option<bool>("--no-rate-limits") { Description = "Switch Iterable's per-endpoint rate limits off." };
        // Iterable applies profile writes asynchronously and asks for 60 s before dependent calls; 10 s shows the lag
        // without making manual checks tedious. 0 reads every write at once.
        var readDelay = new Option<double>("--read-delay")
        {
            Description = "Seconds during which reads of a just-written user still see its previous state (Iterable's asynchronous processing); 0 for none.",
            DefaultValueFactory = _ => 10,
        };
        var faults = FaultsOption();
        var command = new Command("iterable", "Emulate Iterable's users API (update, bulkUpdate, updateEmail, get, delete, getFields).")
        {
            port, apiKey, noRateLimits, readDelay, faults,
        };
        command.SetAction((parse, ct) => SluiceCli.GuardAsync(async () =>
        {
            if (!TryReadFaults(parse.GetValue(faults), bulkJobs: false, out var faultOptions))
                return ExitCodes.BadConfig;
            var delay = parse.GetValue(readDelay);
            if (!(delay >= 0 && delay <= 3600))
            {
                await Console.Error.WriteLineAsync("--read-delay must be between 0 and 3600 seconds.");
                return ExitCodes.BadConfig;
            }
            await using var emulator = await StartAsync(parse.GetValue(port), () => IterableEmulator.StartAsync(new IterableEmulatorOptions
            {
                Port = parse.GetValue(port),
                ApiKey = parse.GetValue(apiKey)!,
                RateLimits = !parse.GetValue(noRateLimits),
                ReadAfterWriteDelay = TimeSpan.FromSeconds(delay),
                Faults = faultOptions,
            }, ct));
            if (emulator is null)
                return ExitCodes.BadConfig;
            return await ServeAsync("Iterable", emulator.BaseUrl, ct);
        }));
        return command;
    }

    private static Command Salesforce()
    {
        var port = new Option<int>("--port") { Description = "The port on 127.0.0.1 (0 picks a free one).", DefaultValueFactory = _ => 5083 }.AtLeast(0, 65535);
        var clientId = new Option<string>("--client-id") { Description = "The connected app's client id.", Required = true };
        var clientSecret = new Option<string>("--client-secret") { Description = "The connected app's client secret.", Required = true };
        var schemaDir = new Option<string?>("--schema-dir") { Description = "A folder of <Object>.json describe files captured from your org (custom __c fields included)." };
        var dailyLimit = new Option<int>("--daily-api-limit") { Description = "The org's daily API request allocation.", DefaultValueFactory = _ => 15_000 };
        var faults = FaultsOption();
        var command = new Command("salesforce", "Emulate Salesforce: OAuth, describe, sObject Collections, single records, SOQL lookups and Bulk API 2.0 ingest.")
        {
            port, clientId, clientSecret, schemaDir, dailyLimit, faults,
        };
        command.SetAction((parse, ct) => SluiceCli.GuardAsync(async () =>
        {
            if (!TryReadFaults(parse.GetValue(faults), bulkJobs: true, out var faultOptions))
                return ExitCodes.BadConfig;
            await using var emulator = await StartAsync(parse.GetValue(port), () => SalesforceEmulator.StartAsync(new SalesforceEmulatorOptions
            {
                Port = parse.GetValue(port),
                ClientId = parse.GetValue(clientId)!,
                ClientSecret = parse.GetValue(clientSecret)!,
                SchemaDirectory = parse.GetValue(schemaDir),
                DailyApiLimit = parse.GetValue(dailyLimit),
                Faults = faultOptions,
            }, ct));
            if (emulator is null)
                return ExitCodes.BadConfig;
            return await ServeAsync("Salesforce", emulator.BaseUrl, ct);
        }));
        return command;
    }

    private static Command Actito()
    {
        var port = new Option<int>("--port") { Description = "The port on 127.0.0.1 (0 picks a free one).", DefaultValueFactory = _ => 5082 }.AtLeast(0, 65535);
        var apiKey = new Option<string>("--api-key") { Description = "The API key clients exchange for tokens.", Required = true };
        var noRateLimits = new Option<bool>("--no-rate-limits") { Description = "Switch Actito's call, concurrency and import limits off." };
        var entity = new Option<string>("--entity") { Description = "The entity (the destination's `entity:`) it serves.", DefaultValueFactory = _ => "sluice_demo" };
        var table = new Option<string>("--table")
        {
            Description = "The profile table (the destination's `table:`) it serves, with the demo attributes (emailAddress, firstName, lastName, customerId...).",
            DefaultValueFactory = _ => "Profiles",
        };
        var faults = FaultsOption();
        var command = new Command("actito", "Emulate Actito: tokens, profile table structure, profiles and bulk imports (default: entity sluice_demo, table Profiles).")
        {
            port, apiKey, noRateLimits, entity, table, faults,
        };
        command.SetAction((parse, ct) => SluiceCli.GuardAsync(async () =>
        {
            if (!TryReadFaults(parse.GetValue(faults), bulkJobs: false, out var faultOptions))
                return ExitCodes.BadConfig;
            var (entityName, tableName) = (parse.GetValue(entity)!.Trim(), parse.GetValue(table)!.Trim());
            if (entityName.Length == 0 || tableName.Length == 0)
                return SluiceCli.UsageError("--entity and --table need a technical name (e.g. --entity my_entity --table Profiles).");
            var profiles = ActitoTableDefinition.DefaultProfiles();
            profiles.Name = tableName;
            await using var emulator = await StartAsync(parse.GetValue(port), () => ActitoEmulator.StartAsync(new ActitoEmulatorOptions
            {
                Port = parse.GetValue(port),
                ApiKey = parse.GetValue(apiKey)!,
                RateLimits = !parse.GetValue(noRateLimits),
                Entities = [entityName],
                Tables = [profiles],
                Faults = faultOptions,
            }, ct));
            if (emulator is null)
                return ExitCodes.BadConfig;
            Console.Error.WriteLine($"Actito emulator: entity '{entityName}', table '{tableName}' (attributes: " +
                $"{string.Join(", ", emulator.GetAttributeNames(tableName, entityName))}). Point a destination's entity: and table: at them.");
            return await ServeAsync("Actito", emulator.BaseUrl, ct);
        }));
        return command;
    }

    /// <summary>Starts an emulator; a port another process holds is a usage error (null, after saying so), not a crash.</summary>
    private static async Task<T?> StartAsync<T>(int port, Func<Task<T>> start) where T : class
    {
        try
        {
            return await start();
        }
        catch (Exception e) when (InUse(e))
        {
            SluiceCli.UsageError($"port {port} on 127.0.0.1 is already in use by another process: pick another with --port (0 picks a free one).");
            return null;
        }
    }

    private static bool InUse(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AddressAlreadyInUse } ||
                e.GetType().Name == "AddressInUseException")
                return true;
        }
        return false;
    }

    private static Option<string?> FaultsOption() => new("--faults")
    {
        Description = "Faults to inject from the start, as the JSON of POST /_emulator/faults, e.g. '{\"errorRate\":0.1,\"applyThenDropRate\":0.02}' (see docs/emulator-faults.md).",
    };

    /// <summary>Reads <c>--faults</c> with the emulators' own vocabulary; prints the problem and returns false when it is wrong.</summary>
    private static bool TryReadFaults(string? json, bool bulkJobs, out FaultOptions faults)
    {
        faults = new FaultOptions();
        if (string.IsNullOrWhiteSpace(json))
            return true;
        if (FaultSettings.Apply(json, faults, bulkJobs) is not { } error)
            return true;
        Console.Error.WriteLine($"error: --faults: {error}");
        return false;
    }

    /// <summary>Prints the base URL and serves until Ctrl+C (or the process is stopped).</summary>
    public static async Task<int> ServeAsync(string service, Uri baseUrl, CancellationToken ct)
    {
        Console.Out.WriteLine(baseUrl.ToString().TrimEnd('/'));
        Console.Error.WriteLine($"{service} emulator listening on {baseUrl}. Press Ctrl+C to stop.");
        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, TimeProvider.System, ct);
        }
        catch (OperationCanceledException)
        {
        }
        return ExitCodes.Ok;
    }
}

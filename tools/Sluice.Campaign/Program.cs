using System.Diagnostics;
using System.Globalization;
using Sluice.Campaign;

const string Usage = """
    usage: Sluice.Campaign crash|fault [--seed N] [--kills N] [--kills-per-case] [--rows N] [--dest iterable|salesforce|actito]
                                       [--mode insert|update|upsert|mirror|<mode>-bulk] [--out DIR] [--cli PATH/sluice.dll]
                                       [--rounds N] [--reject-share 0..0.2] [--state embedded|postgres [--state-url URL]]
                                       [--source duckdb|postgres [--source-url URL]]
           Sluice.Campaign host iterable|salesforce|actito ...   (an emulator process; started by the campaigns)

    crash: SIGKILLs `sluice run` at random moments while the model changes between runs, runs to the end, reads each
           destination back through its own API and compares it with the model.
    fault: the same comparison with no kills and the emulators injecting 5xx, 429 bursts, latency, dropped connections,
           token expiry, and rows the destination refuses.
    --state postgres: each case keeps its state in a schema of its own of the PostgreSQL database at --state-url (or
           $SLUICE_STATE_URL), so the guarantees are proven on the shared store too.
    --source postgres: each case's model is a table in a schema of its own of the PostgreSQL database at --source-url
           (or $SLUICE_SOURCE_URL), planned by the warehouse planner, whose ledger lives in that database too.
    Exit code 0 when every case is clean, 1 when a case lost, duplicated, left stale, added or wrongly deleted a row, 2 on bad usage.
    """;

if (args.Length > 0 && args[0] == "host")
    return await EmulatorHost.RunAsync(args[1..]);

if (args.Length == 0 || args[0] is not ("crash" or "fault") || args.Contains("--help") || args.Contains("-h"))
{
    Console.Error.WriteLine(Usage);
    return args.Length > 0 && (args.Contains("--help") || args.Contains("-h")) ? 0 : 2;
}

CampaignOptions options;
try
{
    options = Parse(args);
}
catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(Usage);
    return 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
Console.Out.WriteLine($"seed: {options.Seed}");
Console.Out.WriteLine($"command: Sluice.Campaign {string.Join(' ', args)}{(args.Contains("--seed") ? "" : $" --seed {options.Seed}")}");
var watch = Stopwatch.StartNew();
try
{
    var results = await new Campaign(options, Console.Out).RunAsync(cancel.Token);
    Report.Print(Console.Out, results, options, watch.Elapsed);
    if (options.Out is not null)
    {
        using var file = new StringWriter(CultureInfo.InvariantCulture);
        file.WriteLine($"command: Sluice.Campaign {string.Join(' ', args)}");
        Report.Print(file, results, options, watch.Elapsed);
        await File.WriteAllTextAsync(Path.Combine(options.Out, $"report-{options.Kind.ToString().ToLowerInvariant()}.txt"), file.ToString());
    }
    return results.All(r => r.Passed) ? 0 : 1;
}
catch (CampaignException e)
{
    Console.Error.WriteLine($"The campaign could not run: {e.Message}");
    return 2;
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("Stopped.");
    return 2;
}

static CampaignOptions Parse(string[] args)
{
    var options = new CampaignOptions
    {
        Kind = args[0] == "crash" ? CampaignKind.Crash : CampaignKind.Fault,
        Seed = Random.Shared.Next(1, 1_000_000),
    };
    for (var i = 1; i < args.Length; i++)
    {
        string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
        int Int() => int.Parse(Value(), NumberStyles.Integer, CultureInfo.InvariantCulture);
        options = args[i] switch
        {
            "--seed" => options with { Seed = Int() },
            "--kills" => options with { Kills = Positive(Int(), "--kills") },
            "--kills-per-case" => options with { KillsPerCase = true },
            "--rows" => options with { Rows = Positive(Int(), "--rows") },
            "--dest" => options with { Destination = Value() },
            "--mode" => options with { Mode = Value() },
            "--out" => options with { Out = Value() },
            "--cli" => options with { Cli = Value() },
            "--rounds" => options with { Rounds = Positive(Int(), "--rounds") },
            "--reject-share" => options with { RejectShare = Share(double.Parse(Value(), CultureInfo.InvariantCulture)) },
            "--state" => Value() switch
            {
                "embedded" => options with { StateUrl = null },
                "postgres" => options with { StateUrl = options.StateUrl ?? Environment.GetEnvironmentVariable("SLUICE_STATE_URL") ?? "" },
                var other => throw new ArgumentException($"--state must be embedded or postgres, not {other}."),
            },
            "--state-url" => options with { StateUrl = Value() },
            "--source" => Value() switch
            {
                "duckdb" => options with { SourceUrl = null },
                "postgres" => options with { SourceUrl = options.SourceUrl ?? Environment.GetEnvironmentVariable("SLUICE_SOURCE_URL") ?? "" },
                var other => throw new ArgumentException($"--source must be duckdb or postgres, not {other}."),
            },
            "--source-url" => options with { SourceUrl = Value() },
            _ => throw new ArgumentException($"Unknown option {args[i]}."),
        };
    }
    if (options.StateUrl is "")
        throw new ArgumentException("--state postgres needs the database: --state-url postgres://... or SLUICE_STATE_URL.");
    if (options.SourceUrl is "")
        throw new ArgumentException("--source postgres needs the database: --source-url postgres://... or SLUICE_SOURCE_URL.");
    return options;
}

static int Positive(int value, string name) => value > 0 ? value : throw new ArgumentException($"{name} must be positive.");

static double Share(double value) => value is >= 0 and <= 0.2 ? value : throw new ArgumentException("--reject-share must be between 0 and 0.2.");

using System.CommandLine;
using Sluice.Emulators.Iterable;

namespace Sluice.Cli.Commands;

internal static class EmulateCommand
{
    public static Command Create()
    {
        var command = new Command("emulate", "Serve a local copy of a destination's HTTP API (for tests, demos and offline development).");
        command.Subcommands.Add(Iterable());
        return command;
    }

    private static Command Iterable()
    {
        var port = new Option<int>("--port") { Description = "The port on 127.0.0.1 (0 picks a free one).", DefaultValueFactory = _ => 5081 };
        var apiKey = new Option<string>("--api-key") { Description = "The API key clients must send.", Required = true };
        var noRateLimits = new Option<bool>("--no-rate-limits") { Description = "Switch Iterable's per-endpoint rate limits off." };
        var command = new Command("iterable", "Emulate Iterable's users API (update, bulkUpdate, get, delete, getFields).")
        {
            port, apiKey, noRateLimits,
        };
        command.SetAction((parse, ct) => SluiceCli.GuardAsync(async () =>
        {
            await using var emulator = await IterableEmulator.StartAsync(new IterableEmulatorOptions
            {
                Port = parse.GetValue(port),
                ApiKey = parse.GetValue(apiKey)!,
                RateLimits = !parse.GetValue(noRateLimits),
            }, ct);
            return await ServeAsync("Iterable", emulator.BaseUrl, ct);
        }));
        return command;
    }

    /// <summary>Prints the base URL and serves until Ctrl+C (or the process is stopped).</summary>
    public static async Task<int> ServeAsync(string service, Uri baseUrl, CancellationToken ct)
    {
        Console.Out.WriteLine(baseUrl.ToString().TrimEnd('/'));
        Console.Error.WriteLine($"{service} emulator listening on {baseUrl}. Press Ctrl+C to stop.");
        try
        {
            await Task.Delay(Timeout.Infinite, ct);
        }
        catch (OperationCanceledException)
        {
        }
        return ExitCodes.Ok;
    }
}

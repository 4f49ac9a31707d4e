using System.CommandLine;
using System.Runtime.InteropServices;
using Sluice.Server;
using Sluice.Server.Telemetry;

namespace Sluice.Cli.Commands;

/// <summary>
/// `sluice serve`: runs the project's syncs on their schedules with the REST API and the web UI (Sluice.Server). The
/// state is the one every other command uses (<see cref="Workspace.StateAsync"/>).
/// </summary>
internal static class ServeCommand
{
    public const string TokensVariable = "SLUICE_API_TOKENS";

    public static Command Create()
    {
        var urls = new Option<string[]>("--urls")
        {
            Description = "Where to listen (default http://127.0.0.1:5080). Use http://0.0.0.0:5080 to be reached from other machines.",
            DefaultValueFactory = _ => ["http://127.0.0.1:5080"],
            AllowMultipleArgumentsPerToken = true,
        };
        var tokensFile = new Option<string?>("--tokens-file")
        {
            Description = $"A file with the API tokens, one a line (instead of the {TokensVariable} variable).",
        };
        var publicUrl = new Option<Uri?>("--public-url")
        {
            Description = "The web UI's address as people reach it (behind a proxy), for the links in warnings. Default: the first --urls address.",
            CustomParser = r =>
            {
                if (Uri.TryCreate(r.Tokens[0].Value, UriKind.Absolute, out var u) && u.Scheme is "http" or "https")
                    return u;
                r.AddError("--public-url must be an absolute http(s) address, such as https://sluice.example.com/.");
                return null;
            },
        };
        var noWatch = new Option<bool>("--no-watch") { Description = "Do not reload sluice.yaml when it changes (POST /api/reload still does)." };
        var logFormat = new Option<LogFormat>("--log-format")
        {
            Description = "Console logs as text lines or as one JSON object a line (for log collectors). Traces and metrics go over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set.",
            DefaultValueFactory = _ => LogFormat.Text,
        };
        var checkInterval = new Option<int>("--check-interval")
        {
            Description = "How often, in seconds, a paused sync's source, model and destination are checked to resume it.",
            DefaultValueFactory = _ => (int)ServerOptions.DefaultCheckInterval.TotalSeconds,
            CustomParser = r =>
            {
                if (int.TryParse(r.Tokens[0].Value, System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds is > 0 and <= 86_400)
                    return seconds;
                r.AddError($"--check-interval is '{r.Tokens[0].Value}': give a number of seconds from 1 to 86400.");
                return 0;
            },
        };
        var command = new Command("serve", "Run syncs on their schedules, with a REST API and a web UI.") { urls, tokensFile, publicUrl, noWatch, logFormat, checkInterval };
        command.SetAction((parse, ct) => SluiceCli.GuardAsync(async () =>
        {
            var tokens = ReadTokens(parse.GetValue(tokensFile));
            if (tokens.Count == 0)
            {
                Console.Error.WriteLine($"error: sluice serve needs an API token: set {TokensVariable} (one or more tokens, separated by commas) " +
                    "or pass --tokens-file FILE (one token a line). Make each a long random string, e.g. `openssl rand -hex 32`.");
                return ExitCodes.BadConfig;
            }
            await using var workspace = SluiceCli.OpenWorkspace(parse, warn: true);
            return await ServeAsync(workspace, parse.GetValue(urls)!, tokens, !parse.GetValue(noWatch), parse.GetValue(publicUrl), null, ct, parse.GetValue(logFormat),
                TimeSpan.FromSeconds(parse.GetValue(checkInterval)));
        }));
        return command;
    }

    /// <summary>Serves the workspace's project until Ctrl+C or SIGTERM (or <paramref name="ct"/>), printing where.</summary>
    public static async Task<int> ServeAsync(Workspace workspace, IReadOnlyList<string> urls, IReadOnlyList<string> tokens, bool watch,
        Uri? publicUrl, IReadOnlyDictionary<string, string?>? environment, CancellationToken ct, LogFormat logFormat = LogFormat.Text,
        TimeSpan? checkInterval = null)
    {
        await using var server = await SluiceServer.StartAsync(new ServerOptions
        {
            ProjectDirectory = workspace.Project.Directory,
            Catalog = SluiceCli.Catalog(),
            Services = SluiceCli.Services(),
            OpenState = async token => await workspace.StateAsync(token),
            Urls = urls,
            Tokens = tokens,
            WatchProject = watch,
            PublicUrl = publicUrl,
            Environment = environment,
            LogFormat = logFormat,
            CheckInterval = checkInterval ?? ServerOptions.DefaultCheckInterval,
        }, ct: ct);
        Console.WriteLine($"Sluice is serving {workspace.Project.Syncs.Count} sync(s) of {workspace.Project.Directory}");
        foreach (var url in server.Urls)
            Console.WriteLine($"  web UI: {url}  API: {url}api/syncs  API docs: {url}scalar");
        Console.WriteLine("Press Ctrl+C to stop (running syncs finish their batches in flight first; Ctrl+C again aborts them).");
        // The host handles the first Ctrl+C (a graceful stop); a second one aborts the runs still going.
        var interrupts = 0;
        using var again = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ =>
        {
            if (Interlocked.Increment(ref interrupts) > 1)
                server.CancelRuns();
        });
        try
        {
            await server.WaitForShutdownAsync(ct);
        }
        catch (OperationCanceledException)
        {
        }
        await server.StopAsync(CancellationToken.None);
        return ExitCodes.Ok;
    }

    /// <summary>The tokens of <see cref="TokensVariable"/> (comma-separated), or of a file (one a line, # comments).</summary>
    public static List<string> ReadTokens(string? file)
    {
        var text = file is null ? Environment.GetEnvironmentVariable(TokensVariable) ?? "" : File.ReadAllText(file);
        return text.Split([',', '\n', '\r'], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Where(t => !t.StartsWith('#')).ToList();
    }
}

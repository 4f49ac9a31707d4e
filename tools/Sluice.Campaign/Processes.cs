using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;

namespace Sluice.Campaign;

/// <summary>A campaign that could not run as set up (a child that failed to start, an unreadable answer): printed, exit code 2.</summary>
internal sealed class CampaignException(string message) : Exception(message);

/// <summary>How one child process ended: its exit code (null when this campaign killed it), output and wall time.</summary>
internal sealed record ChildResult(int? ExitCode, bool Killed, string Stdout, string Stderr, TimeSpan Elapsed)
{
    public JsonNode? Json
    {
        get
        {
            try
            {
                return Stdout.Length == 0 ? null : JsonNode.Parse(Stdout);
            }
            catch (System.Text.Json.JsonException)
            {
                return null;
            }
        }
    }

    public string Describe() =>
        $"exit {(Killed ? "killed" : ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture))}\nstdout:\n{Tail(Stdout)}\nstderr:\n{Tail(Stderr)}";

    private static string Tail(string text) => text.Length <= 3000 ? text : "..." + text[^3000..];
}

/// <summary>Starts the built binaries (<c>dotnet sluice.dll</c>, <c>dotnet Sluice.Campaign.dll host ...</c>) as real child processes.</summary>
internal static class Children
{
    /// <summary>The <c>dotnet</c> host: the one running us when we were started through it, else the one on PATH.</summary>
    private static string DotnetHost
    {
        get
        {
            if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
                return host;
            var self = Environment.ProcessPath;
            return self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
        }
    }

    /// <summary>sluice.dll beside this assembly (the project references Sluice.Cli), or the one given.</summary>
    public static string FindCli(string? given)
    {
        var path = given ?? Path.Combine(AppContext.BaseDirectory, "sluice.dll");
        return File.Exists(path) ? Path.GetFullPath(path)
            : throw new CampaignException($"Cannot find the sluice CLI at {path}. Build tools/Sluice.Campaign (it builds src/Sluice.Cli beside it) or pass --cli PATH/sluice.dll.");
    }

    /// <summary>This campaign's own assembly, for the emulator host processes.</summary>
    public static string SelfDll => Path.Combine(AppContext.BaseDirectory, "Sluice.Campaign.dll");

    public static ProcessStartInfo Dotnet(string dll, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        info.ArgumentList.Add(dll);
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        info.Environment["NO_COLOR"] = "1";
        info.Environment["COLUMNS"] = "200";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        return info;
    }

    /// <summary>
    /// Runs a child; when <paramref name="killAfter"/> passes before it exits, it is SIGKILLed (no chance to clean
    /// up, as a crash or an OOM kill would leave it). <paramref name="timeout"/> bounds a run that hangs.
    /// </summary>
    public static async Task<ChildResult> RunAsync(ProcessStartInfo info, TimeSpan? killAfter, TimeSpan timeout, CancellationToken ct)
    {
        using var process = new Process { StartInfo = info };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                lock (stdout)
                    stdout.AppendLine(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                lock (stderr)
                    stderr.AppendLine(e.Data);
        };
        var watch = Stopwatch.StartNew();
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var limit = killAfter is { } k && k < timeout ? k : timeout;
        var killed = false;
        using (var wait = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            wait.CancelAfter(limit);
            try
            {
                await process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                // Process.Kill is SIGKILL on Unix: the child gets no signal handler, no finally, no flush.
                try
                {
                    process.Kill(entireProcessTree: false);
                }
                catch (InvalidOperationException)
                {
                    // It exited in the same instant.
                }
                await process.WaitForExitAsync(CancellationToken.None);
                killed = !ct.IsCancellationRequested && killAfter is not null && limit == killAfter;
                if (!killed && !ct.IsCancellationRequested)
                    throw new CampaignException($"{string.Join(' ', info.ArgumentList)} did not finish within {timeout.TotalSeconds:0} s.");
                ct.ThrowIfCancellationRequested();
            }
        }
        watch.Stop();
        process.WaitForExit(); // drains the output handlers
        return new ChildResult(killed ? null : process.ExitCode, killed, stdout.ToString(), stderr.ToString(), watch.Elapsed);
    }
}

/// <summary>
/// An emulator in its own process (<c>Sluice.Campaign host &lt;service&gt;</c>), so that it outlives every
/// <c>sluice run</c> the campaign kills. Stopped (this process only, by its id) on dispose.
/// </summary>
internal sealed class EmulatorProcess : IAsyncDisposable
{
    private readonly Process _process;

    private EmulatorProcess(Process process, Uri baseUrl)
    {
        _process = process;
        BaseUrl = baseUrl;
    }

    public Uri BaseUrl { get; }

    /// <summary>Starts <c>host &lt;args&gt;</c> and waits for the base URL it prints.</summary>
    public static async Task<EmulatorProcess> StartAsync(IReadOnlyList<string> args, CancellationToken ct)
    {
        var info = Children.Dotnet(Children.SelfDll, ["host", .. args]);
        var process = Process.Start(info) ?? throw new CampaignException("Could not start the emulator process.");
        process.StandardInput.Close();
        _ = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(TimeSpan.FromSeconds(60));
        string? line;
        try
        {
            line = await process.StandardOutput.ReadLineAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new CampaignException("The emulator process did not print its URL within 60 s.");
        }
        if (line is null || !Uri.TryCreate(line.Trim() + "/", UriKind.Absolute, out var url))
        {
            process.Kill();
            throw new CampaignException($"The emulator process printed '{line}' instead of its URL.");
        }
        _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        return new EmulatorProcess(process, url);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}

using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;

namespace Sluice.Bench;

/// <summary>The result of a child process: exit code, output, wall time from start to exit, peak RSS.</summary>
internal sealed record ProcessResult(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed, TimeSpan CpuTime)
{
    public void EnsureSuccess(string what)
    {
        if (ExitCode != 0)
            throw new BenchException($"{what} exited with code {ExitCode}.\nstdout:\n{Tail(Stdout)}\nstderr:\n{Tail(Stderr)}");
    }

    private static string Tail(string text) => text.Length <= 4000 ? text : "..." + text[^4000..];
}

/// <summary>A benchmark that could not run as set up (a failed child, a wrong count): printed, exit code 1.</summary>
internal sealed class BenchException(string message) : Exception(message);

/// <summary>Starts .NET child processes: this benchmark again (for a fresh process) and the real <c>sluice</c> CLI.</summary>
internal static class Spawn
{
    /// <summary>The <c>dotnet</c> host: the one running us when we were started through it, else the one on PATH.</summary>
    public static string DotnetHost
    {
        get
        {
            if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
                return host;
            var self = Environment.ProcessPath;
            return self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
        }
    }

    /// <summary>This benchmark's own assembly, run in a new process.</summary>
    public static ProcessStartInfo Self(params string[] args) =>
        Info(DotnetHost, [typeof(Spawn).Assembly.Location, .. args]);

    /// <summary>The sluice CLI (<c>dotnet sluice.dll ...</c>).</summary>
    public static ProcessStartInfo Cli(string cliDll, params string[] args) => Info(DotnetHost, [cliDll, .. args]);

    public static ProcessStartInfo Info(string file, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        // Children must not inherit a console that looks interactive (no progress bars, no colours).
        info.Environment["NO_COLOR"] = "1";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        // When the benchmark itself is traced (dotnet-trace), its children must not wait for a tracer too.
        info.Environment.Remove("DOTNET_DiagnosticPorts");
        return info;
    }

    /// <summary>Runs a process to its end; the time is measured from just before start to the exit.</summary>
    public static async Task<ProcessResult> RunAsync(ProcessStartInfo info, TimeSpan timeout, CancellationToken ct = default)
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
        var childCpu = ChildrenCpu();
        var watch = Stopwatch.StartNew();
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new BenchException($"{Path.GetFileName(info.FileName)} {string.Join(' ', info.ArgumentList)} did not finish within {timeout.TotalSeconds:0} s.");
        }
        watch.Stop();
        process.WaitForExit(); // drains the output handlers
        // Children run one at a time (the emulator, still running, is not counted until it is reaped).
        var cpu = ChildrenCpu() - childCpu;
        return new ProcessResult(process.ExitCode, stdout.ToString(), stderr.ToString(), watch.Elapsed, cpu);
    }

    /// <summary>CPU time of the reaped children of this process (getrusage(RUSAGE_CHILDREN)); a process's own is gone once it exits.</summary>
    private static TimeSpan ChildrenCpu()
    {
        if (!OperatingSystem.IsLinux() || GetRUsage(-1, out var usage) != 0)
            return TimeSpan.Zero;
        var micros = (usage.UserSeconds + usage.SystemSeconds) * 1_000_000 + usage.UserMicros + usage.SystemMicros;
        return TimeSpan.FromMicroseconds(micros);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "getrusage")]
    private static extern int GetRUsage(int who, out RUsage usage);

    /// <summary>struct rusage on 64-bit Linux: two timevals, then fourteen longs.</summary>
    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct RUsage
    {
        public long UserSeconds;
        public long UserMicros;
        public long SystemSeconds;
        public long SystemMicros;
        public long MaxRss, Ixrss, Idrss, Isrss, Minflt, Majflt, Nswap, Inblock, Oublock, Msgsnd, Msgrcv, Nsignals, Nvcsw, Nivcsw;
    }

    /// <summary>
    /// The sluice CLI to spawn: <c>--cli</c>, else <c>SLUICE_CLI_DLL</c>, else the build next to this one
    /// (the project references Sluice.Cli so that it is built with the same configuration and artifacts path).
    /// </summary>
    public static string FindCli(string? given)
    {
        var candidates = new List<string>();
        if (given is not null)
            candidates.Add(given);
        if (Environment.GetEnvironmentVariable("SLUICE_CLI_DLL") is { Length: > 0 } env)
            candidates.Add(env);
        var here = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        var leaf = new DirectoryInfo(here);
        // --artifacts-path layout: <artifacts>/bin/Sluice.Bench/release/ next to <artifacts>/bin/Sluice.Cli/release/.
        candidates.Add(Path.GetFullPath(Path.Combine(here, "..", "..", "Sluice.Cli", leaf.Name, "sluice.dll")));
        // Classic layout: bench/Sluice.Bench/bin/Release/net10.0/ and src/Sluice.Cli/bin/Release/net10.0/.
        var tfm = leaf.Name;
        var config = leaf.Parent?.Name ?? "Release";
        candidates.Add(Path.GetFullPath(Path.Combine(here, "..", "..", "..", "..", "..", "src", "Sluice.Cli", "bin", config, tfm, "sluice.dll")));
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new BenchException("Cannot find the sluice CLI (sluice.dll). Build src/Sluice.Cli with the same configuration, " +
                "or pass --cli PATH/sluice.dll. Looked in: " + string.Join(", ", candidates));
    }
}

/// <summary>
/// An emulator in its own process (<c>sluice emulate iterable|salesforce|actito</c>), so that it does not share the
/// benchmark's (or the engine's) process. Stopped (this process only) on dispose.
/// </summary>
internal sealed class EmulatorProcess : IAsyncDisposable
{
    private readonly Process? _process;
    private readonly HttpClient _http = new();

    private EmulatorProcess(Process? process, Uri baseUrl)
    {
        _process = process;
        BaseUrl = baseUrl;
    }

    public Uri BaseUrl { get; }

    /// <summary>The emulator's CPU time so far; null for one this benchmark did not start.</summary>
    public TimeSpan? CpuTime
    {
        get
        {
            if (_process is null)
                return null;
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>An emulator started by someone else (left running on dispose).</summary>
    public static EmulatorProcess Attach(Uri baseUrl) => new(null, baseUrl);

    public static Task<EmulatorProcess> StartAsync(string cliDll, string apiKey, bool rateLimits, CancellationToken ct = default)
    {
        var args = new List<string> { "emulate", "iterable", "--port", "0", "--api-key", apiKey };
        if (!rateLimits)
            args.Add("--no-rate-limits");
        return StartAsync(cliDll, args, ct);
    }

    /// <summary>Starts <c>sluice emulate &lt;service&gt; ...</c> (<paramref name="args"/> from <c>emulate</c> on) and waits for its URL.</summary>
    public static async Task<EmulatorProcess> StartAsync(string cliDll, IReadOnlyList<string> args, CancellationToken ct = default)
    {
        var info = Spawn.Cli(cliDll, [.. args]);
        var process = Process.Start(info) ?? throw new BenchException("Could not start the emulator process.");
        process.StandardInput.Close();
        // Drain stderr so the child never blocks on a full pipe.
        _ = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(TimeSpan.FromSeconds(90));
        string? line;
        try
        {
            line = await process.StandardOutput.ReadLineAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new BenchException("The emulator process did not print its URL within 90 s.");
        }
        if (line is null || !Uri.TryCreate(line.Trim(), UriKind.Absolute, out var url))
        {
            process.Kill(entireProcessTree: true);
            throw new BenchException($"The emulator process printed '{line}' instead of its URL.");
        }
        _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        return new EmulatorProcess(process, url);
    }

    /// <summary>The emulator's counters (<c>GET /_emulator/stats</c>).</summary>
    public Task<JsonObject> StatsAsync(CancellationToken ct = default) => GetJsonAsync("/_emulator/stats", ct);

    /// <summary>A JSON document from the emulator's control API (e.g. <c>/_emulator/records/Contact</c>).</summary>
    public async Task<JsonObject> GetJsonAsync(string path, CancellationToken ct = default)
    {
        var node = await GetNodeAsync(path, ct);
        return node.AsObject();
    }

    public async Task<JsonNode> GetNodeAsync(string path, CancellationToken ct = default)
    {
        await using var stream = await _http.GetStreamAsync(new Uri(BaseUrl, path), ct);
        return (await JsonNode.ParseAsync(stream, cancellationToken: ct))!;
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (_process is null)
            return;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}

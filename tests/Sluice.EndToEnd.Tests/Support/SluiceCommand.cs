using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Sluice.EndToEnd.Tests.Support;

/// <summary>What one `sluice` process printed and how it exited.</summary>
internal sealed record SluiceResult(int ExitCode, string Stdout, string Stderr)
{
    public JsonNode Json => JsonNode.Parse(Stdout) ?? throw new InvalidOperationException("no JSON on stdout");

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>Runs the real `sluice` command (the CLI's build output beside the tests) as a child process.</summary>
internal static class SluiceCommand
{
    private static string Dll => Path.Combine(AppContext.BaseDirectory, "sluice.dll");

    public static Process Start(string projectDirectory, params string[] args) => Start(projectDirectory, null, args);

    /// <summary>Starts it with <paramref name="environment"/> added to (or, with a null value, removed from) the test's.</summary>
    public static Process Start(string projectDirectory, IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Dll);
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        info.ArgumentList.Add("--project");
        info.ArgumentList.Add(projectDirectory);
        info.Environment["NO_COLOR"] = "1";
        info.Environment["COLUMNS"] = "200";
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
            info.Environment[name] = value;
        return Process.Start(info)!;
    }

    public static Task<SluiceResult> RunAsync(string projectDirectory, params string[] args) => RunAsync(projectDirectory, null, args);

    public static async Task<SluiceResult> RunAsync(string projectDirectory, IReadOnlyDictionary<string, string?>? environment,
        params string[] args)
    {
        using var process = Start(projectDirectory, environment, args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return new SluiceResult(process.ExitCode, await stdout, await stderr);
    }
}

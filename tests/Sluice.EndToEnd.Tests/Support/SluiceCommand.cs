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

    public static Process Start(string projectDirectory, params string[] args)
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
        return Process.Start(info)!;
    }

    public static async Task<SluiceResult> RunAsync(string projectDirectory, params string[] args)
    {
        using var process = Start(projectDirectory, args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return new SluiceResult(process.ExitCode, await stdout, await stderr);
    }
}

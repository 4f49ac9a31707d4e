using System.Diagnostics;
using Sluice.EndToEnd.Tests.Support;

namespace Sluice.EndToEnd.Tests;

/// <summary>Runs the real `sluice` as <see cref="SluiceCommand"/> does, with the width a log or terminal of its own would have.</summary>
internal static class CliRunner
{
    public static async Task<SluiceResult> RunAsync(string projectDirectory, int columns, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "sluice.dll"));
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        info.ArgumentList.Add("--project");
        info.ArgumentList.Add(projectDirectory);
        info.Environment["NO_COLOR"] = "1";
        info.Environment["COLUMNS"] = columns.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return await WaitAsync(Process.Start(info)!);
    }

    /// <summary>A command line exactly as the CLI printed it, through a shell.</summary>
    public static async Task<SluiceResult> ShellAsync(string commandLine)
    {
        var info = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(commandLine);
        info.Environment["NO_COLOR"] = "1";
        return await WaitAsync(Process.Start(info)!);
    }

    private static async Task<SluiceResult> WaitAsync(Process process)
    {
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            await process.WaitForExitAsync(timeout.Token);
            return new SluiceResult(process.ExitCode, await stdout, await stderr);
        }
    }

    public static string NewDirectory()
    {
        var directory = Path.Combine(Path.GetTempPath(), "sluice-e2e", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        return directory;
    }
}

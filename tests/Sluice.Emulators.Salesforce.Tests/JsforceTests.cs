using System.Diagnostics;
using Sluice.Emulators.Salesforce.Tests.Support;

namespace Sluice.Emulators.Salesforce.Tests;

/// <summary>An independent real client (jsforce, npm) must be able to use the emulator as it uses Salesforce.</summary>
public sealed class JsforceTests
{
    [Fact]
    public async Task Jsforce_describes_writes_queries_and_bulk_loads_against_the_emulator()
    {
        var js = FindJsFolder();
        Assert.True(Directory.Exists(Path.Combine(js, "node_modules", "jsforce")),
            "jsforce is not installed: run `npm ci --prefix tests/Sluice.Emulators.Salesforce.Tests/js` first.");
        await using var org = await Org.StartAsync(login: false);

        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = js,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("proof.mjs");
        start.ArgumentList.Add(org.Emulator.BaseUrl.ToString().TrimEnd('/'));
        start.ArgumentList.Add(Org.ClientId);
        start.ArgumentList.Add(Org.ClientSecret);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        var output = await stdout + await stderr;
        Assert.True(process.ExitCode == 0, $"node proof.mjs exited {process.ExitCode}:\n{output}");
        Assert.Contains("jsforce proof passed", output);
        Assert.Equal(3, org.Emulator.CountRecords("Contact"));
        Assert.Equal(2, org.Emulator.CountRecords("Lead"));
    }

    private static string FindJsFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "Sluice.Emulators.Salesforce.Tests", "js");
            if (File.Exists(Path.Combine(candidate, "proof.mjs")))
                return candidate;
        }
        // Artifacts may live outside the repository: fall back to the source file's folder.
        return Path.Combine(SourceDirectory(), "js");
    }

    private static string SourceDirectory([System.Runtime.CompilerServices.CallerFilePath] string path = "") =>
        Path.GetDirectoryName(path)!;
}

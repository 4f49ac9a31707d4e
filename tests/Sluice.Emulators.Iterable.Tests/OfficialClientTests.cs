using System.ComponentModel;
using System.Diagnostics;
using System.Reflection;
using Sluice.Emulators.Iterable.Tests.Support;

namespace Sluice.Emulators.Iterable.Tests;

/// <summary>
/// Iterable's official npm client (@iterable/api) talks to the emulator: an independent reading of the same API,
/// so a misreading shared by our emulator and our client cannot hide here.
/// </summary>
public sealed class OfficialClientTests
{
    private const string InstallHint = "run `npm ci --prefix tests/Sluice.Emulators.Iterable.Tests/js` first";

    [Fact]
    public async Task The_official_Iterable_node_client_updates_reads_lists_fields_and_deletes_through_the_emulator()
    {
        var jsDir = typeof(OfficialClientTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "IterableJsDir").Value!;
        if (!Directory.Exists(Path.Combine(jsDir, "node_modules", "@iterable", "api")))
            Assert.Fail($"The official client is not installed in {jsDir}: {InstallHint}.");

        await using var emulator = await IterableEmulator.StartAsync(
            new IterableEmulatorOptions { ApiKey = Harness.ApiKey }, TestContext.Current.CancellationToken);

        var start = new ProcessStartInfo("node", "official-client.mjs")
        {
            WorkingDirectory = jsDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // The key goes in the environment, not the command line (process lists are readable by others).
        start.Environment["ITERABLE_EMULATOR_URL"] = emulator.BaseUrl.ToString().TrimEnd('/');
        start.Environment["ITERABLE_EMULATOR_KEY"] = Harness.ApiKey;
        start.Environment["NODE_ENV"] = "test";
        start.Environment["LOG_LEVEL"] = "error";

        Process node;
        try
        {
            node = Process.Start(start)!;
        }
        catch (Win32Exception e)
        {
            Assert.Fail($"Could not start `node` ({e.Message}); install Node.js 18+ and {InstallHint}.");
            return;
        }
        using (node)
        {
            var stdout = node.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            var stderr = node.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            timeout.CancelAfter(TimeSpan.FromMinutes(1));
            try
            {
                await node.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                node.Kill(entireProcessTree: true);
                throw;
            }
            var output = await stdout + await stderr;
            Assert.True(node.ExitCode == 0, $"The official client script failed (exit {node.ExitCode}):\n{output}");
            Assert.Contains("all checks passed", output);
        }
    }
}

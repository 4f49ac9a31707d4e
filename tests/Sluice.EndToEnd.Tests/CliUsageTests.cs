using System.Net;
using System.Net.Sockets;
using Sluice.EndToEnd.Tests.Support;

namespace Sluice.EndToEnd.Tests;

/// <summary>Usage errors: exit 2 and a plain message, never "unexpected ... please report it".</summary>
public sealed class CliUsageTests
{
    private static void AssertUsageError(SluiceResult result, string message)
    {
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("unexpected", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("please report", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Negative_numbers_and_both_a_sync_and_all_are_usage_errors()
    {
        await using var project = await IterableProject.CreateAsync();
        await project.WriteCustomersAsync(IterableProject.Customers(3));

        AssertUsageError(await project.SluiceAsync("history", "--limit", "-1"), "--limit must be 1 or more (got -1).");
        AssertUsageError(await project.SluiceAsync("rejected", "customers-to-iterable", "--limit", "0"), "--limit must be 1 or more (got 0).");
        AssertUsageError(await project.SluiceAsync("plan", "customers-to-iterable", "--samples", "-3"), "--samples must be between 0 and 10,000 (got -3).");
        AssertUsageError(await project.SluiceAsync("run", "customers-to-iterable", "--all"), "or use --all, not both.");
        AssertUsageError(await project.SluiceAsync("run"), "name one sync to run");
    }

    [Theory]
    [InlineData("plan")]
    [InlineData("run")]
    [InlineData("history")]
    [InlineData("rejected")]
    public async Task A_misspelt_sync_name_gets_did_you_mean(string command)
    {
        await using var project = await IterableProject.CreateAsync();
        await project.WriteCustomersAsync(IterableProject.Customers(3));

        var result = await project.SluiceAsync(command, "customers-to-iterabel");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("There is no sync named 'customers-to-iterabel'", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("Did you mean 'customers-to-iterable'?", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("iterable", "--api-key")]
    [InlineData("actito", "--api-key")]
    public async Task An_emulator_port_in_use_is_a_usage_error(string service, string keyOption)
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var result = await SluiceCommand.RunAsync(CliRunner.NewDirectory(), "emulate", service, "--port", port, keyOption, "k");

        AssertUsageError(result, $"port {port} on 127.0.0.1 is already in use by another process");
    }
}

using Sluice.EndToEnd.Tests.Support;

namespace Sluice.EndToEnd.Tests;

/// <summary>`sluice demo` as a new user runs it, and the commands it suggests afterwards.</summary>
public sealed class CliDemoTests
{
    [Fact]
    public async Task The_demo_at_100_customers_succeeds_and_the_commands_it_prints_work_as_printed()
    {
        var directory = CliRunner.NewDirectory();
        var demo = await SluiceCommand.RunAsync(directory, "demo", "--customers", "100", "--dir", directory);
        Assert.True(demo.ExitCode == 0, demo.ToString());
        // The story is the data's: 1 of 100 customers changed; the first deletes are under the guard, the next over it.
        Assert.Contains("Changed the plan of 1 customer (1%)", demo.Stdout, StringComparison.Ordinal);
        Assert.Contains("the 1 changed and 25 new ones", demo.Stdout, StringComparison.Ordinal);
        Assert.Contains("failed (mirror guard)", demo.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("did not happen", demo.Stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(directory, ".env")));

        var suggested = demo.Stdout.Split('\n').SkipWhile(l => !l.StartsWith("The demo project stays on disk", StringComparison.Ordinal)).Skip(1)
            .Where(l => l.StartsWith("  ", StringComparison.Ordinal)).Select(l => l.Trim()).ToList();
        Assert.Equal(2, suggested.Count);
        var history = await CliRunner.ShellAsync(suggested.Single(c => c.Contains(" history ", StringComparison.Ordinal)));
        Assert.True(history.ExitCode == 0, history.ToString());
        Assert.Contains("customers-to-actito", history.Stdout, StringComparison.Ordinal);
        Assert.Contains("mirror-guard", history.Stdout, StringComparison.Ordinal);
        var rejected = await CliRunner.ShellAsync(suggested.Single(c => c.Contains(" rejected ", StringComparison.Ordinal)));
        Assert.True(rejected.ExitCode == 0, rejected.ToString());
        Assert.Contains("not_found", rejected.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("not set", history.Stderr + rejected.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_demo_at_1000_customers_tells_the_story_of_its_own_data()
    {
        var directory = CliRunner.NewDirectory();
        var demo = await SluiceCommand.RunAsync(directory, "demo", "--customers", "1000", "--dir", directory);
        Assert.True(demo.ExitCode == 0, demo.ToString());
        Assert.Contains("Changed the plan of 10 customers (1%)", demo.Stdout, StringComparison.Ordinal);
        Assert.Contains("Removed 10 customers from the warehouse: mirror deletes exactly those (1.0% of the 1,025 it delivered", demo.Stdout, StringComparison.Ordinal);
        Assert.Contains("failed (mirror guard)", demo.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("empty-model", demo.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fewer_than_100_customers_is_a_usage_error()
    {
        var directory = CliRunner.NewDirectory();
        var demo = await SluiceCommand.RunAsync(directory, "demo", "--customers", "99", "--dir", directory);
        Assert.Equal(2, demo.ExitCode);
        Assert.Contains("--customers must be between 100 and 5,000,000", demo.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("unexpected", demo.Stderr, StringComparison.Ordinal);
    }
}

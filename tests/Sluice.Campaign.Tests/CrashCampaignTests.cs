namespace Sluice.Campaign.Tests;

/// <summary>
/// The short CI version of the crash campaign (the long one is <c>tools/Sluice.Campaign crash</c>; figures in
/// RELIABILITY.md): the real <c>sluice</c> binary SIGKILLed at random moments against emulators in their own
/// processes, every destination read back through its own API.
/// </summary>
public sealed class CrashCampaignTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("iterable", 20, 100)]
    [InlineData("salesforce", 25, 200)]
    [InlineData("actito", 20, 80)]
    public async Task Killed_runs_lose_duplicate_and_leave_nothing_stale(string destination, int kills, int rows)
    {
        var results = await CampaignRun.RunAsync(output,
            new CampaignOptions { Kind = CampaignKind.Crash, Seed = CampaignRun.Seed, Destination = destination, Kills = kills, Rows = rows });

        Assert.Equal(kills, results.Sum(r => r.Kills));
        Assert.All(results, CampaignRun.AssertClean);
    }
}

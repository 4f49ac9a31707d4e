namespace Sluice.Campaign.Tests;

/// <summary>
/// The short CI version of the fault campaign (<c>tools/Sluice.Campaign fault</c>): no kills, the emulators
/// injecting 5xx, 429 bursts, dropped and applied-then-dropped answers, late answers and token expiry, and rows
/// the destination refuses. A class of its own so that it runs beside the crash campaign.
/// </summary>
public sealed class FaultCampaignTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("iterable", "upsert")]
    [InlineData("salesforce", "upsert")]
    [InlineData("actito", "mirror")]
    public async Task Injected_faults_and_refused_rows_still_deliver_every_good_row_and_list_every_refused_one(string destination, string mode)
    {
        var results = await CampaignRun.RunAsync(output, new CampaignOptions
        {
            Kind = CampaignKind.Fault,
            Seed = CampaignRun.Seed,
            Destination = destination,
            Mode = mode,
            Rows = 60,
            Rounds = 2,
            RejectShare = 0.15,
        });

        // "upsert" also selects Salesforce's upsert through Bulk API 2.0.
        Assert.NotEmpty(results);
        Assert.All(results, result =>
        {
            CampaignRun.AssertClean(result);
            Assert.True(result.RejectsExpected > 0, $"{result.Name}: no refused row was in the model");
            Assert.Equal(result.RejectsExpected, result.RejectsListed);
            Assert.Equal(0, result.Violations);
        });
    }
}

using Sluice.Campaign;

namespace Sluice.Campaign.Tests;

/// <summary>
/// The short CI version of the crash and fault campaigns (the long one is <c>tools/Sluice.Campaign</c>; figures in
/// RELIABILITY.md): the real <c>sluice</c> binary against emulators in their own processes, every destination read
/// back through its own API. A fixed seed, so a failure replays with the same command.
/// </summary>
public sealed class CampaignTests(ITestOutputHelper output)
{
    private const int Seed = 8;

    private async Task<IReadOnlyList<CaseResult>> RunAsync(CampaignOptions options)
    {
        using var log = new StringWriter();
        var results = await new Campaign(options, log).RunAsync(TestContext.Current.CancellationToken);
        Report.Print(log, results, options, TimeSpan.Zero);
        output.WriteLine(log.ToString());
        return results;
    }

    private static void AssertClean(CaseResult result)
    {
        var v = result.Verdict;
        var why = $"{result.Name}: {string.Join("; ", v.Examples)}";
        Assert.True(result.Error is null, $"{result.Name} could not finish: {result.Error}");
        Assert.True(v.Expected > 0, $"{result.Name}: nothing was expected, so nothing was proven");
        Assert.True(result.Converged, $"{result.Name}: runs still planned rows after the last clean run");
        Assert.True(v.Missing == 0, $"missing {v.Missing}. {why}");
        Assert.True(v.Duplicated == 0, $"duplicated {v.Duplicated}. {why}");
        Assert.True(v.Stale == 0, $"stale {v.Stale}. {why}");
        Assert.True(v.Extra == 0, $"extra {v.Extra}. {why}");
        Assert.True(v.WronglyDeleted == 0, $"wrongly deleted {v.WronglyDeleted}. {why}");
        Assert.Equal(v.Expected, v.Found);
    }

    [Theory]
    [InlineData("iterable", 20, 100)]
    [InlineData("salesforce", 25, 200)]
    [InlineData("actito", 20, 80)]
    public async Task Killed_runs_lose_duplicate_and_leave_nothing_stale(string destination, int kills, int rows)
    {
        var results = await RunAsync(new CampaignOptions { Kind = CampaignKind.Crash, Seed = Seed, Destination = destination, Kills = kills, Rows = rows });

        Assert.Equal(kills, results.Sum(r => r.Kills));
        Assert.All(results, AssertClean);
    }

    [Theory]
    [InlineData("iterable", "upsert")]
    [InlineData("salesforce", "upsert")]
    [InlineData("actito", "mirror")]
    public async Task Injected_faults_and_refused_rows_still_deliver_every_good_row_and_list_every_refused_one(string destination, string mode)
    {
        var results = await RunAsync(new CampaignOptions
        {
            Kind = CampaignKind.Fault,
            Seed = Seed,
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
            AssertClean(result);
            Assert.True(result.RejectsExpected > 0, $"{result.Name}: no refused row was in the model");
            Assert.Equal(result.RejectsExpected, result.RejectsListed);
            Assert.Equal(0, result.Violations);
        });
    }
}

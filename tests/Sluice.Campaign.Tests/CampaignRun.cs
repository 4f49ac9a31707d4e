namespace Sluice.Campaign.Tests;

/// <summary>Runs a campaign in-process (its children are real processes) and checks a case's counters.</summary>
internal static class CampaignRun
{
    /// <summary>A fixed seed, so that a failure replays with the same command.</summary>
    public const int Seed = 8;

    public static async Task<IReadOnlyList<CaseResult>> RunAsync(ITestOutputHelper output, CampaignOptions options)
    {
        using var log = new StringWriter();
        var results = await new Campaign(options, log).RunAsync(TestContext.Current.CancellationToken);
        Report.Print(log, results, options, TimeSpan.Zero);
        output.WriteLine(log.ToString());
        return results;
    }

    public static void AssertClean(CaseResult result)
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
}

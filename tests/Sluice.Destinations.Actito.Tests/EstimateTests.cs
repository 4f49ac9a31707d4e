using Sluice.Core.Destinations;
using Sluice.Core.Models;
using Sluice.Destinations.Tests.Support;

namespace Sluice.Destinations.Actito.Tests;

/// <summary>What <c>plan</c> and a run's progress are told about Actito's call pacing (no network involved).</summary>
public sealed class EstimateTests
{
    private static IDestination Destination(params (string Key, string Value)[] overrides)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [ActitoOptions.ApiKey] = "k",
            [ActitoOptions.BaseUrl] = "http://127.0.0.1:9",
            [ActitoOptions.Entity] = "e",
            [ActitoOptions.Table] = "Profiles",
        };
        foreach (var (key, value) in overrides) values[key] = value;
        return new ActitoDestinationProvider().Create(new DestinationSettings("actito", "actito", values), new SimulatedTime().Services(new CapturedLogs()));
    }

    private static SyncContext Mirror => Customers.Sync(SyncMode.Mirror);

    [Fact]
    public async Task Many_deletes_are_estimated_at_the_documented_call_rate_with_the_reason()
    {
        await using var destination = Destination();
        var estimate = destination.Estimate(Mirror, new PlanCounts(0, 0, 0, 1_200));

        Assert.NotNull(estimate);
        Assert.Equal("1,200 deletes by single calls at 100 calls a minute (Actito's limit).", estimate.Reason);
        // At least 12 minutes at 100 calls a minute; the pacer's burst lets a handful through at once.
        Assert.InRange(estimate.AtLeast, TimeSpan.FromMinutes(11.5), TimeSpan.FromMinutes(13));
    }

    [Fact]
    public async Task Deletes_are_paced_even_when_the_upserts_go_through_an_etl_execution()
    {
        await using var destination = Destination();
        var estimate = destination.Estimate(Mirror, new PlanCounts(0, 0, 100_000, 600));
        Assert.NotNull(estimate);
        Assert.Equal("600 deletes by single calls at 100 calls a minute (Actito's limit).", estimate.Reason);
        Assert.InRange(estimate.AtLeast, TimeSpan.FromMinutes(5.5), TimeSpan.FromMinutes(6.5));
    }

    [Fact]
    public async Task A_single_call_run_names_every_operation_and_follows_calls_per_minute()
    {
        await using var destination = Destination((ActitoOptions.BulkThreshold, "100000"), (ActitoOptions.CallsPerMinute, "60"));
        var estimate = destination.Estimate(Mirror, new PlanCounts(0, 0, 300, 1));
        Assert.NotNull(estimate);
        Assert.Equal("300 upserts and 1 delete by single calls at 60 calls a minute (Actito's limit).", estimate.Reason);
        Assert.True(estimate.AtLeast >= TimeSpan.FromMinutes(5), estimate.AtLeast.ToString());
    }

    [Theory]
    [InlineData(0, 0, 20, 0)]        // a few single calls: pacing adds nothing worth saying
    [InlineData(0, 0, 100_000, 0)]   // one ETL execution: the data decides, not the call limit
    [InlineData(0, 0, 0, 0)]
    public async Task No_estimate_when_pacing_does_not_dominate(long creates, long updates, long upserts, long deletes)
    {
        await using var destination = Destination();
        Assert.Null(destination.Estimate(Mirror, new PlanCounts(creates, updates, upserts, deletes)));
    }
}

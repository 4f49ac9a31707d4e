using System.Diagnostics;
using Sluice.Core.Models;
using Sluice.Destinations.Salesforce.Tests.Support;

namespace Sluice.Destinations.Salesforce.Tests;

/// <summary>A manual look at throughput (run with <c>-- --explicit only</c>); it asserts outcomes, never timings.</summary>
public sealed class ThroughputTests
{
    [Theory(Explicit = true)]
    [InlineData(100_000, true)]
    [InlineData(9_999, false)]
    public async Task Many_records_go_through_without_loss(int count, bool bulk)
    {
        await using var org = await TestOrg.StartAsync(o => { o.RateLimits = false; o.BulkInProgressPolls = 0; });
        await using var destination = new SalesforceDestinationProvider().Create(TestOrg.Settings(org), new Core.Destinations.DestinationServices());
        var rows = Contacts.Rows(count, Core.Destinations.RecordOperation.Create);
        var clock = Stopwatch.StartNew();
        var results = await Runner.RunAsync(destination, Contacts.Sync(SyncMode.Insert), rows);
        TestContext.Current.SendDiagnosticMessage($"{count} records via {(bulk ? "Bulk API" : "Collections")} in {clock.Elapsed.TotalSeconds:0.0}s, {org.ApiUsage} API calls");
        Assert.Equal(count, results.Count);
        Assert.Equal(count, org.CountRecords("Contact"));
    }
}

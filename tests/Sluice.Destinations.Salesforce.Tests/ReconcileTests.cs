using Sluice.Core.Destinations;
using Sluice.Core.Models;
using Sluice.Destinations.Salesforce.Tests.Support;

namespace Sluice.Destinations.Salesforce.Tests;

/// <summary>After a crash in an insert batch, the engine asks which rows Salesforce already has.</summary>
public sealed class ReconcileTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Reconcile_finds_the_rows_created_before_the_crash_and_reports_the_others_not_found(bool bulk)
    {
        await using var org = await TestOrg.StartAsync();
        await using var destination = TestOrg.Destination(org, "Contact", ("bulk_threshold", bulk ? "1" : "10000"));
        var rows = Contacts.Rows(300, RecordOperation.Create);
        var sent = await Runner.RunAsync(destination, Contacts.Sync(SyncMode.Insert), rows.Take(180).ToList());

        await using var writer = await destination.OpenAsync(Contacts.Sync(SyncMode.Insert), new PlanCounts(300, 0, 0, 0), TestOrg.Ct);
        var results = await writer.ReconcileAsync(new DeliveryBatch(Contacts.Mappings, rows), TestOrg.Ct);

        Assert.Equal(rows.Select(r => r.Key), results.Select(r => r.Key));
        foreach (var result in results.Take(180))
        {
            Assert.Equal(RecordOutcome.Delivered, result.Outcome);
            Assert.Equal(sent[result.Key].DestinationId, result.DestinationId);
        }
        Assert.All(results.Skip(180), r => Assert.Equal(RecordOutcome.NotFound, r.Outcome));
    }

    [Fact]
    public async Task A_changed_row_is_not_mistaken_for_its_earlier_record()
    {
        await using var org = await TestOrg.StartAsync();
        await using var destination = TestOrg.Destination(org);
        var sync = Contacts.Sync(SyncMode.Insert, Contacts.ByEmail);
        var first = await Runner.RunAsync(destination, sync, [Contacts.Row(1, RecordOperation.Create, match: "p1@example.com")]);
        var earlier = first["k1"].DestinationId!;
        var changed = Contacts.Row(1, RecordOperation.Create, destinationId: earlier, lastName: "Changed", match: "p1@example.com");

        await using var writer = await destination.OpenAsync(sync, new PlanCounts(1, 0, 0, 0), TestOrg.Ct);
        var before = Assert.Single(await writer.ReconcileAsync(new DeliveryBatch(Contacts.Mappings, [changed]), TestOrg.Ct));
        Assert.Equal(RecordOutcome.NotFound, before.Outcome);

        var delivered = Assert.Single(await writer.WriteAsync(new DeliveryBatch(Contacts.Mappings, [changed]), TestOrg.Ct));
        var after = Assert.Single(await writer.ReconcileAsync(new DeliveryBatch(Contacts.Mappings, [changed]), TestOrg.Ct));
        Assert.Equal(RecordOutcome.Delivered, after.Outcome);
        Assert.Equal(delivered.DestinationId, after.DestinationId);
        Assert.NotEqual(earlier, after.DestinationId);
    }
}

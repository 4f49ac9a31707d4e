using System.Text.Json.Nodes;
using Sluice.Core.Destinations;
using Sluice.Core.Models;
using Sluice.Destinations.Iterable.Tests.Support;
using Sluice.Emulators.Iterable;

namespace Sluice.Destinations.Iterable.Tests;

public sealed class UpdateTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Update_never_creates_a_user_and_reports_the_missing_ones_as_not_found()
    {
        await using var iterable = await TestSync.StartEmulatorAsync();
        iterable.SeedUsers([
            new IterableSeedUser("old1@example.com", null, new JsonObject { ["plan"] = "free" }),
            new IterableSeedUser("old2@example.com", null, new JsonObject { ["plan"] = "free" }),
        ]);
        var sync = TestSync.Sync(SyncMode.Update, "email", ("plan", ValueKind.Text));
        var (destination, writer) = await TestSync.OpenAsync(iterable, TestSync.Settings(iterable.BaseUrl), sync);
        await using var owner = destination;

        var results = await writer.WriteAsync(TestSync.Batch(sync, [
            TestSync.Update("old1@example.com", null, "pro"),
            TestSync.Update("new1@example.com", null, "pro"),
            TestSync.Update("OLD2@example.com", null, "team"),
            TestSync.Update("new2@example.com", null, "pro"),
        ]), Ct);

        Assert.Equal(RecordOutcome.Delivered, results.Single(r => r.Key == "old1@example.com").Outcome);
        Assert.Equal(RecordOutcome.Delivered, results.Single(r => r.Key == "OLD2@example.com").Outcome);
        Assert.Equal(RecordOutcome.NotFound, results.Single(r => r.Key == "new1@example.com").Outcome);
        Assert.Equal(RecordOutcome.NotFound, results.Single(r => r.Key == "new2@example.com").Outcome);
        Assert.Equal(2, iterable.UserCount);
        var stats = iterable.GetStats();
        Assert.Equal(0, stats.UsersCreated);
        Assert.Equal(2, stats.UsersReceived[IterableEndpoint.BulkUpdate]); // the absent users were never sent
        Assert.True(iterable.TryGetUser("old2@example.com", out var two));
        Assert.Equal("team", two.DataFields["plan"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_batch_where_no_user_exists_sends_no_write_at_all()
    {
        await using var iterable = await TestSync.StartEmulatorAsync();
        var sync = TestSync.Sync(SyncMode.Update, "userId", ("plan", ValueKind.Text));
        var (destination, writer) = await TestSync.OpenAsync(iterable, TestSync.Settings(iterable.BaseUrl), sync);
        await using var owner = destination;

        var results = await writer.WriteAsync(TestSync.Batch(sync, [TestSync.Update("u-1", null, "x"), TestSync.Update("u-2", null, "y")]), Ct);

        Assert.All(results, r => Assert.Equal(RecordOutcome.NotFound, r.Outcome));
        var stats = iterable.GetStats();
        Assert.Equal(2, stats.Requests[IterableEndpoint.GetByUserIdQuery]);
        Assert.Equal(0, stats.Requests[IterableEndpoint.BulkUpdate]);
        Assert.Equal(0, iterable.UserCount);
    }

    [Fact]
    public async Task Records_delivered_before_under_the_same_identifier_are_sent_without_a_lookup()
    {
        await using var iterable = await TestSync.StartEmulatorAsync();
        iterable.SeedUsers([new IterableSeedUser(null, "u-1"), new IterableSeedUser(null, "u-2")]);
        var sync = TestSync.Sync(SyncMode.Update, "userId", ("plan", ValueKind.Text));
        var (destination, writer) = await TestSync.OpenAsync(iterable, TestSync.Settings(iterable.BaseUrl), sync);
        await using var owner = destination;

        var results = await writer.WriteAsync(TestSync.Batch(sync, [
            TestSync.Update("u-1", "u-1", "pro"),    // in the ledger: no lookup
            TestSync.Update("u-2", "u-old", "pro"),  // identifier changed since: look it up
        ]), Ct);

        Assert.All(results, r => Assert.Equal(RecordOutcome.Delivered, r.Outcome));
        Assert.Equal("u-2", results.Single(r => r.Key == "u-2").DestinationId);
        Assert.Equal(1, iterable.GetStats().Requests[IterableEndpoint.GetByUserIdQuery]);
    }

    [Fact]
    public async Task Many_lookups_run_concurrently_within_the_rate_limit()
    {
        await using var iterable = await TestSync.StartEmulatorAsync(o => o.RateLimits = true);
        iterable.SeedUsers(Enumerable.Range(0, 150).Select(i => new IterableSeedUser($"u{i}@example.com")));
        var sync = TestSync.Sync(SyncMode.Update, "email", ("plan", ValueKind.Text));
        var (destination, writer) = await TestSync.OpenAsync(iterable, TestSync.Settings(iterable.BaseUrl), sync);
        await using var owner = destination;
        var records = Enumerable.Range(0, 300).Select(i => TestSync.Update($"u{i}@example.com", null, "pro")).ToList();

        var results = await writer.WriteAsync(TestSync.Batch(sync, records), Ct);

        Assert.Equal(150, results.Count(r => r.Outcome == RecordOutcome.Delivered));
        Assert.Equal(150, results.Count(r => r.Outcome == RecordOutcome.NotFound));
        var stats = iterable.GetStats();
        Assert.Equal(300, stats.Requests[IterableEndpoint.GetByEmailQuery]);
        Assert.Equal(0, stats.RateLimited);
        Assert.Equal(0, stats.UsersCreated);
    }
}

using System.Text.Json.Nodes;
using Sluice.Core.Destinations;
using Sluice.Core.Models;
using Sluice.Destinations.Iterable.Tests.Support;
using Sluice.Emulators.Iterable;

namespace Sluice.Destinations.Iterable.Tests;

/// <summary>Rows whose email changed since they were delivered; rows sharing an identifier; reads that lag.</summary>
public sealed class EmailChangeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly SyncContext UpsertByEmail = TestSync.Sync(SyncMode.Upsert, "email", ("plan", ValueKind.Text));

    /// <summary>A row delivered before as <paramref name="before"/> whose email is now <paramref name="email"/>.</summary>
    private static DeliveryRecord Changed(string key, string before, string email, string plan, RecordOperation op = RecordOperation.Upsert) =>
        new(key, op, email, [plan], before);

    private static async Task<List<RecordResult>> WriteAsync(IterableEmulator iterable, SyncContext sync, params DeliveryRecord[] records)
    {
        var (destination, writer) = await TestSync.OpenAsync(iterable, TestSync.Settings(iterable.BaseUrl), sync);
        await using var owner = destination;
        return [.. await writer.WriteAsync(TestSync.Batch(sync, records), Ct)];
    }

    [Theory]
    [InlineData(IterableProjectType.Email)]
    [InlineData(IterableProjectType.Hybrid)]
    public async Task A_changed_email_moves_the_existing_user_instead_of_creating_a_second_one(IterableProjectType type)
    {
        await using var iterable = await TestSync.StartEmulatorAsync(o => o.ProjectType = type);
        iterable.SeedUsers([new IterableSeedUser("old@example.com", null, new JsonObject { ["plan"] = "free", ["history"] = "kept" })]);

        var results = await WriteAsync(iterable, UpsertByEmail, Changed("k1", "old@example.com", "new@example.com", "pro"));

        var result = Assert.Single(results);
        Assert.Equal(RecordOutcome.Delivered, result.Outcome);
        Assert.Equal("new@example.com", result.DestinationId);
        Assert.Equal(1, iterable.UserCount);
        Assert.False(iterable.TryGetUser("old@example.com", out _));
        Assert.True(iterable.TryGetUser("new@example.com", out var user));
        Assert.Equal("pro", user.DataFields["plan"]!.GetValue<string>());
        Assert.Equal("kept", user.DataFields["history"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_chain_of_changes_in_one_batch_frees_each_address_before_it_is_taken()
    {
        await using var iterable = await TestSync.StartEmulatorAsync(o => o.ProjectType = IterableProjectType.Email);
        iterable.SeedUsers([
            new IterableSeedUser("a@example.com", "u-a"),
            new IterableSeedUser("b@example.com", "u-b"),
        ]);

        // k1 takes b's address, which k2 gives up for c: k2 must move first.
        var results = await WriteAsync(iterable, UpsertByEmail,
            Changed("k1", "a@example.com", "b@example.com", "one"),
            Changed("k2", "b@example.com", "c@example.com", "two"));

        Assert.All(results, r => Assert.Equal(RecordOutcome.Delivered, r.Outcome));
        Assert.Equal(2, iterable.UserCount);
        Assert.True(iterable.TryGetUser("b@example.com", out var b));
        Assert.Equal("u-a", b.UserId);
        Assert.Equal("one", b.DataFields["plan"]!.GetValue<string>());
        Assert.True(iterable.TryGetUser("c@example.com", out var c));
        Assert.Equal("u-b", c.UserId);
    }

    [Fact]
    public async Task Two_rows_swapping_emails_are_refused_naming_each_other_and_nothing_changes()
    {
        await using var iterable = await TestSync.StartEmulatorAsync(o => o.ProjectType = IterableProjectType.Email);
        iterable.SeedUsers([new IterableSeedUser("a@example.com", "u-a"), new IterableSeedUser("b@example.com", "u-b")]);

        var results = await WriteAsync(iterable, UpsertByEmail,
            Changed("k1", "a@example.com", "b@example.com", "one"),
            Changed("k2", "b@example.com", "a@example.com", "two"));

        Assert.All(results, r => Assert.Equal(RecordOutcome.Rejected, r.Outcome));
        Assert.All(results, r => Assert.Equal("EmailSwap", r.Code));
        Assert.Contains("'k2'", results.Single(r => r.Key == "k1").Reason, StringComparison.Ordinal);
        Assert.Contains("'k1'", results.Single(r => r.Key == "k2").Reason, StringComparison.Ordinal);
        Assert.True(iterable.TryGetUser("a@example.com", out var a));
        Assert.Equal("u-a", a.UserId);
        Assert.Equal(0, iterable.GetStats().Requests[IterableEndpoint.UpdateEmail]);
    }

    [Fact]
    public async Task A_new_email_that_belongs_to_another_user_is_rejected_with_iterables_reason()
    {
        await using var iterable = await TestSync.StartEmulatorAsync(o => o.ProjectType = IterableProjectType.Email);
        iterable.SeedUsers([new IterableSeedUser("old@example.com"), new IterableSeedUser("taken@example.com", null, new JsonObject { ["plan"] = "theirs" })]);

        var result = Assert.Single(await WriteAsync(iterable, UpsertByEmail, Changed("k1", "old@example.com", "taken@example.com", "mine")));

        Assert.Equal(RecordOutcome.Rejected, result.Outcome);
        Assert.Equal("EmailAlreadyExists", result.Code);
        Assert.Contains("New email already exists", result.Reason, StringComparison.Ordinal);
        Assert.True(iterable.TryGetUser("taken@example.com", out var taken));
        Assert.Equal("theirs", taken.DataFields["plan"]!.GetValue<string>()); // the other user was not written
        Assert.True(iterable.TryGetUser("old@example.com", out _));
    }

    [Fact]
    public async Task When_the_old_user_is_gone_the_row_goes_on_under_its_new_email()
    {
        await using var iterable = await TestSync.StartEmulatorAsync(o => o.ProjectType = IterableProjectType.Email);
        iterable.SeedUsers([new IterableSeedUser("exists@example.com")]);
        var update = TestSync.Sync(SyncMode.Update, "email", ("plan", ValueKind.Text));

        var upserted = Assert.Single(await WriteAsync(iterable, UpsertByEmail, Changed("k1", "deleted@example.com", "fresh@example.com", "pro")));
        var updated = await WriteAsync(iterable, update,
            Changed("k2", "gone@example.com", "exists@example.com", "pro", RecordOperation.Update),
            Changed("k3", "gone2@example.com", "absent@example.com", "pro", RecordOperation.Update));

        Assert.Equal(RecordOutcome.Delivered, upserted.Outcome);
        Assert.True(iterable.TryGetUser("fresh@example.com", out _));
        Assert.Equal(RecordOutcome.Delivered, updated.Single(r => r.Key == "k2").Outcome);
        Assert.Equal(RecordOutcome.NotFound, updated.Single(r => r.Key == "k3").Outcome); // update mode never creates
        Assert.False(iterable.TryGetUser("absent@example.com", out _));
    }

    [Fact]
    public async Task Update_mode_under_read_lag_never_reports_a_user_delivered_in_an_earlier_run_as_not_found()
    {
        // Reads lag an hour behind writes: every user written by the first run is invisible to lookups.
        await using var iterable = await TestSync.StartEmulatorAsync(o =>
        {
            o.ProjectType = IterableProjectType.Email;
            o.ReadAfterWriteDelay = TimeSpan.FromHours(1);
        });
        var first = await WriteAsync(iterable, UpsertByEmail,
            TestSync.Upsert("a@example.com", "free"), TestSync.Upsert("b@example.com", "free"));
        Assert.All(first, r => Assert.Equal(RecordOutcome.Delivered, r.Outcome));
        var update = TestSync.Sync(SyncMode.Update, "email", ("plan", ValueKind.Text));

        var second = await WriteAsync(iterable, update,
            TestSync.Update("a@example.com", "a@example.com", "pro"),                          // unchanged email
            Changed("k-b", "b@example.com", "b2@example.com", "pro", RecordOperation.Update)); // changed email

        Assert.All(second, r => Assert.Equal(RecordOutcome.Delivered, r.Outcome));
        Assert.True(iterable.TryGetUser("a@example.com", out var a));
        Assert.Equal("pro", a.DataFields["plan"]!.GetValue<string>());
        Assert.True(iterable.TryGetUser("b2@example.com", out var b));
        Assert.Equal("pro", b.DataFields["plan"]!.GetValue<string>());
        Assert.Equal(2, iterable.UserCount);
    }

    [Theory]
    [InlineData("email", "dup@example.com", "DUP@example.com")]
    [InlineData("userId", "u-1", "u-1")]
    public async Task Two_rows_with_one_identifier_in_a_batch_keep_the_first_and_reject_the_other_naming_it(string match, string first, string second)
    {
        await using var iterable = await TestSync.StartEmulatorAsync();
        var sync = TestSync.Sync(SyncMode.Upsert, match, ("plan", ValueKind.Text));

        var results = await WriteAsync(iterable, sync,
            new DeliveryRecord("key-1", RecordOperation.Upsert, first, ["one"], null),
            new DeliveryRecord("key-2", RecordOperation.Upsert, second, ["two"], null),
            new DeliveryRecord("key-3", RecordOperation.Upsert, match == "email" ? "other@example.com" : "u-2", ["three"], null));

        Assert.Equal(RecordOutcome.Delivered, results.Single(r => r.Key == "key-1").Outcome);
        Assert.Equal(RecordOutcome.Delivered, results.Single(r => r.Key == "key-3").Outcome);
        var rejected = results.Single(r => r.Key == "key-2");
        Assert.Equal(RecordOutcome.Rejected, rejected.Outcome);
        Assert.Equal("DuplicateMatchValue", rejected.Code);
        Assert.Contains("'key-1'", rejected.Reason, StringComparison.Ordinal);
        Assert.False(rejected.Sent);
        Assert.Equal(2, iterable.UserCount);
        Assert.True(iterable.TryGetUser(first, out var user));
        Assert.Equal("one", user.DataFields["plan"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_userId_matched_sync_may_map_email_and_changes_it_in_place()
    {
        await using var iterable = await TestSync.StartEmulatorAsync();
        iterable.SeedUsers([new IterableSeedUser("old@example.com", "u-1")]);
        var sync = TestSync.SyncMapped(SyncMode.Upsert, "userId", ("mail", "email", ValueKind.Text));

        Assert.Empty(new IterableDestinationProvider().CheckSync(TestSync.Settings(iterable.BaseUrl), sync));
        var result = Assert.Single(await WriteAsync(iterable, sync, new DeliveryRecord("u-1", RecordOperation.Upsert, "u-1", ["new@example.com"], "u-1")));

        Assert.Equal(RecordOutcome.Delivered, result.Outcome);
        Assert.True(iterable.TryGetUser("u-1", out var user));
        Assert.Equal("new@example.com", user.Email);
        Assert.Equal(1, iterable.UserCount);
    }
}

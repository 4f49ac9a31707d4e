using System.Text.Json.Nodes;
using Sluice.Core.Destinations;
using Sluice.Core.Models;
using Sluice.Destinations.Iterable.Tests.Support;
using Sluice.Emulators.Iterable;

namespace Sluice.Destinations.Iterable.Tests;

public sealed class UpsertTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly (string, ValueKind)[] AllKinds =
    [
        ("name", ValueKind.Text), ("seats", ValueKind.Integer), ("ltv", ValueKind.Decimal), ("score", ValueKind.Float),
        ("vip", ValueKind.Boolean), ("born", ValueKind.Date), ("seen_at", ValueKind.Timestamp), ("note", ValueKind.Text),
    ];

    [Fact]
    public async Task Upsert_creates_users_whose_data_fields_read_back_with_Iterable_types()
    {
        await using var iterable = await TestSync.StartEmulatorAsync();
        var sync = TestSync.Sync(SyncMode.Upsert, "email", AllKinds);
        var (destination, writer) = await TestSync.OpenAsync(iterable, TestSync.Settings(iterable.BaseUrl), sync);
        await using var owner = destination;

        var results = await writer.WriteAsync(TestSync.Batch(sync, [
            TestSync.Upsert("jane@example.com", "Jane Ü", 12L, 1234.50m, 4.0, true, new DateOnly(1990, 5, 17),
                new DateTime(2024, 3, 4, 5, 6, 7, DateTimeKind.Utc), null),
            TestSync.Upsert("john@example.com", "John \"J\"", -1L, 3m, 0.25, false, new DateOnly(2001, 1, 1),
                new DateTime(2023, 12, 31, 23, 59, 59, DateTimeKind.Utc), "x"),
        ]), Ct);

        Assert.All(results, r => Assert.Equal(RecordOutcome.Delivered, r.Outcome));
        Assert.Equal("jane@example.com", results.Single(r => r.Key == "jane@example.com").DestinationId);
        Assert.True(iterable.TryGetUser("jane@example.com", out var jane));
        var data = jane.DataFields;
        Assert.Equal("Jane Ü", data["name"]!.GetValue<string>());
        Assert.Equal(12, data["seats"]!.GetValue<long>());
        Assert.Equal(1234.5, data["ltv"]!.GetValue<double>());
        Assert.Equal(4.0, data["score"]!.GetValue<double>());
        Assert.True(data["vip"]!.GetValue<bool>());
        Assert.Equal("1990-05-17", data["born"]!.GetValue<string>());
        Assert.Equal("2024-03-04 05:06:07 +00:00", data["seen_at"]!.GetValue<string>());
        Assert.True(data.ContainsKey("note"));
        Assert.Null(data["note"]);
        Assert.True(iterable.TryGetUser("john@example.com", out var john));
        Assert.Equal("John \"J\"", john.DataFields["name"]!.GetValue<string>());

        var fields = iterable.GetFields();
        Assert.Equal("string", fields["name"]);
        Assert.Equal("long", fields["seats"]);
        Assert.Equal("double", fields["ltv"]);   // decimals go out with a fraction, so the field is not typed long
        Assert.Equal("double", fields["score"]); // 4.0 stays a double
        Assert.Equal("date", fields["born"]);
        Assert.Equal("date", fields["seen_at"]);
    }

    [Fact]
    public async Task Upsert_by_userId_updates_existing_users_and_creates_new_ones()
    {
        await using var iterable = await TestSync.StartEmulatorAsync();
        iterable.SeedUsers([new IterableSeedUser(null, "u-1", new JsonObject { ["plan"] = "free", ["keep"] = "me" })]);
        var sync = TestSync.Sync(SyncMode.Upsert, "userId", ("plan", ValueKind.Text));
        var (destination, writer) = await TestSync.OpenAsync(iterable, TestSync.Settings(iterable.BaseUrl), sync);
        await using var owner = destination;

        var results = await writer.WriteAsync(TestSync.Batch(sync, [TestSync.Upsert("u-1", "pro"), TestSync.Upsert("u-2", "team")]), Ct);

        Assert.All(results, r => Assert.Equal(RecordOutcome.Delivered, r.Outcome));
        Assert.True(iterable.TryGetUser("u-1", out var one));
        Assert.Equal("pro", one.DataFields["plan"]!.GetValue<string>());
        Assert.Equal("me", one.DataFields["keep"]!.GetValue<string>()); // merged, not replaced
        Assert.True(iterable.TryGetUser("u-2", out _));
        var stats = iterable.GetStats();
        Assert.Equal(1, stats.UsersCreated);
        Assert.Equal(1, stats.UsersUpdated);
    }

    [Fact]
    public async Task An_invalid_email_is_rejected_with_Iterables_code_while_the_rest_of_the_batch_lands()
    {
        await using var iterable = await TestSync.StartEmulatorAsync();
        var sync = TestSync.Sync(SyncMode.Upsert, "email", ("plan", ValueKind.Text));
        var (destination, writer) = await TestSync.OpenAsync(iterable, TestSync.Settings(iterable.BaseUrl), sync);
        await using var owner = destination;
        var records = Enumerable.Range(0, 50).Select(i => TestSync.Upsert($"user{i}@example.com", "pro"))
            .Append(TestSync.Upsert("bad @example.com", "pro"))
            .ToList();

        var results = await writer.WriteAsync(TestSync.Batch(sync, records), Ct);

        var bad = results.Single(r => r.Key == "bad @example.com");
        Assert.Equal(RecordOutcome.Rejected, bad.Outcome);
        Assert.Equal("InvalidEmailAddressError", bad.Code);
        Assert.Contains("invalidEmails", bad.Reason, StringComparison.Ordinal);
        Assert.Equal(50, results.Count(r => r.Outcome == RecordOutcome.Delivered));
        Assert.Equal(50, iterable.UserCount);
        Assert.Equal(1, iterable.GetStats().Requests[IterableEndpoint.BulkUpdate]);
    }

    [Fact]
    public async Task An_invalid_userId_is_rejected_with_Iterables_code()
    {
        await using var iterable = await TestSync.StartEmulatorAsync();
        var sync = TestSync.Sync(SyncMode.Upsert, "userId", ("plan", ValueKind.Text));
        var (destination, writer) = await TestSync.OpenAsync(iterable, TestSync.Settings(iterable.BaseUrl), sync);
        await using var owner = destination;

        var results = await writer.WriteAsync(TestSync.Batch(sync, [TestSync.Upsert("u-ok", "a"), TestSync.Upsert("u-bad ", "b")]), Ct);

        Assert.Equal(RecordOutcome.Delivered, results.Single(r => r.Key == "u-ok").Outcome);
        var bad = results.Single(r => r.Key == "u-bad ");
        Assert.Equal(RecordOutcome.Rejected, bad.Outcome);
        Assert.Equal("InvalidUserIdError", bad.Code);
    }

    [Theory]
    [InlineData(IterableTypeConflictMode.WholeRequest)]
    [InlineData(IterableTypeConflictMode.PerUser)]
    public async Task A_value_of_the_wrong_type_is_rejected_with_the_field_and_types_while_the_others_land(IterableTypeConflictMode mode)
    {
        await using var iterable = await TestSync.StartEmulatorAsync(o => o.TypeConflictMode = mode);
        iterable.SeedUsers([new IterableSeedUser("seed@example.com", null, new JsonObject { ["renewal"] = "2024-01-02" })]);
        var sync = TestSync.Sync(SyncMode.Upsert, "email", ("renewal", ValueKind.Text), ("plan", ValueKind.Text));
        var (destination, writer) = await TestSync.OpenAsync(iterable, TestSync.Settings(iterable.BaseUrl), sync);
        await using var owner = destination;
        var records = Enumerable.Range(0, 20).Select(i => TestSync.Upsert($"u{i}@example.com", "2025-06-01", "pro"))
            .Append(TestSync.Upsert("odd@example.com", "next spring", "pro"))
            .ToList();

        var results = await writer.WriteAsync(TestSync.Batch(sync, records), Ct);

        var odd = results.Single(r => r.Key == "odd@example.com");
        Assert.Equal(RecordOutcome.Rejected, odd.Outcome);
        Assert.Equal("RequestFieldsTypesMismatched", odd.Code);
        Assert.Contains("'renewal'", odd.Reason, StringComparison.Ordinal);
        Assert.Contains("date", odd.Reason, StringComparison.Ordinal);
        Assert.Contains("string", odd.Reason, StringComparison.Ordinal);
        Assert.Equal(20, results.Count(r => r.Outcome == RecordOutcome.Delivered));
        Assert.Equal(21, iterable.UserCount); // the seed + 20
        Assert.False(iterable.TryGetUser("odd@example.com", out var _));
    }

    [Fact]
    public async Task Batches_over_4_MB_are_split_so_that_no_request_is_refused_as_too_large()
    {
        await using var iterable = await TestSync.StartEmulatorAsync();
        var sync = TestSync.Sync(SyncMode.Upsert, "email", ("bio", ValueKind.Text));
        var (destination, writer) = await TestSync.OpenAsync(iterable, TestSync.Settings(iterable.BaseUrl), sync);
        await using var owner = destination;
        var bio = new string('b', 9_000); // 1000 users: about 9 MB of JSON
        var records = Enumerable.Range(0, 1000).Select(i => TestSync.Upsert($"big{i}@example.com", bio)).ToList();

        var results = await writer.WriteAsync(TestSync.Batch(sync, records), Ct);

        Assert.All(results, r => Assert.Equal(RecordOutcome.Delivered, r.Outcome));
        var stats = iterable.GetStats();
        Assert.Equal(3, stats.Requests[IterableEndpoint.BulkUpdate]);
        Assert.Equal(1000, stats.UsersReceived[IterableEndpoint.BulkUpdate]);
        Assert.Equal(1000, iterable.UserCount);
    }

    [Fact]
    public async Task Batch_size_bounds_the_users_per_request()
    {
        await using var iterable = await TestSync.StartEmulatorAsync();
        var sync = TestSync.Sync(SyncMode.Upsert, "email", ("plan", ValueKind.Text));
        var (destination, writer) = await TestSync.OpenAsync(iterable, TestSync.Settings(iterable.BaseUrl, ("batch_size", "100")), sync);
        await using var owner = destination;
        var records = Enumerable.Range(0, 250).Select(i => TestSync.Upsert($"u{i}@example.com", "pro")).ToList();

        Assert.Equal(100, writer.BatchSize);
        var results = await TestSync.DeliverAllAsync(writer, sync, records);

        Assert.Equal(250, results.Count(r => r.Outcome == RecordOutcome.Delivered));
        Assert.Equal(3, iterable.GetStats().Requests[IterableEndpoint.BulkUpdate]);
    }

    [Fact]
    public async Task Paced_requests_stay_within_Iterables_rate_limits()
    {
        await using var iterable = await TestSync.StartEmulatorAsync(o => o.RateLimits = true);
        var sync = TestSync.Sync(SyncMode.Upsert, "email", ("plan", ValueKind.Text));
        var (destination, writer) = await TestSync.OpenAsync(iterable, TestSync.Settings(iterable.BaseUrl, ("batch_size", "10")), sync);
        await using var owner = destination;
        var records = Enumerable.Range(0, 150).Select(i => TestSync.Upsert($"u{i}@example.com", "pro")).ToList();

        var results = await TestSync.DeliverAllAsync(writer, sync, records);

        Assert.Equal(150, results.Count(r => r.Outcome == RecordOutcome.Delivered));
        var stats = iterable.GetStats();
        Assert.Equal(15, stats.Requests[IterableEndpoint.BulkUpdate]);
        Assert.Equal(0, stats.RateLimited);
    }

    [Fact]
    public async Task A_record_without_a_match_value_is_rejected_and_never_sent()
    {
        await using var iterable = await TestSync.StartEmulatorAsync();
        var sync = TestSync.Sync(SyncMode.Upsert, "email", ("plan", ValueKind.Text));
        var (destination, writer) = await TestSync.OpenAsync(iterable, TestSync.Settings(iterable.BaseUrl), sync);
        await using var owner = destination;
        var empty = new DeliveryRecord("k-empty", RecordOperation.Upsert, null, ["pro"], null);

        var results = await writer.WriteAsync(TestSync.Batch(sync, [empty, TestSync.Upsert("a@example.com", "pro")]), Ct);

        Assert.Equal("MissingIdentifier", results.Single(r => r.Key == "k-empty").Code);
        Assert.Equal(RecordOutcome.Delivered, results.Single(r => r.Key == "a@example.com").Outcome);
        Assert.Equal(1, iterable.GetStats().UsersReceived[IterableEndpoint.BulkUpdate]);
    }

    [Fact]
    public async Task A_value_JSON_cannot_hold_is_rejected_naming_its_column()
    {
        await using var iterable = await TestSync.StartEmulatorAsync();
        var sync = TestSync.Sync(SyncMode.Upsert, "email", ("score", ValueKind.Float));
        var (destination, writer) = await TestSync.OpenAsync(iterable, TestSync.Settings(iterable.BaseUrl), sync);
        await using var owner = destination;

        var results = await writer.WriteAsync(TestSync.Batch(sync, [TestSync.Upsert("a@example.com", double.NaN), TestSync.Upsert("b@example.com", 1.5)]), Ct);

        var nan = results.Single(r => r.Key == "a@example.com");
        Assert.Equal(RecordOutcome.Rejected, nan.Outcome);
        Assert.Contains("'score'", nan.Reason, StringComparison.Ordinal);
        Assert.Equal(RecordOutcome.Delivered, results.Single(r => r.Key == "b@example.com").Outcome);
    }

    [Fact]
    public async Task Reconcile_reports_every_record_as_not_found_because_Iterable_has_no_inserts()
    {
        await using var iterable = await TestSync.StartEmulatorAsync();
        var sync = TestSync.Sync(SyncMode.Upsert, "email", ("plan", ValueKind.Text));
        var (destination, writer) = await TestSync.OpenAsync(iterable, TestSync.Settings(iterable.BaseUrl), sync);
        await using var owner = destination;

        var results = await writer.ReconcileAsync(TestSync.Batch(sync, [TestSync.Upsert("a@example.com", "x"), TestSync.Upsert("b@example.com", "y")]), Ct);

        Assert.Equal(["a@example.com", "b@example.com"], results.Select(r => r.Key));
        Assert.All(results, r => Assert.Equal(RecordOutcome.NotFound, r.Outcome));
        Assert.Equal(0, iterable.GetStats().Requests.Values.Sum());
    }
}

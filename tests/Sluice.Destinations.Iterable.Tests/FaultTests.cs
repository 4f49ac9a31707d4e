using Microsoft.Extensions.Logging;
using Sluice.Core.Destinations;
using Sluice.Core.Models;
using Sluice.Destinations.Iterable.Tests.Support;
using Sluice.Destinations.Tests.Support;
using Sluice.Emulators.Iterable;

namespace Sluice.Destinations.Iterable.Tests;

public sealed class FaultTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static List<DeliveryRecord> Users(int count) =>
        Enumerable.Range(0, count).Select(i => TestSync.Upsert($"user{i}@example.com", "pro")).ToList();

    private static async Task<List<RecordResult>> DeliverAsync(IterableEmulator iterable, List<DeliveryRecord> records,
        DestinationServices? services = null, params (string, string)[] options)
    {
        var sync = TestSync.Sync(SyncMode.Upsert, "email", ("plan", ValueKind.Text));
        var (destination, writer) = await TestSync.OpenAsync(iterable, TestSync.Settings(iterable.BaseUrl, options), sync, services);
        await using var owner = destination;
        return await TestSync.DeliverAllAsync(writer, sync, records);
    }

    private static void AssertEachDeliveredExactlyOnce(IterableEmulator iterable, List<RecordResult> results, int count)
    {
        Assert.Equal(count, results.Count);
        Assert.All(results, r => Assert.Equal(RecordOutcome.Delivered, r.Outcome));
        var stats = iterable.GetStats();
        Assert.Equal(count, stats.UsersCreated);
        Assert.Equal(0, stats.UsersUpdated); // nothing was written twice
        Assert.Equal(count, stats.UsersReceived[IterableEndpoint.BulkUpdate]);
        Assert.Equal(count, iterable.UserCount);
    }

    [Fact]
    public async Task Bursts_of_429_are_survived_with_every_user_delivered_exactly_once()
    {
        await using var iterable = await TestSync.StartEmulatorAsync(o =>
            o.Faults = new() { ThrottleBurstEvery = 8, ThrottleBurstLength = 3, ThrottleRetryAfterSeconds = null });

        var results = await DeliverAsync(iterable, Users(200), null, ("batch_size", "25"));

        AssertEachDeliveredExactlyOnce(iterable, results, 200);
        Assert.True(iterable.GetStats().InjectedThrottles > 0);
    }

    [Fact]
    public async Task Server_errors_are_retried_with_every_user_delivered_exactly_once()
    {
        await using var iterable = await TestSync.StartEmulatorAsync(o => o.Faults = new() { ErrorRate = 0.4, Seed = 7 });

        var results = await DeliverAsync(iterable, Users(200), null, ("batch_size", "25"));

        AssertEachDeliveredExactlyOnce(iterable, results, 200);
        Assert.True(iterable.GetStats().InjectedErrors > 0);
    }

    [Fact]
    public async Task Dropped_connections_are_retried_with_every_user_delivered_exactly_once()
    {
        await using var iterable = await TestSync.StartEmulatorAsync(o => o.Faults = new() { DropConnectionRate = 0.4, Seed = 11 });

        var results = await DeliverAsync(iterable, Users(200), null, ("batch_size", "25"));

        AssertEachDeliveredExactlyOnce(iterable, results, 200);
    }

    [Fact]
    public async Task Update_lookups_survive_429s_5xx_and_dropped_connections()
    {
        await using var iterable = await TestSync.StartEmulatorAsync(o =>
            o.Faults = new() { ThrottleBurstEvery = 7, ThrottleBurstLength = 2, ErrorRate = 0.1, DropConnectionRate = 0.1, Seed = 3 });
        iterable.SeedUsers(Enumerable.Range(0, 40).Select(i => new Emulators.Iterable.IterableSeedUser($"user{i}@example.com")));
        var sync = TestSync.Sync(SyncMode.Update, "email", ("plan", ValueKind.Text));
        var (destination, writer) = await TestSync.OpenAsync(iterable, TestSync.Settings(iterable.BaseUrl), sync);
        await using var owner = destination;
        var records = Enumerable.Range(0, 80).Select(i => TestSync.Update($"user{i}@example.com", null, "pro")).ToList();

        var results = await writer.WriteAsync(TestSync.Batch(sync, records), Ct);

        Assert.Equal(40, results.Count(r => r.Outcome == RecordOutcome.Delivered));
        Assert.Equal(40, results.Count(r => r.Outcome == RecordOutcome.NotFound));
        Assert.Equal(0, iterable.GetStats().UsersCreated);
        Assert.Equal(40, iterable.GetStats().UsersUpdated);
    }

    [Fact]
    public async Task Retry_After_from_Iterable_sets_the_wait_before_each_retry_and_each_retry_is_reported()
    {
        // Every request is throttled with Retry-After: 7.
        await using var iterable = await TestSync.StartEmulatorAsync(o =>
            o.Faults = new() { ThrottleBurstEvery = 1, ThrottleBurstLength = 1, ThrottleRetryAfterSeconds = 7 });
        var time = TestSync.Clock(iterable);
        var logs = new CapturedLogs();
        var start = time.GetTimestamp();

        var error = await Assert.ThrowsAsync<DeliveryException>(() =>
            DeliverAsync(iterable, Users(5), TestSync.Services(iterable, logs), ("max_retries", "3")));

        Assert.Equal(ErrorCategory.RateLimit, error.Category);
        Assert.Equal(4, iterable.GetStats().InjectedThrottles);
        var retries = logs.Retries;
        Assert.Equal([TimeSpan.FromSeconds(7), TimeSpan.FromSeconds(7), TimeSpan.FromSeconds(7)], retries.Select(r => r.Wait));
        Assert.All(retries, r => Assert.Equal(LogLevel.Information, r.Level));
        Assert.Contains("users/bulkUpdate failed (HTTP 429", retries[0].Message, StringComparison.Ordinal);
        Assert.Contains("Retry-After 7 s", retries[0].Message, StringComparison.Ordinal);
        Assert.True(time.GetElapsedTime(start) >= TimeSpan.FromSeconds(21)); // simulated: the waits were honoured, not slept
    }

    [Fact]
    public async Task Without_Retry_After_the_waits_back_off_exponentially()
    {
        await using var iterable = await TestSync.StartEmulatorAsync(o =>
            o.Faults = new() { ThrottleBurstEvery = 1, ThrottleBurstLength = 1, ThrottleRetryAfterSeconds = null });
        var logs = new CapturedLogs();

        var error = await Assert.ThrowsAsync<DeliveryException>(() =>
            DeliverAsync(iterable, Users(3), TestSync.Services(iterable, logs), ("max_retries", "4")));

        Assert.Equal(ErrorCategory.RateLimit, error.Category);
        var delays = logs.Retries.Select(r => r.Wait).ToArray();
        Assert.Equal(4, delays.Length);
        Assert.True(delays[3] > delays[0], $"backoff should grow: {string.Join(", ", delays)}");
        Assert.Equal(5, iterable.GetStats().InjectedThrottles); // the first try and 4 retries
    }

    [Fact]
    public async Task An_unreachable_Iterable_fails_after_two_quick_retries_with_a_connection_error()
    {
        var time = new SimulatedTime();
        var logs = new CapturedLogs();
        var sync = TestSync.Sync(SyncMode.Upsert, "email", ("plan", ValueKind.Text));
        await using var destination = new IterableDestinationProvider().Create(
            TestSync.Settings(new Uri("http://127.0.0.1:1/")), time.Services(logs));
        var start = time.GetTimestamp();

        var error = await Assert.ThrowsAsync<DeliveryException>(() => destination.CheckAsync(sync, Ct));

        Assert.Equal(ErrorCategory.Connection, error.Category);
        Assert.Contains("connection refused", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, logs.Retries.Count);
        Assert.True(time.GetElapsedTime(start) < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_bulk_request_that_keeps_failing_stops_the_run_with_a_destination_error()
    {
        await using var iterable = await TestSync.StartEmulatorAsync(o => o.Faults = new() { ErrorRate = 1.0 });

        var error = await Assert.ThrowsAsync<DeliveryException>(() => DeliverAsync(iterable, Users(3), null, ("max_retries", "3")));

        Assert.Equal(ErrorCategory.Destination, error.Category);
        Assert.Contains("500", error.Message, StringComparison.Ordinal);
        Assert.Equal(4, iterable.GetStats().InjectedErrors);
        Assert.Equal(0, iterable.UserCount);
    }

    [Fact]
    public async Task A_wrong_key_while_writing_stops_the_run_with_an_authentication_error()
    {
        await using var iterable = await TestSync.StartEmulatorAsync();

        var error = await Assert.ThrowsAsync<DeliveryException>(() => DeliverAsync(iterable, Users(3), null, ("api_key", "nope-secret")));

        Assert.Equal(ErrorCategory.Authentication, error.Category);
        Assert.DoesNotContain("nope-secret", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, iterable.GetStats().Requests[IterableEndpoint.BulkUpdate]); // 401 is not retried
    }
}

using Sluice.Core.Destinations;
using Sluice.Core.Models;

namespace Sluice.Destinations.Actito.Tests;

public sealed class ResilienceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("single")]
    [InlineData("bulk")]
    public async Task Throttle_bursts_server_errors_and_dropped_connections_lose_and_duplicate_nothing(string transport)
    {
        await using var harness = await Harness.StartAsync(o =>
        {
            o.Faults.Seed = 7;
            o.Faults.ThrottleBurstEvery = 9;
            o.Faults.ThrottleBurstLength = 3;
            o.Faults.ThrottleRetryAfterSeconds = 0;
            o.Faults.ErrorRate = 0.1;
            o.Faults.DropConnectionRate = 0.05;
        });
        var destination = Harness.ByTransport(harness, transport);
        var sync = Customers.Sync(SyncMode.Mirror);

        var created = await harness.RunAsync(destination, sync, Customers.Records(Enumerable.Range(1, 60), RecordOperation.Upsert));
        Assert.All(created.Values, r => Assert.Equal(RecordOutcome.Delivered, r.Outcome));
        var inserted = await harness.RunAsync(destination, Customers.Sync(SyncMode.Insert), Customers.Records(Enumerable.Range(55, 10), RecordOperation.Create));
        Assert.All(inserted.Values, r => Assert.Contains(r.Outcome, new[] { RecordOutcome.Delivered, RecordOutcome.Skipped }));
        var deleted = await harness.RunAsync(destination, sync,
            [.. Enumerable.Range(1, 20).Select(i => Customers.Record(i, RecordOperation.Delete, harness.Ledger[Customers.Key(i)]))]);
        Assert.All(deleted.Values, r => Assert.Equal(RecordOutcome.Delivered, r.Outcome));

        var profiles = harness.Emulator.GetProfiles();
        Assert.Equal(44, profiles.Count); // 21..64, each once
        Assert.Equal(Enumerable.Range(21, 44).Select(Customers.CustomerId).Order(), profiles.Select(p => p["customerId"]).Order());
        Assert.True(harness.Emulator.GetStats().TooManyRequests > 0);
    }

    [Theory]
    [InlineData("single")]
    [InlineData("bulk")]
    public async Task An_access_token_that_expires_mid_run_is_renewed_and_the_run_goes_on(string transport)
    {
        await using var harness = await Harness.StartAsync();
        var destination = transport == "bulk"
            ? harness.Destination((ActitoOptions.BulkThreshold, "5"))
            : harness.SingleCalls();
        var records = Customers.Records(Enumerable.Range(1, transport == "bulk" ? 12 : 60), RecordOperation.Upsert);

        var results = await harness.RunAsync(destination, Customers.Sync(SyncMode.Upsert), records, betweenBatches: _ =>
        {
            harness.Emulator.ExpireAllTokens();
            return Task.CompletedTask;
        });

        Assert.All(results.Values, r => Assert.Equal(RecordOutcome.Delivered, r.Outcome));
        Assert.Equal(records.Count, harness.Emulator.ProfileCount());
        var stats = harness.Emulator.GetStats();
        Assert.True(stats.TokensIssued >= 2, $"tokens issued: {stats.TokensIssued}");
        Assert.True(stats.AuthFailures >= 1);
    }

    [Fact]
    public async Task An_unreachable_service_stops_the_run_with_a_connection_error_after_two_quick_retries()
    {
        await using var harness = await Harness.StartAsync();
        var destination = harness.Destination((ActitoOptions.BaseUrl, "http://127.0.0.1:1"));
        var start = harness.Time.GetTimestamp();

        var error = await Assert.ThrowsAsync<DeliveryException>(() => destination.CheckAsync(Customers.Sync(SyncMode.Upsert), Ct));

        Assert.Equal(ErrorCategory.Connection, error.Category);
        Assert.Contains("Could not reach Actito at 127.0.0.1:1 (connection refused)", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Harness.ApiKey, error.Message, StringComparison.Ordinal);
        Assert.Equal(2, harness.Logs.Retries.Count);
        Assert.All(harness.Logs.Retries, r => Assert.Contains("Actito: get access token failed (connection refused)", r.Message, StringComparison.Ordinal));
        Assert.True(harness.Time.GetElapsedTime(start) < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Retry_After_sets_the_wait_of_each_retry_and_each_retry_is_reported()
    {
        await using var harness = await Harness.StartAsync(o =>
        {
            o.Faults.ThrottleBurstEvery = 4;
            o.Faults.ThrottleBurstLength = 1;
            o.Faults.ThrottleRetryAfterSeconds = 11;
        });

        var results = await harness.RunAsync(harness.SingleCalls(), Customers.Sync(SyncMode.Upsert),
            Customers.Records(Enumerable.Range(1, 30), RecordOperation.Upsert));

        Assert.All(results.Values, r => Assert.Equal(RecordOutcome.Delivered, r.Outcome));
        var retries = harness.Logs.Retries;
        Assert.Equal(harness.Emulator.GetStats().TooManyRequests, retries.Count);
        Assert.NotEmpty(retries);
        Assert.All(retries, r => Assert.Equal(TimeSpan.FromSeconds(11), r.Wait));
        Assert.All(retries, r => Assert.Contains("(HTTP 429, Retry-After 11 s)", r.Message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_documented_limits_are_respected_so_the_service_never_throttles_or_refuses()
    {
        await using var harness = await Harness.StartAsync(o => o.CallsPerMinute = 100);
        var settings = new[] { (ActitoOptions.CallsPerMinute, "100") };

        // A small run: single calls, paced to 100 a minute and 5 in flight.
        var small = await harness.RunAsync(harness.Destination(settings), Customers.Sync(SyncMode.Upsert),
            Customers.Records(Enumerable.Range(1, 20), RecordOperation.Upsert));
        Assert.All(small.Values, r => Assert.Equal(RecordOutcome.Delivered, r.Outcome));
        var afterSmall = harness.Emulator.GetStats();
        Assert.Equal(0, afterSmall.ImportsRun);

        // A large run: one import.
        var large = await harness.RunAsync(harness.Destination(settings), Customers.Sync(SyncMode.Upsert),
            Customers.Records(Enumerable.Range(1, 2_000), RecordOperation.Upsert));
        Assert.All(large.Values, r => Assert.Equal(RecordOutcome.Delivered, r.Outcome));

        var stats = harness.Emulator.GetStats();
        Assert.Equal(1, stats.ImportsRun);
        Assert.Equal(0, stats.TooManyRequests);
        Assert.Equal(0, stats.ThrottledCalls);
        Assert.Equal(2_000, harness.Emulator.ProfileCount());
    }

    [Fact]
    public async Task A_run_needing_more_imports_than_are_left_today_fails_before_sending_anything()
    {
        await using var harness = await Harness.StartAsync();
        var destination = harness.Bulk((ActitoOptions.ImportsPerDay, "1"));
        var sync = Customers.Sync(SyncMode.Upsert);
        await harness.RunAsync(destination, sync, Customers.Records(Enumerable.Range(1, 5), RecordOperation.Upsert));
        var callsBefore = harness.Emulator.GetStats().Calls;

        var error = await Assert.ThrowsAsync<DeliveryException>(() =>
            harness.RunAsync(destination, sync, Customers.Records(Enumerable.Range(6, 5), RecordOperation.Upsert)));

        Assert.Equal(ErrorCategory.RateLimit, error.Category);
        Assert.Contains("imports_per_day", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, harness.Emulator.GetStats().ImportsRun);
        Assert.Equal(5, harness.Emulator.ProfileCount());
        Assert.True(harness.Emulator.GetStats().Calls - callsBefore <= 1, "at most the table read before deciding");
    }

    [Fact]
    public async Task A_daily_import_quota_used_up_by_someone_else_stops_the_run_with_a_clear_rate_limit_error()
    {
        await using var harness = await Harness.StartAsync(o => o.MaxImportsPerTablePerDay = 1);
        var sync = Customers.Sync(SyncMode.Upsert);
        await harness.RunAsync(harness.Bulk(), sync, Customers.Records(Enumerable.Range(1, 5), RecordOperation.Upsert));

        var error = await Assert.ThrowsAsync<DeliveryException>(() =>
            harness.RunAsync(harness.Bulk(), sync, Customers.Records(Enumerable.Range(6, 5), RecordOperation.Upsert)));

        Assert.Equal(ErrorCategory.RateLimit, error.Category);
        Assert.Contains("daily quota", error.Message, StringComparison.Ordinal);
        Assert.Equal(5, harness.Emulator.ProfileCount());
    }
}

using Sluice.Core.Destinations;
using Sluice.Core.Models;
using Sluice.Destinations.Salesforce.Tests.Support;
using Sluice.Destinations.Tests.Support;

namespace Sluice.Destinations.Salesforce.Tests;

/// <summary>Throttling, server errors, dropped connections, expired sessions and the daily API allowance.</summary>
public sealed class ResilienceTests
{
    private static void AssertEachRowStoredOnce(Sluice.Emulators.Salesforce.SalesforceEmulator org, Dictionary<string, RecordResult> results, int count)
    {
        Assert.Equal(count, results.Count);
        Assert.All(results.Values, r => Assert.Equal(RecordOutcome.Delivered, r.Outcome));
        var stored = org.GetRecords("Contact");
        Assert.Equal(count, stored.Count);
        Assert.Equal(count, stored.Select(r => r.Text("Custom_External_ID__c")).Distinct().Count());
        foreach (var (key, result) in results)
            Assert.Equal("EXT-" + key[1..], org.GetRecord(result.DestinationId!)!.Text("Custom_External_ID__c"));
    }

    [Fact]
    public async Task Inserts_survive_throttling_server_errors_and_dropped_connections_without_losing_or_duplicating_a_row()
    {
        await using var org = await TestOrg.StartAsync(o => o.Faults = new()
        {
            ThrottleBurstEvery = 6,
            ThrottleBurstLength = 3,
            ErrorRate = 0.1,
            DropConnectionRate = 0.1,
            Seed = 7,
        });
        await using var destination = TestOrg.Destination(org);
        var results = await Runner.RunAsync(destination, Contacts.Sync(SyncMode.Insert), Contacts.Rows(1000, RecordOperation.Create));

        AssertEachRowStoredOnce(org, results, 1000);
        var stats = org.GetStats();
        Assert.True(stats.InjectedThrottles > 0 && stats.InjectedErrors > 0);
    }

    [Fact]
    public async Task Upserts_survive_the_concurrent_request_limit_and_server_errors()
    {
        await using var org = await TestOrg.StartAsync(o =>
        {
            o.InjectThrottleAsRequestLimit = true;
            o.Faults = new() { ThrottleBurstEvery = 4, ThrottleBurstLength = 2, ErrorRate = 0.15, DropConnectionRate = 0.05, Seed = 11 };
        });
        await using var destination = TestOrg.Destination(org);
        var results = await Runner.RunAsync(destination, Contacts.Sync(SyncMode.Upsert), Contacts.Rows(800, RecordOperation.Upsert));

        AssertEachRowStoredOnce(org, results, 800);
        Assert.True(org.GetStats().InjectedThrottles > 0);
    }

    [Fact]
    public async Task Retry_After_sets_the_wait_of_each_retry_and_each_retry_is_reported()
    {
        await using var org = await TestOrg.StartAsync(o => o.Faults = new()
        {
            ThrottleBurstEvery = 5,
            ThrottleBurstLength = 2,
            ThrottleRetryAfterSeconds = 9,
        });
        var logs = new CapturedLogs();
        await using var destination = TestOrg.Provider.Create(TestOrg.Settings(org), new SimulatedTime().Services(logs));

        var results = await Runner.RunAsync(destination, Contacts.Sync(SyncMode.Upsert), Contacts.Rows(600, RecordOperation.Upsert));

        AssertEachRowStoredOnce(org, results, 600);
        var retries = logs.Retries;
        Assert.NotEmpty(retries);
        Assert.Equal(org.GetStats().InjectedThrottles, retries.Count);
        Assert.All(retries, r => Assert.Equal(TimeSpan.FromSeconds(9), r.Wait));
        Assert.All(retries, r => Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Information, r.Level));
        // The emulator throttles as Salesforce does: 503 SERVER_UNAVAILABLE with Retry-After.
        Assert.All(retries, r => Assert.Contains("failed (HTTP 503 SERVER_UNAVAILABLE, Retry-After 9 s)", r.Message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_expired_session_mid_run_is_renewed_once_and_the_run_goes_on()
    {
        await using var org = await TestOrg.StartAsync();
        await using var destination = TestOrg.Destination(org);
        var results = await Runner.RunAsync(destination, Contacts.Sync(SyncMode.Upsert), Contacts.Rows(600, RecordOperation.Upsert),
            betweenBatches: batch =>
            {
                if (batch == 0)
                    org.ExpireAllTokens();
                return Task.CompletedTask;
            });

        AssertEachRowStoredOnce(org, results, 600);
        var stats = org.GetStats();
        Assert.Equal(2, stats.TokensIssued);
        Assert.True(stats.AuthFailures >= 1);
    }

    [Fact]
    public async Task A_run_stops_cleanly_before_eating_into_the_api_reserve()
    {
        await using var org = await TestOrg.StartAsync(o => o.DailyApiLimit = 40);
        await using var destination = TestOrg.Destination(org);
        var ex = await Assert.ThrowsAsync<DeliveryException>(() =>
            Runner.RunAsync(destination, Contacts.Sync(SyncMode.Insert), Contacts.Rows(8000, RecordOperation.Create)));

        Assert.Equal(ErrorCategory.RateLimit, ex.Category);
        Assert.Contains("daily API calls are left", ex.Message, StringComparison.Ordinal);
        Assert.Contains("api_reserve_percent", ex.Message, StringComparison.Ordinal);
        // 10% of 40 is kept: Sluice never goes past 36 calls and Salesforce never had to refuse one.
        Assert.InRange(org.ApiUsage, 1, 36);
        Assert.Equal(0, org.GetStats().LimitRefusals);
    }

    [Fact]
    public async Task A_daily_limit_used_up_by_someone_else_stops_the_run_with_a_rate_limit_error()
    {
        await using var org = await TestOrg.StartAsync(o => o.DailyApiLimit = 10);
        await using var destination = TestOrg.Destination(org, "Contact", ("api_reserve_percent", "0"));
        Assert.Empty(await destination.CheckAsync(Contacts.Sync(SyncMode.Insert), TestOrg.Ct));

        // Another integration spends the rest of the allowance.
        using var http = new HttpClient { BaseAddress = org.BaseUrl };
        using var login = await http.PostAsync("/services/oauth2/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = TestOrg.ClientId,
            ["client_secret"] = TestOrg.ClientSecret,
        }), TestOrg.Ct);
        using var json = System.Text.Json.JsonDocument.Parse(await login.Content.ReadAsStringAsync(TestOrg.Ct));
        http.DefaultRequestHeaders.Authorization = new("Bearer", json.RootElement.GetProperty("access_token").GetString());
        for (var i = 0; i < 10; i++)
            (await http.GetAsync("/services/data/v62.0/sobjects/Contact/describe", TestOrg.Ct)).Dispose();

        var ex = await Assert.ThrowsAsync<DeliveryException>(() =>
            Runner.RunAsync(destination, Contacts.Sync(SyncMode.Insert), Contacts.Rows(10, RecordOperation.Create)));
        Assert.Equal(ErrorCategory.RateLimit, ex.Category);
        Assert.Contains("REQUEST_LIMIT_EXCEEDED", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, org.CountRecords("Contact"));
    }

    [Fact]
    public async Task A_service_that_keeps_failing_stops_the_batch_with_a_destination_error()
    {
        await using var org = await TestOrg.StartAsync();
        await using var destination = TestOrg.Destination(org);
        Assert.Empty(await destination.CheckAsync(Contacts.Sync(SyncMode.Upsert), TestOrg.Ct));
        org.Faults.ErrorRate = 1;
        var ex = await Assert.ThrowsAsync<DeliveryException>(() =>
            Runner.RunAsync(destination, Contacts.Sync(SyncMode.Upsert), Contacts.Rows(5, RecordOperation.Upsert)));
        Assert.Equal(ErrorCategory.Destination, ex.Category);
        Assert.Contains("500", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(TestOrg.ClientSecret, ex.Message, StringComparison.Ordinal);
    }
}

public sealed class SecretTests
{
    [Fact]
    public async Task Secrets_and_access_tokens_never_reach_the_logs_even_through_retries_and_renewals()
    {
        await using var org = await TestOrg.StartAsync(o => o.Faults = new() { ErrorRate = 0.2, DropConnectionRate = 0.1, Seed = 5 });
        var logs = new CapturingLoggerFactory();
        await using var destination = TestOrg.Provider.Create(TestOrg.Settings(org), new DestinationServices { LoggerFactory = logs });
        await Runner.RunAsync(destination, Contacts.Sync(SyncMode.Upsert), Contacts.Rows(400, RecordOperation.Upsert),
            betweenBatches: _ =>
            {
                org.ExpireAllTokens();
                return Task.CompletedTask;
            });

        Assert.NotEmpty(logs.Lines);
        Assert.DoesNotContain(logs.Lines, l => l.Contains(TestOrg.ClientSecret, StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, l => l.Contains("Bearer", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(logs.Lines, l => l.Contains("p1@example.com", StringComparison.Ordinal)); // no personal data either
    }
}

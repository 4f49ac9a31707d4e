using Sluice.Emulators.Salesforce.Tests.Support;

namespace Sluice.Emulators.Salesforce.Tests;

public sealed class LimitsAndFaultsTests
{
    [Fact]
    public async Task Every_data_call_counts_against_the_daily_limit_and_the_header_reports_it()
    {
        await using var org = await Org.StartAsync(o => o.DailyApiLimit = 3);
        Assert.Equal("api-usage=1/3", (await org.GetAsync($"{Org.V}/limits")).Header("Sforce-Limit-Info"));
        Assert.Equal("api-usage=2/3", (await org.GetAsync($"{Org.V}/sobjects/Contact/describe")).Header("Sforce-Limit-Info"));
        Assert.Equal(200, (await org.GetAsync($"{Org.V}/limits")).Status);
        var reply = await org.GetAsync($"{Org.V}/limits");
        Assert.Equal(403, reply.Status);
        Assert.Equal("REQUEST_LIMIT_EXCEEDED", (string?)reply.Error["errorCode"]);
        Assert.Equal("TotalRequests Limit exceeded.", (string?)reply.Error["message"]);
        Assert.Equal("api-usage=3/3", reply.Header("Sforce-Limit-Info"));
        Assert.Equal(1, org.Emulator.GetStats().LimitRefusals);
    }

    [Fact]
    public async Task The_daily_limit_can_be_switched_off_for_benchmarks()
    {
        await using var org = await Org.StartAsync(o => { o.DailyApiLimit = 1; o.RateLimits = false; });
        for (var i = 0; i < 3; i++)
            Assert.Equal(200, (await org.GetAsync($"{Org.V}/limits")).Status);
        Assert.Equal(3, org.Emulator.ApiUsage);
    }

    [Fact]
    public async Task The_token_endpoint_has_no_limit_header()
    {
        await using var org = await Org.StartAsync(login: false);
        using var response = await org.Http.PostAsync("/services/oauth2/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = Org.ClientId,
            ["client_secret"] = Org.ClientSecret,
        }), TestContext.Current.CancellationToken);
        Assert.False(response.Headers.Contains("Sforce-Limit-Info"));
    }

    [Fact]
    public async Task Injected_server_errors_use_the_salesforce_error_shape()
    {
        await using var org = await Org.StartAsync();
        org.Emulator.Faults.ErrorRate = 1;
        var reply = await org.GetAsync($"{Org.V}/limits");
        Assert.Equal(500, reply.Status);
        Assert.Equal("UNKNOWN_EXCEPTION", (string?)reply.Error["errorCode"]);
        org.Emulator.Faults.ErrorRate = 0;
        Assert.Equal(200, (await org.GetAsync($"{Org.V}/limits")).Status);
        Assert.Equal(1, org.Emulator.GetStats().InjectedErrors);
    }

    [Fact]
    public async Task Injected_throttling_is_503_SERVER_UNAVAILABLE_with_retry_after_by_default()
    {
        await using var org = await Org.StartAsync();
        org.Emulator.Faults.ThrottleBurstEvery = 1;
        org.Emulator.Faults.ThrottleBurstLength = 1;
        var reply = await org.GetAsync($"{Org.V}/limits");
        Assert.Equal(503, reply.Status);
        Assert.Equal("SERVER_UNAVAILABLE", (string?)reply.Error["errorCode"]);
        Assert.Equal("1", reply.Header("Retry-After"));
    }

    [Fact]
    public async Task Injected_throttling_can_be_worded_as_request_limit_exceeded()
    {
        await using var org = await Org.StartAsync(o => { o.InjectThrottleAsRequestLimit = true; });
        org.Emulator.Faults.ThrottleBurstEvery = 1;
        var reply = await org.GetAsync($"{Org.V}/limits");
        Assert.Equal(403, reply.Status);
        Assert.Equal("REQUEST_LIMIT_EXCEEDED", (string?)reply.Error["errorCode"]);
    }

    [Fact]
    public async Task Faults_can_be_set_over_http_and_dropped_connections_fail_the_call()
    {
        await using var org = await Org.StartAsync();
        var reply = await org.PostAsync("/_emulator/faults", """{"dropConnectionRate":1}""");
        Assert.Equal(200, reply.Status);
        Assert.Equal(1.0, (double)reply.Json["dropConnectionRate"]!);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => org.GetAsync($"{Org.V}/limits"));
        org.Emulator.Faults.DropConnectionRate = 0;
        Assert.Equal(200, (await org.GetAsync($"{Org.V}/limits")).Status);
    }

    [Fact]
    public async Task Stats_and_reset_are_served_under_the_emulator_prefix()
    {
        await using var org = await Org.StartAsync();
        await org.CreateAsync("Contact", """{"LastName":"A"}""");
        await org.PatchAsync($"{Org.V}/sobjects/Contact/External_Id__c/k", """{"LastName":"B"}""");
        var stats = (await org.GetAsync("/_emulator/stats")).Json;
        Assert.Equal(2, (int)stats["created"]!["Contact"]!);
        Assert.Equal(2, (int)stats["stored"]!["Contact"]!);
        Assert.Equal(1, (int)stats["requests"]!["POST /services/data/v{version}/sobjects/{sobject}"]!);
        Assert.True((int)stats["apiUsage"]! >= 2);
        Assert.Equal(0, (int)stats["throttled"]!);

        Assert.Equal(204, (await org.PostAsync("/_emulator/reset", "{}")).Status);
        Assert.Equal(0, org.Emulator.TotalRecords);
        var after = (await org.GetAsync("/_emulator/stats")).Json;
        Assert.Equal(0, (int)after["totalStored"]!);
        Assert.Empty(after["created"]!.AsObject());
    }

    [Fact]
    public async Task Concurrent_clients_do_not_lose_records()
    {
        await using var org = await Org.StartAsync(o => o.RateLimits = false);
        var tasks = Enumerable.Range(0, 8).Select(async t =>
        {
            for (var b = 0; b < 5; b++)
            {
                var records = string.Join(",", Enumerable.Range(0, 200).Select(i =>
                    $$"""{"attributes":{"type":"Contact"},"LastName":"L","External_Id__c":"t{{t}}-b{{b}}-{{i}}"}"""));
                var reply = await org.PatchAsync($"{Org.V}/composite/sobjects/Contact/External_Id__c", $$"""{"records":[{{records}}]}""");
                Assert.Equal(200, reply.Status);
            }
        });
        await Task.WhenAll(tasks);
        Assert.Equal(8 * 5 * 200, org.Emulator.CountRecords("Contact"));
        Assert.Equal(8000, org.Emulator.GetStats().Created["Contact"]);
    }
}

using System.Net;
using System.Text.Json.Nodes;

namespace Sluice.Emulators.Actito.Tests;

public sealed class LimitAndControlTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string Upsert = Harness.Definition("CREATE_UPDATE", "customerId", ",");

    [Fact]
    public async Task Calls_over_the_per_minute_limit_are_slowed_down_not_rejected()
    {
        await using var h = await (await Harness.StartAsync(o =>
        {
            o.RateLimits = true;
            o.CallsPerMinute = 3;
            o.ThrottleDelayStep = TimeSpan.FromMilliseconds(1);
        })).AuthenticateAsync(); // the token call is call 1

        for (var i = 0; i < 4; i++)
            Assert.Equal(HttpStatusCode.OK, (await h.CallAsync(HttpMethod.Get, "v5/entities")).Status);
        Assert.Equal(2, h.Emulator.GetStats().ThrottledCalls);

        h.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.OK, (await h.CallAsync(HttpMethod.Get, "v5/entities")).Status);
        Assert.Equal(2, h.Emulator.GetStats().ThrottledCalls);
        Assert.Equal(0, h.Emulator.GetStats().TooManyRequests);
    }

    [Fact]
    public async Task A_request_beyond_the_concurrency_limit_gets_429()
    {
        await using var h = await (await Harness.StartAsync(o =>
        {
            o.RateLimits = true;
            o.MaxConcurrentRequests = 1;
            o.CallsPerMinute = 2;
            o.ThrottleDelayStep = TimeSpan.FromSeconds(30);
            o.MaxThrottleDelay = TimeSpan.FromSeconds(30);
        })).AuthenticateAsync();
        Assert.Equal(HttpStatusCode.OK, (await h.CallAsync(HttpMethod.Get, "v5/entities")).Status);

        // The third call of the minute is held back for 30 s and keeps its slot meanwhile.
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var slow = h.Http.GetAsync("v5/entities", cancel.Token);
        while (h.Emulator.GetStats().ThrottledCalls == 0) await Task.Delay(10, Ct);

        var (status, body) = await h.CallAsync(HttpMethod.Get, "v5/entities");
        Assert.Equal((HttpStatusCode)429, status);
        Assert.Equal(429, (int)body!["status"]!);
        Assert.Equal(1, h.Emulator.GetStats().TooManyRequests);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => slow);
    }

    [Fact]
    public async Task The_thirteenth_etl_execution_of_a_table_in_a_day_gets_429_and_the_next_day_works()
    {
        await using var h = await (await Harness.StartAsync(o =>
        {
            o.RateLimits = true;
            o.CallsPerMinute = 10_000;
            o.MaxImportsPerTablePerDay = 12;
        })).AuthenticateAsync();
        for (var i = 0; i < 12; i++)
        {
            using var ok = await h.ImportAsync(Harness.Zip($"customerId\nC-{i}\n"), Upsert);
            Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        }
        using (var refused = await h.ImportAsync(Harness.Zip("customerId\nC-x\n"), Upsert))
            Assert.Equal((HttpStatusCode)429, refused.StatusCode);
        Assert.Equal(12, h.Emulator.ProfileCount());

        h.Clock.Advance(TimeSpan.FromDays(1));
        await h.AuthenticateAsync();
        using var nextDay = await h.ImportAsync(Harness.Zip("customerId\nC-x\n"), Upsert);
        Assert.Equal(HttpStatusCode.Created, nextDay.StatusCode);
    }

    [Fact]
    public async Task With_rate_limits_off_nothing_is_throttled_or_refused()
    {
        await using var h = await (await Harness.StartAsync(o =>
        {
            o.RateLimits = false;
            o.CallsPerMinute = 1;
            o.MaxConcurrentRequests = 1;
            o.MaxImportsPerTablePerDay = 1;
        })).AuthenticateAsync();
        var calls = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => h.CallAsync(HttpMethod.Get, "v5/entities")));
        Assert.All(calls, c => Assert.Equal(HttpStatusCode.OK, c.Status));
        for (var i = 0; i < 3; i++)
        {
            using var ok = await h.ImportAsync(Harness.Zip($"customerId\nC-{i}\n"), Upsert);
            Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        }
        var stats = h.Emulator.GetStats();
        Assert.Equal(0, stats.ThrottledCalls);
        Assert.Equal(0, stats.TooManyRequests);
    }

    [Fact]
    public async Task Injected_server_errors_use_the_actito_error_shape()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        h.Emulator.Faults.ErrorRate = 1;
        var (status, body) = await h.CallAsync(HttpMethod.Get, "v5/entities");
        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.Equal(500, (int)body!["status"]!);
        h.Emulator.Faults.ErrorRate = 0;
        Assert.Equal(HttpStatusCode.OK, (await h.CallAsync(HttpMethod.Get, "v5/entities")).Status);
    }

    [Fact]
    public async Task Faults_set_over_http_inject_throttle_bursts_with_retry_after()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        var (setStatus, current) = await h.CallAsync(HttpMethod.Post, "_emulator/faults",
            """{"throttleBurstEvery":2,"throttleBurstLength":1,"throttleRetryAfterSeconds":7}""");
        Assert.Equal(HttpStatusCode.OK, setStatus);
        Assert.Equal(2, (int)current!["throttleBurstEvery"]!);

        // Fault counting covers every request, the control call included; find the throttled one.
        var statuses = new List<HttpStatusCode>();
        string? retryAfter = null;
        for (var i = 0; i < 4; i++)
        {
            using var response = await h.SendAsync(HttpMethod.Get, "v5/entities");
            statuses.Add(response.StatusCode);
            if ((int)response.StatusCode == 429) retryAfter = response.Headers.RetryAfter?.Delta?.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        Assert.Contains((HttpStatusCode)429, statuses);
        Assert.Contains(HttpStatusCode.OK, statuses);
        Assert.Equal("7", retryAfter);
        Assert.True(h.Emulator.GetStats().TooManyRequests >= 1);

        Assert.Equal(HttpStatusCode.BadRequest, (await h.CallAsync(HttpMethod.Post, "_emulator/faults", """{"bogus":1}""")).Status);
    }

    [Fact]
    public async Task Stats_over_http_count_calls_per_endpoint_and_stored_profiles()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        var id = await h.CreateAsync(("customerId", "C-1"));
        await h.CallAsync(HttpMethod.Put, $"{h.Profiles}/profile/{id}", Harness.ProfileBody(("firstName", "A")));
        await h.CallAsync(HttpMethod.Get, $"{h.Profiles}/profile/{id}");
        await h.CallAsync(HttpMethod.Delete, $"{h.Profiles}/profile/{id}");
        await h.CreateAsync(("customerId", "C-2"));

        var (status, stats) = await h.CallAsync(HttpMethod.Get, "_emulator/stats");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(2, (int)stats!["profilesCreated"]!);
        Assert.Equal(1, (int)stats["profilesUpdated"]!);
        Assert.Equal(1, (int)stats["profilesDeleted"]!);
        Assert.Equal(6, (int)stats["calls"]!);
        Assert.Equal(2, (int)stats["requestsPerEndpoint"]!["profile.create"]!);
        Assert.Equal(1, (int)stats["requestsPerEndpoint"]!["auth.token"]!);
        Assert.Equal(1, (int)stats["profilesStored"]!["sluice_demo/Profiles"]!);
    }

    [Fact]
    public async Task Reset_clears_profiles_added_attributes_and_counters()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        await h.CreateAsync(("customerId", "C-1"));
        await h.CallAsync(HttpMethod.Post, "v5/entities/sluice_demo/profile-tables/Profiles/attributes", """{"name":"extra","type":"CUSTOM","valueType":"STRING"}""");

        using var reset = await h.Http.PostAsync("_emulator/reset", null, Ct);
        Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        Assert.Equal(0, h.Emulator.ProfileCount());
        Assert.DoesNotContain("extra", h.Emulator.GetAttributeNames());
        Assert.Equal(0, h.Emulator.GetStats().ProfilesCreated);
        Assert.Equal(HttpStatusCode.OK, (await h.CallAsync(HttpMethod.Get, "v5/entities")).Status); // tokens survive
    }

    [Fact]
    public async Task Profiles_seeded_over_http_are_visible_to_the_api_and_not_counted_as_created()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        var (status, body) = await h.CallAsync(HttpMethod.Post, "_emulator/profiles",
            """{"table":"Profiles","profiles":[{"customerId":"X-1","emailAddress":"x1@example.com"},{"attributes":[{"name":"customerId","value":"X-2"}]}]}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(2, body!["profileIds"]!.AsArray().Count);

        var (getStatus, profile) = await h.CallAsync(HttpMethod.Get, $"{h.Profiles}/profile/customerId=X-1");
        Assert.Equal(HttpStatusCode.OK, getStatus);
        Assert.Equal("x1@example.com", Harness.Attribute(profile, "emailAddress"));
        Assert.Equal(0, h.Emulator.GetStats().ProfilesCreated);

        var (listStatus, list) = await h.CallAsync(HttpMethod.Get, "_emulator/profiles?table=Profiles");
        Assert.Equal(HttpStatusCode.OK, listStatus);
        Assert.Equal("X-2", (string?)list!["profiles"]![1]!["customerId"]);

        Assert.Equal(HttpStatusCode.BadRequest, (await h.CallAsync(HttpMethod.Post, "_emulator/profiles", """[{"emailAddress":"bad"}]""")).Status);
    }

    [Fact]
    public async Task Typed_seeding_validates_like_the_api()
    {
        await using var h = await Harness.StartAsync();
        var id = h.Emulator.SeedProfile(new Dictionary<string, string?> { ["customerId"] = "S-1", ["motherLanguage"] = "fr" });
        Assert.Equal(id.ToString(System.Globalization.CultureInfo.InvariantCulture), h.Emulator.GetProfiles().Single()["profileId"]);
        Assert.Equal("FR", h.Emulator.GetProfiles().Single()["motherLanguage"]);
        Assert.Throws<ArgumentException>(() => h.Emulator.SeedProfile(new Dictionary<string, string?> { ["customerId"] = "S-1" }));
        Assert.Throws<ArgumentException>(() => h.Emulator.ProfileCount("Nope"));
    }

    [Fact]
    public async Task Invalid_options_are_reported_all_at_once()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => ActitoEmulator.StartAsync(
            new ActitoEmulatorOptions { ApiKey = "", CallsPerMinute = 0, CreatedStatusCode = 202 }, Ct));
        Assert.Contains("ApiKey", error.Message, StringComparison.Ordinal);
        Assert.Contains("CallsPerMinute", error.Message, StringComparison.Ordinal);
        Assert.Contains("CreatedStatusCode", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_control_routes_are_404()
    {
        await using var h = await Harness.StartAsync();
        using var response = await h.Http.GetAsync("_emulator/nothing", Ct);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.NotNull(JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct)));
    }
}

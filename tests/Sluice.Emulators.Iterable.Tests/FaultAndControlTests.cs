using System.Net;
using System.Text.Json.Nodes;
using Sluice.Emulators.Iterable.Tests.Support;

namespace Sluice.Emulators.Iterable.Tests;

public sealed class FaultAndControlTests
{
    [Fact]
    public async Task Injected_server_errors_use_the_Iterable_envelope()
    {
        await using var h = await Harness.StartAsync(o => o.Faults.ErrorRate = 1);

        var answer = await h.GetAsync("/api/users/getFields");

        Assert.Equal(HttpStatusCode.InternalServerError, answer.Status);
        Assert.Equal("GenericError", answer.Code);
        Assert.Equal(1, h.Emulator.GetStats().InjectedErrors);
    }

    [Fact]
    public async Task Injected_throttle_bursts_answer_429_with_the_configured_Retry_After()
    {
        await using var h = await Harness.StartAsync(o =>
        {
            o.Faults.ThrottleBurstEvery = 2;
            o.Faults.ThrottleBurstLength = 1;
            o.Faults.ThrottleRetryAfterSeconds = 7;
        });

        var first = await h.GetAsync("/api/users/getFields");
        var second = await h.GetAsync("/api/users/getFields");

        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.Status);
        Assert.Equal("RateLimitExceeded", second.Code);
        Assert.Equal(TimeSpan.FromSeconds(7), second.RetryAfter);
        Assert.Equal(1, h.Emulator.GetStats().TooManyRequests);
    }

    [Fact]
    public async Task Faults_can_be_switched_on_and_off_over_http_even_while_every_request_fails()
    {
        await using var h = await Harness.StartAsync();

        var on = await h.PostAsync("/_emulator/faults", """{"errorRate":1}""");
        var failing = await h.GetAsync("/api/users/getFields");
        var off = await h.PostAsync("/_emulator/faults", """{"errorRate":0}""");
        var working = await h.GetAsync("/api/users/getFields");

        Assert.Equal(HttpStatusCode.OK, on.Status);
        Assert.Equal(0, h.Emulator.Faults.ErrorRate);
        Assert.Equal(HttpStatusCode.InternalServerError, failing.Status);
        Assert.Equal(HttpStatusCode.OK, off.Status);
        Assert.Equal(HttpStatusCode.OK, working.Status);
    }

    [Fact]
    public async Task Unknown_fault_settings_are_refused()
    {
        await using var h = await Harness.StartAsync();

        var answer = await h.PostAsync("/_emulator/faults", """{"errorRat":1}""");

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
    }

    [Fact]
    public async Task Stats_over_http_count_requests_users_and_throttles()
    {
        await using var h = await Harness.StartAsync();
        await h.PostAsync("/api/users/bulkUpdate", """{"users":[{"email":"a@example.com"},{"email":"b@example.com"},{"email":"bad"}]}""");
        await h.PostAsync("/api/users/update", """{"email":"a@example.com"}""");
        await h.DeleteAsync("/api/users/b@example.com");

        var stats = (await h.GetAsync("/_emulator/stats")).Json!;

        Assert.Equal(1, stats["usersStored"]!.GetValue<long>());
        Assert.Equal(1, stats["requests"]!["bulkUpdate"]!.GetValue<long>());
        Assert.Equal(3, stats["usersReceived"]!["bulkUpdate"]!.GetValue<long>());
        Assert.Equal(1, stats["usersReceived"]!["update"]!.GetValue<long>());
        Assert.Equal(2, stats["usersCreated"]!.GetValue<long>());
        Assert.Equal(1, stats["usersUpdated"]!.GetValue<long>());
        Assert.Equal(1, stats["usersDeleted"]!.GetValue<long>());
        Assert.Equal(1, stats["usersFailed"]!.GetValue<long>());
        Assert.Equal(0, stats["tooManyRequests"]!.GetValue<long>());
    }

    [Fact]
    public async Task Seeded_users_exist_without_counting_as_traffic_and_reset_clears_everything()
    {
        await using var h = await Harness.StartAsync();

        var seeded = await h.PostAsync("/_emulator/users", """
            [{"email":"old@example.com","userId":"u-old","dataFields":{"plan":"legacy"}},{"userId":"u-2"}]
            """);
        var found = await h.GetAsync("/api/users/getByEmail?email=old@example.com");
        var inspected = await h.GetAsync("/_emulator/users?id=u-old");
        var stats = h.Emulator.GetStats();
        var reset = await h.PostAsync("/_emulator/reset", "");

        Assert.Equal(2, seeded.Json!["seeded"]!.GetValue<int>());
        Assert.Equal("legacy", found.Json!["user"]!["dataFields"]!["plan"]!.GetValue<string>());
        Assert.Equal("old@example.com", inspected.Json!["email"]!.GetValue<string>());
        Assert.Equal(0, stats.UsersCreated);
        Assert.Equal(HttpStatusCode.OK, reset.Status);
        Assert.Equal(0, h.Emulator.UserCount);
        Assert.DoesNotContain("plan", h.Emulator.GetFields().Keys);
        Assert.Equal(0, h.Emulator.GetStats().Requests[IterableEndpoint.GetByEmailQuery]);
    }

    [Fact]
    public async Task A_seed_user_that_breaks_the_rules_is_refused()
    {
        await using var h = await Harness.StartAsync();

        var answer = await h.PostAsync("/_emulator/users", """[{"email":"not an email"}]""");

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Throws<ArgumentException>(() => h.Emulator.SeedUsers([new IterableSeedUser(null)]));
    }

    [Fact]
    public async Task Concurrent_bulk_writers_lose_no_user()
    {
        await using var h = await Harness.StartAsync();

        await Task.WhenAll(Enumerable.Range(0, 8).Select(async writer =>
        {
            for (var batch = 0; batch < 5; batch++)
            {
                var users = new JsonArray(Enumerable.Range(0, 200).Select(i => (JsonNode?)new JsonObject
                {
                    ["email"] = $"w{writer}-b{batch}-{i}@example.com",
                    ["dataFields"] = new JsonObject { ["n"] = i, ["writer"] = $"w{writer}" },
                }).ToArray());
                var answer = await h.PostAsync("/api/users/bulkUpdate", new JsonObject { ["users"] = users }.ToJsonString());
                Assert.Equal(200, answer.Json!["successCount"]!.GetValue<int>());
            }
        }));

        Assert.Equal(8 * 5 * 200, h.Emulator.UserCount);
        Assert.Equal(8 * 5 * 200, h.Emulator.GetStats().UsersReceived[IterableEndpoint.BulkUpdate]);
    }
}

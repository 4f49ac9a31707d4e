using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Sluice.Emulators.Iterable.Tests.Support;

namespace Sluice.Emulators.Iterable.Tests;

public sealed class BulkUpdateTests
{
    [Fact]
    public async Task Bulk_update_stores_every_user_and_reports_counts_and_created_fields()
    {
        await using var h = await Harness.StartAsync();

        var answer = await h.PostAsync("/api/users/bulkUpdate", """
            {"users":[
              {"email":"a@example.com","dataFields":{"plan":"pro"}},
              {"userId":"u-123","dataFields":{"score":4.5},"mergeNestedObjects":true,"preferUserId":false}
            ]}
            """);

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal(2, answer.Json!["successCount"]!.GetValue<int>());
        Assert.Equal(0, answer.Json["failCount"]!.GetValue<int>());
        Assert.Equal(["plan", "score"], answer.List("createdFields"));
        Assert.Empty(answer.List("filteredOutFields"));
        foreach (var list in new[] { "invalidEmails", "invalidUserIds", "notFoundEmails", "notFoundUserIds",
            "forgottenEmails", "forgottenUserIds", "conflictEmails", "conflictUserIds", "invalidDataEmails", "invalidDataUserIds" })
            Assert.NotNull(answer.Json["failedUpdates"]![list]);
        Assert.Equal(2, h.Emulator.UserCount);
        var stats = h.Emulator.GetStats();
        Assert.Equal(2, stats.UsersReceived[IterableEndpoint.BulkUpdate]);
        Assert.Equal(1, stats.Requests[IterableEndpoint.BulkUpdate]);
    }

    [Fact]
    public async Task Only_the_bad_users_fail_and_the_request_still_answers_200()
    {
        await using var h = await Harness.StartAsync();

        var answer = await h.PostAsync("/api/users/bulkUpdate", """
            {"users":[
              {"email":"good@example.com","dataFields":{"plan":"pro"}},
              {"email":"bad @example.com","dataFields":{"plan":"pro"}},
              {"userId":"u-123 ","dataFields":{"plan":"pro"}},
              {"email":"ok@example.com","dataFields":{"email":"not-an-email"}}
            ]}
            """);

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal(1, answer.Json!["successCount"]!.GetValue<int>());
        Assert.Equal(3, answer.Json["failCount"]!.GetValue<int>());
        Assert.Equal(["bad @example.com", "not-an-email"], answer.List("failedUpdates.invalidEmails"));
        Assert.Equal(["u-123 "], answer.List("failedUpdates.invalidUserIds"));
        Assert.Equal(["bad @example.com", "not-an-email"], answer.List("invalidEmails"));
        Assert.Equal(["u-123 "], answer.List("invalidUserIds"));
        Assert.Equal(1, h.Emulator.UserCount);
    }

    [Fact]
    public async Task A_type_mismatch_fails_the_whole_request_by_default_and_stores_nothing()
    {
        await using var h = await Harness.StartAsync();
        await h.PostAsync("/api/users/update", """{"email":"a@example.com","dataFields":{"seats":3}}""");

        var answer = await h.PostAsync("/api/users/bulkUpdate", """
            {"users":[
              {"email":"b@example.com","dataFields":{"seats":4}},
              {"email":"c@example.com","dataFields":{"seats":"many"}}
            ]}
            """);

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Equal("RequestFieldsTypesMismatched", answer.Code);
        Assert.EndsWith(":::seats", Assert.Single(answer.Json!["params"]!["validationErrors"]!.AsObject()).Key);
        Assert.False(h.Emulator.TryGetUser("b@example.com", out _));
    }

    [Fact]
    public async Task A_type_mismatch_fails_only_that_user_in_per_user_mode()
    {
        await using var h = await Harness.StartAsync(o => o.TypeConflictMode = IterableTypeConflictMode.PerUser);
        await h.PostAsync("/api/users/update", """{"email":"a@example.com","dataFields":{"seats":3}}""");

        var answer = await h.PostAsync("/api/users/bulkUpdate", """
            {"users":[
              {"email":"b@example.com","dataFields":{"seats":4}},
              {"email":"c@example.com","dataFields":{"seats":"many"}},
              {"userId":"u-9","dataFields":{"seats":true}}
            ]}
            """);

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal(1, answer.Json!["successCount"]!.GetValue<int>());
        Assert.Equal(["c@example.com"], answer.List("failedUpdates.invalidDataEmails"));
        Assert.Equal(["u-9"], answer.List("failedUpdates.invalidDataUserIds"));
        Assert.True(h.Emulator.TryGetUser("b@example.com", out _));
    }

    [Fact]
    public async Task Users_in_one_request_fix_a_new_field_type_for_the_users_after_them()
    {
        await using var h = await Harness.StartAsync();

        var answer = await h.PostAsync("/api/users/bulkUpdate", """
            {"users":[
              {"email":"a@example.com","dataFields":{"fresh":1}},
              {"email":"b@example.com","dataFields":{"fresh":"one"}}
            ]}
            """);

        Assert.Equal("RequestFieldsTypesMismatched", answer.Code);
        Assert.DoesNotContain("fresh", h.Emulator.GetFields().Keys);
    }

    [Fact]
    public async Task Unknown_fields_are_filtered_out_and_listed_when_createNewFields_is_false()
    {
        await using var h = await Harness.StartAsync();
        await h.PostAsync("/api/users/update", """{"email":"a@example.com","dataFields":{"known":1}}""");

        var answer = await h.PostAsync("/api/users/bulkUpdate", """
            {"users":[{"email":"a@example.com","dataFields":{"known":2,"extra":"x"}}],"createNewFields":false}
            """);

        Assert.Equal(1, answer.Json!["successCount"]!.GetValue<int>());
        Assert.Equal(["extra"], answer.List("filteredOutFields"));
        Assert.Empty(answer.List("createdFields"));
        h.Emulator.TryGetUser("a@example.com", out var user);
        Assert.Equal(2, user!.DataFields["known"]!.GetValue<long>());
        Assert.False(user.DataFields.ContainsKey("extra"));
    }

    [Fact]
    public async Task More_users_than_the_limit_is_BatchTooLarge()
    {
        await using var h = await Harness.StartAsync(o => o.MaxUsersPerBulkRequest = 3);
        var users = new JsonArray(Enumerable.Range(0, 4).Select(i => (JsonNode?)new JsonObject { ["email"] = $"u{i}@example.com" }).ToArray());

        var answer = await h.PostAsync("/api/users/bulkUpdate", new JsonObject { ["users"] = users }.ToJsonString());

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Equal("BatchTooLarge", answer.Code);
        Assert.Equal(0, h.Emulator.UserCount);
    }

    [Fact]
    public async Task The_default_user_limit_is_1000()
    {
        await using var h = await Harness.StartAsync();
        string Body(int count) => new JsonObject
        {
            ["users"] = new JsonArray(Enumerable.Range(0, count).Select(i => (JsonNode?)new JsonObject { ["email"] = $"u{i}@example.com" }).ToArray()),
        }.ToJsonString();

        var atLimit = await h.PostAsync("/api/users/bulkUpdate", Body(1000));
        var overLimit = await h.PostAsync("/api/users/bulkUpdate", Body(1001));

        Assert.Equal(HttpStatusCode.OK, atLimit.Status);
        Assert.Equal(1000, atLimit.Json!["successCount"]!.GetValue<int>());
        Assert.Equal("BatchTooLarge", overLimit.Code);
    }

    [Fact]
    public async Task A_body_over_the_byte_limit_is_refused_with_413_BatchTooLarge()
    {
        await using var h = await Harness.StartAsync();
        var padding = new string('x', 4_000_000);

        var answer = await h.PostAsync("/api/users/bulkUpdate",
            $$$"""{"users":[{"email":"a@example.com","dataFields":{"blob":"{{{padding}}}"}}]}""");

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, answer.Status);
        Assert.Equal("BatchTooLarge", answer.Code);
        Assert.Equal(0, h.Emulator.UserCount);
    }

    [Fact]
    public async Task A_chunked_body_over_the_byte_limit_is_refused_too()
    {
        await using var h = await Harness.StartAsync(o => o.MaxBulkBodyBytes = 1000);
        var body = $$$"""{"users":[{"email":"a@example.com","dataFields":{"blob":"{{{new string('x', 2000)}}}"}}]}""";
        var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(body)));
        content.Headers.ContentType = new("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/users/bulkUpdate") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        var answer = await h.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, answer.Status);
    }

    [Fact]
    public async Task A_request_without_users_is_BadParams()
    {
        await using var h = await Harness.StartAsync();

        var answer = await h.PostAsync("/api/users/bulkUpdate", """{"createNewFields":true}""");

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Equal("BadParams", answer.Code);
    }

    [Fact]
    public async Task Two_users_claiming_one_email_in_a_hybrid_project_are_reported_as_conflicts()
    {
        await using var h = await Harness.StartAsync();
        h.Emulator.SeedUsers([new IterableSeedUser("a@example.com", "u-a"), new IterableSeedUser("b@example.com", "u-b")]);

        var answer = await h.PostAsync("/api/users/bulkUpdate", """
            {"users":[
              {"email":"a@example.com","userId":"u-b"},
              {"userId":"u-a","dataFields":{"email":"b@example.com"}},
              {"email":"b@example.com","dataFields":{"userId":"u-a"}}
            ]}
            """);

        Assert.Equal(3, answer.Json!["failCount"]!.GetValue<int>());
        Assert.Equal(["a@example.com", "b@example.com"], answer.List("failedUpdates.conflictEmails"));
        Assert.Equal(["u-a"], answer.List("failedUpdates.conflictUserIds"));
    }

    [Fact]
    public async Task A_duplicate_property_name_anywhere_in_the_body_is_BadJsonBody()
    {
        await using var h = await Harness.StartAsync();

        var answer = await h.PostAsync("/api/users/bulkUpdate", """{"users":[{"email":"a@example.com","dataFields":{"x":1,"x":2}}]}""");

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Equal("BadJsonBody", answer.Code);
        Assert.Equal(0, h.Emulator.UserCount);
    }
}

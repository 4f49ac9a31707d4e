using System.Net;
using System.Text.Json.Nodes;
using Sluice.Emulators.Iterable.Tests.Support;

namespace Sluice.Emulators.Iterable.Tests;

public sealed class UpdateTests
{
    [Fact]
    public async Task Update_creates_an_unknown_user_and_answers_success()
    {
        await using var h = await Harness.StartAsync();

        var answer = await h.PostAsync("/api/users/update",
            """{"email":"jane@example.com","dataFields":{"firstName":"Jane","seats":12}}""");

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal("Success", answer.Code);
        Assert.True(answer.Json!["msg"] is not null);
        Assert.True(h.Emulator.TryGetUser("jane@example.com", out var jane));
        Assert.Equal("Jane", jane.DataFields["firstName"]!.GetValue<string>());
        Assert.Equal(12, jane.DataFields["seats"]!.GetValue<long>());
        Assert.Equal(1, h.Emulator.GetStats().UsersCreated);
    }

    [Fact]
    public async Task Update_merges_top_level_fields_and_keeps_the_ones_left_out()
    {
        await using var h = await Harness.StartAsync();
        await h.PostAsync("/api/users/update", """{"email":"a@example.com","dataFields":{"plan":"free","city":"Lyon"}}""");

        await h.PostAsync("/api/users/update", """{"email":"a@example.com","dataFields":{"plan":"pro"}}""");

        h.Emulator.TryGetUser("a@example.com", out var user);
        Assert.Equal("pro", user!.DataFields["plan"]!.GetValue<string>());
        Assert.Equal("Lyon", user.DataFields["city"]!.GetValue<string>());
        Assert.Equal(1, h.Emulator.UserCount);
        Assert.Equal(1, h.Emulator.GetStats().UsersUpdated);
    }

    [Fact]
    public async Task Nested_objects_are_replaced_unless_mergeNestedObjects_is_true()
    {
        await using var h = await Harness.StartAsync();
        await h.PostAsync("/api/users/update", """{"email":"a@example.com","dataFields":{"prefs":{"x":1}}}""");
        await h.PostAsync("/api/users/update", """{"email":"a@example.com","dataFields":{"prefs":{"y":2}}}""");
        h.Emulator.TryGetUser("a@example.com", out var replaced);
        Assert.Equal("""{"y":2}""", replaced!.DataFields["prefs"]!.ToJsonString());

        await h.PostAsync("/api/users/update", """{"email":"a@example.com","dataFields":{"prefs":{"z":3}},"mergeNestedObjects":true}""");

        h.Emulator.TryGetUser("a@example.com", out var merged);
        Assert.Equal("""{"y":2,"z":3}""", merged!.DataFields["prefs"]!.ToJsonString());
    }

    [Theory]
    [InlineData("user @example.com")]
    [InlineData("no-at-sign.example.com")]
    [InlineData("a@b")]
    [InlineData("")]
    public async Task An_invalid_email_is_refused_with_InvalidEmailAddressError(string email)
    {
        await using var h = await Harness.StartAsync();

        var answer = await h.PostAsync("/api/users/update", new JsonObject { ["email"] = email }.ToJsonString());

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Equal("InvalidEmailAddressError", answer.Code);
        Assert.Equal(0, h.Emulator.UserCount);
    }

    [Theory]
    [InlineData("")]
    [InlineData("trailing-space ")]
    [InlineData("caf\u00e9")]
    [InlineData("tab\there")]
    [InlineData("12345678901234567890123456789012345678901234567890123")]
    public async Task An_invalid_userId_is_refused_with_InvalidUserIdError(string userId)
    {
        await using var h = await Harness.StartAsync();

        var answer = await h.PostAsync("/api/users/update", new JsonObject { ["userId"] = userId }.ToJsonString());

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Equal("InvalidUserIdError", answer.Code);
    }

    [Fact]
    public async Task A_userId_of_exactly_52_printable_characters_is_accepted()
    {
        await using var h = await Harness.StartAsync();

        var userId = " leading space is fine ~!@#$%^&*()_+{}|:<>?".PadRight(52, 'x');

        var answer = await h.PostAsync("/api/users/update", new JsonObject { ["userId"] = userId }.ToJsonString());

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.True(h.Emulator.TryGetUser(userId, out _));
    }

    [Fact]
    public async Task A_request_without_any_identifier_is_BadParams()
    {
        await using var h = await Harness.StartAsync();

        var answer = await h.PostAsync("/api/users/update", """{"dataFields":{"a":1}}""");

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Equal("BadParams", answer.Code);
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_BadJsonBody()
    {
        await using var h = await Harness.StartAsync();

        var answer = await h.PostAsync("/api/users/update", "{not json");

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Equal("BadJsonBody", answer.Code);
    }

    [Fact]
    public async Task A_value_of_the_wrong_type_for_an_existing_field_is_RequestFieldsTypesMismatched()
    {
        await using var h = await Harness.StartAsync();
        await h.PostAsync("/api/users/update", """{"email":"a@example.com","dataFields":{"signup_at":"2020-04-13 14:04:09"}}""");

        var answer = await h.PostAsync("/api/users/update",
            """{"email":"b@example.com","dataFields":{"signup_at":"2020-04-13 14:04:09.000","ok":true}}""");

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Equal("RequestFieldsTypesMismatched", answer.Code);
        var errors = answer.Json!["params"]!["validationErrors"]!.AsObject();
        var (key, error) = Assert.Single(errors);
        Assert.EndsWith(":::signup_at", key);
        Assert.Equal("date", error!["expectedType"]!.GetValue<string>());
        Assert.Equal("""["string","keyword"]""", error["incomingTypes"]!.ToJsonString());
        Assert.Equal("2020-04-13 14:04:09.000", error["offendingValue"]!.GetValue<string>());
        Assert.False(h.Emulator.TryGetUser("b@example.com", out _));
        Assert.DoesNotContain("ok", h.Emulator.GetFields().Keys);
    }

    [Fact]
    public async Task An_integer_fits_a_double_field_but_a_fraction_does_not_fit_a_long_field()
    {
        await using var h = await Harness.StartAsync();
        await h.PostAsync("/api/users/update", """{"email":"a@example.com","dataFields":{"score":4.5,"seats":3}}""");

        var intoDouble = await h.PostAsync("/api/users/update", """{"email":"a@example.com","dataFields":{"score":4}}""");
        var intoLong = await h.PostAsync("/api/users/update", """{"email":"a@example.com","dataFields":{"seats":3.5}}""");

        Assert.Equal(HttpStatusCode.OK, intoDouble.Status);
        Assert.Equal("RequestFieldsTypesMismatched", intoLong.Code);
    }

    [Fact]
    public async Task Unknown_fields_are_dropped_when_createNewFields_is_false()
    {
        await using var h = await Harness.StartAsync();
        await h.PostAsync("/api/users/update", """{"email":"a@example.com","dataFields":{"known":"x"}}""");

        var answer = await h.PostAsync("/api/users/update",
            """{"email":"a@example.com","dataFields":{"known":"y","unknown":"z"},"createNewFields":false}""");

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        h.Emulator.TryGetUser("a@example.com", out var user);
        Assert.Equal("y", user!.DataFields["known"]!.GetValue<string>());
        Assert.False(user.DataFields.ContainsKey("unknown"));
        Assert.DoesNotContain("unknown", h.Emulator.GetFields().Keys);
    }

    [Fact]
    public async Task A_project_that_disallows_new_fields_drops_them_by_default()
    {
        await using var h = await Harness.StartAsync(o => o.AllowNewFields = false);

        await h.PostAsync("/api/users/update", """{"email":"a@example.com","dataFields":{"brandNew":1}}""");

        h.Emulator.TryGetUser("a@example.com", out var user);
        Assert.Empty(user!.DataFields);
    }

    [Fact]
    public async Task Passing_the_unique_field_limit_is_UniqueFieldsLimitExceeded()
    {
        await using var h = await Harness.StartAsync(o => o.MaxUniqueFields = 2);
        await h.PostAsync("/api/users/update", """{"email":"a@example.com","dataFields":{"f1":1,"f2":2}}""");

        var answer = await h.PostAsync("/api/users/update", """{"email":"a@example.com","dataFields":{"f3":3}}""");

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Equal("UniqueFieldsLimitExceeded", answer.Code);
    }

    [Fact]
    public async Task Null_is_stored_as_null_by_default_and_can_be_ignored_by_setting()
    {
        await using var stored = await Harness.StartAsync();
        await using var ignored = await Harness.StartAsync(o => o.NullHandling = IterableNullHandling.Ignore);
        foreach (var h in new[] { stored, ignored })
        {
            await h.PostAsync("/api/users/update", """{"email":"a@example.com","dataFields":{"plan":"pro"}}""");
            await h.PostAsync("/api/users/update", """{"email":"a@example.com","dataFields":{"plan":null}}""");
        }

        stored.Emulator.TryGetUser("a@example.com", out var a);
        ignored.Emulator.TryGetUser("a@example.com", out var b);
        Assert.True(a!.DataFields.ContainsKey("plan"));
        Assert.Null(a.DataFields["plan"]);
        Assert.Equal("pro", b!.DataFields["plan"]!.GetValue<string>());
    }
}

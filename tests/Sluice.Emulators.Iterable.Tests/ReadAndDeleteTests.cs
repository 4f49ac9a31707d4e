using System.Net;
using System.Text.Json.Nodes;
using Sluice.Emulators.Iterable.Tests.Support;

namespace Sluice.Emulators.Iterable.Tests;

public sealed class ReadAndDeleteTests
{
    [Theory]
    [InlineData("/api/users/jane%2Bvip%40example.com")]
    [InlineData("/api/users/getByEmail?email=jane%2Bvip%40example.com")]
    [InlineData("/api/users/byUserId/u%201")]
    [InlineData("/api/users/byUserId?userId=u%201")]
    public async Task Every_get_endpoint_returns_the_user_with_identifiers_and_data_fields(string path)
    {
        await using var h = await Harness.StartAsync();
        await h.PostAsync("/api/users/update", """{"email":"jane+vip@example.com","userId":"u 1","dataFields":{"plan":"pro"}}""");

        var answer = await h.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        var user = answer.Json!["user"]!;
        Assert.Equal("jane+vip@example.com", user["email"]!.GetValue<string>());
        Assert.Equal("u 1", user["userId"]!.GetValue<string>());
        var fields = user["dataFields"]!;
        Assert.Equal("pro", fields["plan"]!.GetValue<string>());
        Assert.Equal("jane+vip@example.com", fields["email"]!.GetValue<string>());
        Assert.Equal("2024-05-06 07:08:09 +00:00".Length, fields["signupDate"]!.GetValue<string>().Length);
        Assert.EndsWith(" +00:00", fields["profileUpdatedAt"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_email_with_an_encoded_slash_is_found_through_the_path()
    {
        await using var h = await Harness.StartAsync();
        await h.PostAsync("/api/users/update", """{"email":"a/b@example.com"}""");

        var answer = await h.GetAsync("/api/users/a%2Fb%40example.com");

        Assert.Equal("a/b@example.com", answer.Json!["user"]!["email"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("/api/users/nobody@example.com")]
    [InlineData("/api/users/getByEmail?email=nobody@example.com")]
    [InlineData("/api/users/byUserId/nobody")]
    [InlineData("/api/users/byUserId?userId=nobody")]
    public async Task An_unknown_user_is_200_with_an_empty_object(string path)
    {
        await using var h = await Harness.StartAsync();

        var answer = await h.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal("{}", answer.Json!.ToJsonString());
    }

    [Fact]
    public async Task Email_lookups_ignore_case()
    {
        await using var h = await Harness.StartAsync();
        await h.PostAsync("/api/users/update", """{"email":"Jane@Example.com"}""");

        var answer = await h.GetAsync("/api/users/getByEmail?email=jane@example.com");

        Assert.NotNull(answer.Json!["user"]);
    }

    [Fact]
    public async Task Delete_by_email_removes_the_user()
    {
        await using var h = await Harness.StartAsync();
        await h.PostAsync("/api/users/update", """{"email":"a@example.com","userId":"u-a"}""");

        var answer = await h.DeleteAsync("/api/users/a%40example.com");

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal("Success", answer.Code);
        Assert.Equal(0, h.Emulator.UserCount);
        Assert.Equal("{}", (await h.GetAsync("/api/users/byUserId/u-a")).Json!.ToJsonString());
        Assert.Equal(1, h.Emulator.GetStats().UsersDeleted);
    }

    [Fact]
    public async Task Delete_by_userId_removes_the_user()
    {
        await using var h = await Harness.StartAsync();
        await h.PostAsync("/api/users/update", """{"userId":"u-a"}""");

        var answer = await h.DeleteAsync("/api/users/byUserId/u-a");

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.False(h.Emulator.TryGetUser("u-a", out _));
    }

    [Theory]
    [InlineData("/api/users/nobody%40example.com")]
    [InlineData("/api/users/byUserId/nobody")]
    public async Task Deleting_an_unknown_user_says_User_does_not_exist(string path)
    {
        await using var h = await Harness.StartAsync();

        var answer = await h.DeleteAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Contains("User does not exist", answer.Json!["msg"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_status_for_deleting_an_unknown_user_is_a_setting()
    {
        await using var h = await Harness.StartAsync(o => o.DeleteUnknownUserStatus = 404);

        var answer = await h.DeleteAsync("/api/users/byUserId/nobody");

        Assert.Equal(HttpStatusCode.NotFound, answer.Status);
    }

    [Fact]
    public async Task GetFields_lists_email_userId_and_inferred_types_with_nested_paths()
    {
        await using var h = await Harness.StartAsync();
        await h.PostAsync("/api/users/update", """
            {"email":"a@example.com","dataFields":{
              "firstName":"Jane","seats":12,"score":4.5,"isVip":true,"signupAt":"2024-01-02T03:04:05.678Z",
              "day":"2024-01-02","prefs":{"sms":true},"home_geo_location":{"lat":48.85,"lon":2.35},"tags":["a","b"]}}
            """);

        var answer = await h.GetAsync("/api/users/getFields");

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        var fields = answer.Json!["fields"]!;
        Assert.Equal("string", fields["email"]!.GetValue<string>());
        Assert.Equal("string", fields["userId"]!.GetValue<string>());
        Assert.Equal("string", fields["firstName"]!.GetValue<string>());
        Assert.Equal("long", fields["seats"]!.GetValue<string>());
        Assert.Equal("double", fields["score"]!.GetValue<string>());
        Assert.Equal("boolean", fields["isVip"]!.GetValue<string>());
        Assert.Equal("date", fields["signupAt"]!.GetValue<string>());
        Assert.Equal("date", fields["day"]!.GetValue<string>());
        Assert.Equal("object", fields["prefs"]!.GetValue<string>());
        Assert.Equal("boolean", fields["prefs.sms"]!.GetValue<string>());
        Assert.Equal("geo_location", fields["home_geo_location"]!.GetValue<string>());
        Assert.Equal("string", fields["tags"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_fresh_user_stays_invisible_while_the_read_lag_lasts()
    {
        var clock = new ManualTimeProvider();
        await using var h = await Harness.StartAsync(o =>
        {
            o.TimeProvider = clock;
            o.ReadAfterWriteDelay = TimeSpan.FromSeconds(60);
        });
        await h.PostAsync("/api/users/update", """{"email":"a@example.com"}""");

        var early = await h.GetAsync("/api/users/getByEmail?email=a@example.com");
        var earlyDelete = await h.DeleteAsync("/api/users/a@example.com");
        clock.Advance(TimeSpan.FromSeconds(61));
        var late = await h.GetAsync("/api/users/getByEmail?email=a@example.com");

        Assert.Equal("{}", early.Json!.ToJsonString());
        Assert.Contains("User does not exist", earlyDelete.Json!["msg"]!.GetValue<string>());
        Assert.NotNull(late.Json!["user"]);
    }
}

using System.Net;
using Sluice.Emulators.Iterable.Tests.Support;

namespace Sluice.Emulators.Iterable.Tests;

public sealed class ProjectTypeTests
{
    [Fact]
    public async Task Hybrid_projects_match_a_user_by_either_identifier()
    {
        await using var h = await Harness.StartAsync();
        await h.PostAsync("/api/users/update", """{"email":"a@example.com","userId":"u-a","dataFields":{"n":1}}""");

        await h.PostAsync("/api/users/update", """{"userId":"u-a","dataFields":{"m":2}}""");
        await h.PostAsync("/api/users/update", """{"email":"a@example.com","dataFields":{"k":3}}""");

        Assert.Equal(1, h.Emulator.UserCount);
        h.Emulator.TryGetUser("u-a", out var user);
        Assert.Equal(3, user!.DataFields.Count);
    }

    [Fact]
    public async Task Hybrid_projects_answer_409_when_email_and_userId_belong_to_different_users()
    {
        await using var h = await Harness.StartAsync();
        h.Emulator.SeedUsers([new IterableSeedUser("a@example.com", "u-a"), new IterableSeedUser("b@example.com", "u-b")]);

        var answer = await h.PostAsync("/api/users/update", """{"email":"a@example.com","userId":"u-b"}""");

        Assert.Equal(HttpStatusCode.Conflict, answer.Status);
    }

    [Fact]
    public async Task Identifiers_change_through_dataFields_and_clash_with_409()
    {
        await using var h = await Harness.StartAsync();
        h.Emulator.SeedUsers([new IterableSeedUser("a@example.com", "u-a"), new IterableSeedUser("b@example.com", "u-b")]);

        var changed = await h.PostAsync("/api/users/update", """{"userId":"u-a","dataFields":{"email":"new@example.com","userId":"u-new"}}""");
        var clash = await h.PostAsync("/api/users/update", """{"userId":"u-new","dataFields":{"email":"b@example.com"}}""");

        Assert.Equal(HttpStatusCode.OK, changed.Status);
        Assert.True(h.Emulator.TryGetUser("new@example.com", out var moved));
        Assert.Equal("u-new", moved.UserId);
        Assert.False(h.Emulator.TryGetUser("a@example.com", out _));
        Assert.Equal(HttpStatusCode.Conflict, clash.Status);
        Assert.Equal("EmailAlreadyExists", clash.Code);
    }

    [Fact]
    public async Task UserId_projects_need_a_userId_and_keep_email_as_a_plain_attribute()
    {
        await using var h = await Harness.StartAsync(o => o.ProjectType = IterableProjectType.UserId);

        var emailOnly = await h.PostAsync("/api/users/update", """{"email":"a@example.com"}""");
        await h.PostAsync("/api/users/update", """{"userId":"u-1","email":"same@example.com"}""");
        var second = await h.PostAsync("/api/users/update", """{"userId":"u-2","email":"same@example.com"}""");

        Assert.Equal(HttpStatusCode.BadRequest, emailOnly.Status);
        Assert.Equal(HttpStatusCode.OK, second.Status);
        Assert.Equal(2, h.Emulator.UserCount);
    }

    [Fact]
    public async Task UserId_projects_refuse_delete_by_email()
    {
        await using var h = await Harness.StartAsync(o => o.ProjectType = IterableProjectType.UserId);
        await h.PostAsync("/api/users/update", """{"userId":"u-1","email":"a@example.com"}""");

        var answer = await h.DeleteAsync("/api/users/a%40example.com");

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Equal(1, h.Emulator.UserCount);
    }

    [Fact]
    public async Task Email_projects_refuse_an_unknown_userId_unless_preferUserId_creates_a_placeholder()
    {
        await using var h = await Harness.StartAsync(o => o.ProjectType = IterableProjectType.Email);

        var refused = await h.PostAsync("/api/users/update", """{"userId":"u-1"}""");
        var created = await h.PostAsync("/api/users/update", """{"userId":"u-1","preferUserId":true}""");

        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.Equal("UnknownUserIdError", refused.Code);
        Assert.Equal(HttpStatusCode.OK, created.Status);
        Assert.True(h.Emulator.TryGetUser("u-1", out var user));
        Assert.EndsWith("@placeholder.email", user.Email);
    }

    [Fact]
    public async Task Email_projects_report_unknown_userIds_in_bulk_as_not_found()
    {
        await using var h = await Harness.StartAsync(o => o.ProjectType = IterableProjectType.Email);

        var answer = await h.PostAsync("/api/users/bulkUpdate", """{"users":[{"userId":"ghost"},{"email":"a@example.com","userId":"ghost"}]}""");

        Assert.Equal(["ghost"], answer.List("failedUpdates.notFoundUserIds"));
        Assert.Equal(1, answer.Json!["successCount"]!.GetValue<int>());
    }

    [Fact]
    public async Task Email_projects_allow_shared_userIds_and_delete_them_all()
    {
        await using var h = await Harness.StartAsync(o => o.ProjectType = IterableProjectType.Email);
        await h.PostAsync("/api/users/update", """{"email":"a@example.com","userId":"shared"}""");
        await h.PostAsync("/api/users/update", """{"email":"b@example.com","userId":"shared"}""");

        var answer = await h.DeleteAsync("/api/users/byUserId/shared");

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal(0, h.Emulator.UserCount);
        Assert.Equal(2, h.Emulator.GetStats().UsersDeleted);
    }
}

public sealed class ForgottenUserTests
{
    [Fact]
    public async Task A_forgotten_user_is_deleted_and_later_writes_fail_with_409_or_the_forgotten_lists()
    {
        await using var h = await Harness.StartAsync();
        h.Emulator.SeedUsers([new IterableSeedUser("gone@example.com", "u-gone")]);

        var forgotten = await h.PostAsync("/_emulator/forget", """["gone@example.com"]""");
        var single = await h.PostAsync("/api/users/update", """{"email":"gone@example.com","dataFields":{"a":1}}""");
        var bulk = await h.PostAsync("/api/users/bulkUpdate", """{"users":[{"userId":"u-gone"},{"email":"gone@example.com"},{"email":"fine@example.com"}]}""");

        Assert.Equal(1, forgotten.Json!["deleted"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.Conflict, single.Status);
        Assert.Equal("ForgottenUserError", single.Code);
        Assert.Equal(["u-gone"], bulk.List("failedUpdates.forgottenUserIds"));
        Assert.Equal(["gone@example.com"], bulk.List("failedUpdates.forgottenEmails"));
        Assert.Equal(1, bulk.Json!["successCount"]!.GetValue<int>());
        Assert.Equal(1, h.Emulator.UserCount);
    }
}

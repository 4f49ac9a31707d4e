using System.Net;
using System.Text.Json.Nodes;
using Sluice.Emulators.Iterable.Tests.Support;

namespace Sluice.Emulators.Iterable.Tests;

/// <summary>POST /api/users/updateEmail and its documented errors; reads that lag behind writes.</summary>
public sealed class UpdateEmailAndLagTests
{
    private static Task<Harness> EmailProjectAsync(Action<IterableEmulatorOptions>? more = null) =>
        Harness.StartAsync(o =>
        {
            o.ProjectType = IterableProjectType.Email;
            more?.Invoke(o);
        });

    [Fact]
    public async Task UpdateEmail_moves_the_user_and_its_data_to_the_new_address()
    {
        await using var h = await EmailProjectAsync();
        h.Emulator.SeedUsers([new IterableSeedUser("old@example.com", "u-1", new JsonObject { ["plan"] = "pro" })]);

        var answer = await h.PostAsync("/api/users/updateEmail", """{"currentEmail":"old@example.com","newEmail":"new@example.com"}""");
        var byOld = await h.GetAsync("/api/users/getByEmail?email=old@example.com");
        var byNew = await h.GetAsync("/api/users/getByEmail?email=new@example.com");

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal("Success", answer.Code);
        Assert.Equal("{}", byOld.Json!.ToJsonString());
        Assert.Equal("pro", byNew.Json!["user"]!["dataFields"]!["plan"]!.GetValue<string>());
        Assert.Equal("u-1", byNew.Json!["user"]!["userId"]!.GetValue<string>());
        Assert.Equal(1, h.Emulator.UserCount);
    }

    [Fact]
    public async Task UpdateEmail_by_current_user_id()
    {
        await using var h = await EmailProjectAsync();
        h.Emulator.SeedUsers([new IterableSeedUser("old@example.com", "u-1")]);

        var answer = await h.PostAsync("/api/users/updateEmail", """{"currentUserId":"u-1","newEmail":"new@example.com"}""");

        Assert.Equal("Success", answer.Code);
        Assert.True(h.Emulator.TryGetUser("new@example.com", out _));
    }

    [Fact]
    public async Task UpdateEmail_answers_the_documented_errors()
    {
        await using var h = await EmailProjectAsync();
        h.Emulator.SeedUsers([new IterableSeedUser("a@example.com"), new IterableSeedUser("b@example.com"), new IterableSeedUser("gone@example.com")]);
        h.Emulator.ForgetUser("gone@example.com");

        var unknown = await h.PostAsync("/api/users/updateEmail", """{"currentEmail":"nobody@example.com","newEmail":"c@example.com"}""");
        var taken = await h.PostAsync("/api/users/updateEmail", """{"currentEmail":"a@example.com","newEmail":"B@example.com"}""");
        var forgotten = await h.PostAsync("/api/users/updateEmail", """{"currentEmail":"a@example.com","newEmail":"gone@example.com"}""");
        var invalid = await h.PostAsync("/api/users/updateEmail", """{"currentEmail":"a@example.com","newEmail":"not an email"}""");
        var missing = await h.PostAsync("/api/users/updateEmail", """{"newEmail":"c@example.com"}""");

        Assert.Equal(HttpStatusCode.BadRequest, unknown.Status);
        Assert.Equal("BadParams", unknown.Code);
        Assert.Contains("User does not exist", unknown.Json!["msg"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Conflict, taken.Status);
        Assert.Equal("EmailAlreadyExists", taken.Code);
        Assert.Contains("New email already exists", taken.Json!["msg"]!.GetValue<string>());
        Assert.Equal("EmailAlreadyExists", forgotten.Code);
        Assert.Contains("forgotten list", forgotten.Json!["msg"]!.GetValue<string>());
        Assert.Equal("InvalidEmailAddressError", invalid.Code);
        Assert.Equal("BadParams", missing.Code);
        Assert.True(h.Emulator.TryGetUser("a@example.com", out _));
        Assert.Equal(2, h.Emulator.UserCount); // nothing was created or moved
    }

    [Fact]
    public async Task UpdateEmail_is_refused_outside_email_based_projects()
    {
        await using var h = await Harness.StartAsync(); // hybrid
        h.Emulator.SeedUsers([new IterableSeedUser("old@example.com")]);

        var answer = await h.PostAsync("/api/users/updateEmail", """{"currentEmail":"old@example.com","newEmail":"new@example.com"}""");
        var update = await h.PostAsync("/api/users/update", """{"email":"old@example.com","dataFields":{"email":"new@example.com"}}""");

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Equal("BadParams", answer.Code);
        Assert.Equal("Success", update.Code); // the hybrid way: current email on top, the new one in dataFields
        Assert.True(h.Emulator.TryGetUser("new@example.com", out _));
        Assert.False(h.Emulator.TryGetUser("old@example.com", out _));
    }

    [Fact]
    public async Task Within_the_lag_a_read_sees_the_values_from_before_the_last_write()
    {
        var clock = new ManualTimeProvider();
        await using var h = await Harness.StartAsync(o =>
        {
            o.TimeProvider = clock;
            o.ReadAfterWriteDelay = TimeSpan.FromSeconds(30);
        });
        h.Emulator.SeedUsers([new IterableSeedUser("a@example.com", null, new JsonObject { ["plan"] = "free" })]);

        await h.PostAsync("/api/users/update", """{"email":"a@example.com","dataFields":{"plan":"pro"}}""");
        clock.Advance(TimeSpan.FromSeconds(10));
        await h.PostAsync("/api/users/bulkUpdate", """{"users":[{"email":"a@example.com","dataFields":{"plan":"team"}}]}""");
        var early = await h.GetAsync("/api/users/getByEmail?email=a@example.com");
        clock.Advance(TimeSpan.FromSeconds(31));
        var late = await h.GetAsync("/api/users/getByEmail?email=a@example.com");

        Assert.Equal("free", early.Json!["user"]!["dataFields"]!["plan"]!.GetValue<string>());
        Assert.Equal("team", late.Json!["user"]!["dataFields"]!["plan"]!.GetValue<string>());
        Assert.True(h.Emulator.TryGetUser("a@example.com", out var stored));
        Assert.Equal("team", stored.DataFields["plan"]!.GetValue<string>()); // writes always see the latest state
    }

    [Fact]
    public async Task Within_the_lag_a_changed_email_is_found_under_the_old_address_only()
    {
        var clock = new ManualTimeProvider();
        await using var h = await EmailProjectAsync(o =>
        {
            o.TimeProvider = clock;
            o.ReadAfterWriteDelay = TimeSpan.FromSeconds(30);
        });
        h.Emulator.SeedUsers([new IterableSeedUser("old@example.com", null, new JsonObject { ["plan"] = "pro" })]);

        await h.PostAsync("/api/users/updateEmail", """{"currentEmail":"old@example.com","newEmail":"new@example.com"}""");
        var oldEarly = await h.GetAsync("/api/users/getByEmail?email=old@example.com");
        var newEarly = await h.GetAsync("/api/users/getByEmail?email=new@example.com");
        clock.Advance(TimeSpan.FromSeconds(31));
        var oldLate = await h.GetAsync("/api/users/getByEmail?email=old@example.com");
        var newLate = await h.GetAsync("/api/users/getByEmail?email=new@example.com");

        Assert.Equal("old@example.com", oldEarly.Json!["user"]!["email"]!.GetValue<string>());
        Assert.Equal("{}", newEarly.Json!.ToJsonString());
        Assert.Equal("{}", oldLate.Json!.ToJsonString());
        Assert.Equal("pro", newLate.Json!["user"]!["dataFields"]!["plan"]!.GetValue<string>());
    }
}

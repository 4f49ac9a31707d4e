using System.Net;

namespace Sluice.Emulators.Actito.Tests;

public sealed class ProfileTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Creating_a_profile_answers_201_with_its_id_and_a_location()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        using var response = await h.SendAsync(HttpMethod.Post, h.Profiles + "/profile",
            """{"attributes":[{"name":"emailAddress","value":"ann@example.com"},{"name":"firstName","value":"Ann"},{"name":"customerId","value":"C-1"}]}""");
        var body = await Harness.ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = (long)body!["profileId"]!;
        Assert.EndsWith($"/profile/{id}", response.Headers.Location!.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, h.Emulator.ProfileCount());
        Assert.Equal(1, h.Emulator.GetStats().ProfilesCreated);
    }

    [Fact]
    public async Task A_profile_is_read_back_by_id_with_technical_attributes()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        var id = await h.CreateAsync(("emailAddress", "ann@example.com"), ("birthDate", "1990-02-03"), ("gsmNumber", "+32470123456"));
        var (status, profile) = await h.CallAsync(HttpMethod.Get, $"{h.Profiles}/profile/{id}");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(id.ToString(System.Globalization.CultureInfo.InvariantCulture), Harness.Attribute(profile, "profileId"));
        Assert.Equal("2025-03-10 09:00:00", Harness.Attribute(profile, "creationMoment"));
        Assert.Equal("1990-02-03", Harness.Attribute(profile, "birthDate"));
        Assert.Equal("+32470123456", Harness.Attribute(profile, "gsmNumber"));
        Assert.NotNull(profile!["subscriptions"]);
        Assert.NotNull(profile["segmentations"]);
    }

    [Theory]
    [InlineData("emailAddress=ann@example.com")]
    [InlineData("emailAddress=ANN@example.com")]
    [InlineData("customerId=C-1")]
    [InlineData("emailAddress=ann%40example.com")]
    public async Task A_profile_is_read_by_a_unique_key_in_the_path(string key)
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        var id = await h.CreateAsync(("emailAddress", "ann@example.com"), ("customerId", "C-1"));
        var (status, profile) = await h.CallAsync(HttpMethod.Get, $"{h.Profiles}/profile/{key}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(id.ToString(System.Globalization.CultureInfo.InvariantCulture), Harness.Attribute(profile, "profileId"));
    }

    [Fact]
    public async Task Unknown_profiles_and_keys_are_404_and_a_non_unique_key_is_400()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await h.CallAsync(HttpMethod.Get, $"{h.Profiles}/profile/999")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await h.CallAsync(HttpMethod.Get, $"{h.Profiles}/profile/customerId=nobody")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await h.CallAsync(HttpMethod.Get, $"{h.Profiles}/profile/firstName=Ann")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await h.CallAsync(HttpMethod.Get, "v4/entity/sluice_demo/table/Nope/profile/1")).Status);
    }

    [Fact]
    public async Task Creating_again_with_an_existing_unique_value_is_refused_without_allow_update()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        await h.CreateAsync(("customerId", "C-1"));
        var (status, body) = await h.CallAsync(HttpMethod.Post, h.Profiles + "/profile", Harness.ProfileBody(("customerId", "C-1")));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(400, (int)body!["status"]!);
        Assert.Equal(1, h.Emulator.ProfileCount());
    }

    [Fact]
    public async Task The_duplicate_status_can_be_set_to_409()
    {
        await using var h = await (await Harness.StartAsync(o => o.DuplicateProfileStatusCode = 409)).AuthenticateAsync();
        await h.CreateAsync(("customerId", "C-1"));
        Assert.Equal(HttpStatusCode.Conflict, (await h.CallAsync(HttpMethod.Post, h.Profiles + "/profile", Harness.ProfileBody(("customerId", "C-1")))).Status);
    }

    [Fact]
    public async Task Allow_update_in_the_query_updates_the_profile_matched_by_a_unique_attribute()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        var id = await h.CreateAsync(("customerId", "C-1"), ("firstName", "Ann"), ("lastName", "Lee"));
        h.Clock.Advance(TimeSpan.FromMinutes(5));
        var (status, body) = await h.CallAsync(HttpMethod.Post, h.Profiles + "/profile?allowUpdate=true",
            Harness.ProfileBody(("customerId", "C-1"), ("firstName", "Anna")));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(id, (long)body!["profileId"]!);
        var (_, profile) = await h.CallAsync(HttpMethod.Get, $"{h.Profiles}/profile/{id}");
        Assert.Equal("Anna", Harness.Attribute(profile, "firstName"));
        Assert.Equal("Lee", Harness.Attribute(profile, "lastName"));
        Assert.Equal("2025-03-10 09:05:00", Harness.Attribute(profile, "updateMoment"));
        Assert.Equal(1, h.Emulator.GetStats().ProfilesUpdated);
    }

    [Fact]
    public async Task Allow_update_as_a_header_is_accepted_too_and_creates_when_nothing_matches()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        var id = await h.CreateAsync(("customerId", "C-1"));
        using var request = new HttpRequestMessage(HttpMethod.Post, h.Profiles + "/profile")
        {
            Content = new StringContent(Harness.ProfileBody(("customerId", "C-1"), ("firstName", "Bo")), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("allowUpdate", "true");
        using var response = await h.Http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(id, (long)(await Harness.ReadJsonAsync(response))!["profileId"]!);

        var (status, created) = await h.CallAsync(HttpMethod.Post, h.Profiles + "/profile?allowUpdate=true", Harness.ProfileBody(("customerId", "C-2")));
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.NotEqual(id, (long)created!["profileId"]!);
    }

    [Fact]
    public async Task Unique_attributes_pointing_to_two_different_profiles_are_a_conflict()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        await h.CreateAsync(("customerId", "C-1"), ("emailAddress", "a@example.com"));
        await h.CreateAsync(("customerId", "C-2"), ("emailAddress", "b@example.com"));
        var (status, body) = await h.CallAsync(HttpMethod.Post, h.Profiles + "/profile?allowUpdate=true",
            Harness.ProfileBody(("customerId", "C-1"), ("emailAddress", "b@example.com")));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("UNIQUE_CONFLICT", (string?)body!["errorCode"]);
    }

    [Fact]
    public async Task Search_by_attribute_returns_matching_profiles_up_to_number()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        await h.CreateAsync(("customerId", "C-1"), ("lastName", "Lee"));
        await h.CreateAsync(("customerId", "C-2"), ("lastName", "Lee"));
        await h.CreateAsync(("customerId", "C-3"), ("lastName", "Kim"));

        var (status, body) = await h.CallAsync(HttpMethod.Get, h.Profiles + "/profile?search=lastName=Lee&number=10");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(2, body!["profiles"]!.AsArray().Count);

        var (_, one) = await h.CallAsync(HttpMethod.Get, h.Profiles + "/profile?search=lastName=Lee&number=1");
        Assert.Single(one!["profiles"]!.AsArray());

        var (_, byKey) = await h.CallAsync(HttpMethod.Get, h.Profiles + "/profile?search=customerId%3DC-3&number=5");
        Assert.Equal("Kim", Harness.Attribute(byKey!["profiles"]![0], "lastName"));

        var (_, none) = await h.CallAsync(HttpMethod.Get, h.Profiles + "/profile?search=customerId=nobody&number=5");
        Assert.Empty(none!["profiles"]!.AsArray());
        Assert.Equal(HttpStatusCode.BadRequest, (await h.CallAsync(HttpMethod.Get, h.Profiles + "/profile?search=nope=1")).Status);
    }

    [Fact]
    public async Task Put_merges_the_sent_attributes_and_null_clears_one()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        var id = await h.CreateAsync(("customerId", "C-1"), ("firstName", "Ann"), ("lastName", "Lee"));
        var (status, body) = await h.CallAsync(HttpMethod.Put, $"{h.Profiles}/profile/{id}",
            """{"attributes":[{"name":"firstName","value":"Anna"},{"name":"lastName","value":null}]}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(id, (long)body!["profileId"]!);
        var profile = h.Emulator.GetProfiles().Single();
        Assert.Equal("Anna", profile["firstName"]);
        Assert.Equal("C-1", profile["customerId"]);
        Assert.False(profile.ContainsKey("lastName"));
    }

    [Fact]
    public async Task Put_to_a_missing_profile_is_404_and_to_another_profiles_key_is_refused()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        var first = await h.CreateAsync(("customerId", "C-1"));
        await h.CreateAsync(("customerId", "C-2"));
        Assert.Equal(HttpStatusCode.NotFound, (await h.CallAsync(HttpMethod.Put, $"{h.Profiles}/profile/999", Harness.ProfileBody(("firstName", "X")))).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await h.CallAsync(HttpMethod.Put, $"{h.Profiles}/profile/{first}", Harness.ProfileBody(("customerId", "C-2")))).Status);
    }

    [Fact]
    public async Task Delete_is_a_hard_delete_and_recreating_gives_a_new_id()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        var id = await h.CreateAsync(("customerId", "C-1"));
        using var deleted = await h.SendAsync(HttpMethod.Delete, $"{h.Profiles}/profile/{id}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await h.CallAsync(HttpMethod.Get, $"{h.Profiles}/profile/{id}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await h.CallAsync(HttpMethod.Delete, $"{h.Profiles}/profile/{id}")).Status);

        var again = await h.CreateAsync(("customerId", "C-1"));
        Assert.NotEqual(id, again);
        Assert.Equal(1, h.Emulator.GetStats().ProfilesDeleted);
    }

    [Fact]
    public async Task Profiles_can_be_addressed_by_key_for_update_and_delete()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        await h.CreateAsync(("customerId", "C-1"));
        Assert.Equal(HttpStatusCode.OK, (await h.CallAsync(HttpMethod.Put, $"{h.Profiles}/profile/customerId=C-1", Harness.ProfileBody(("firstName", "Z")))).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await h.CallAsync(HttpMethod.Delete, $"{h.Profiles}/profile/customerId=C-1")).Status);
        Assert.Equal(0, h.Emulator.ProfileCount());
    }

    [Theory]
    [InlineData("emailAddress", "not-an-email", "e-mail")]
    [InlineData("gsmNumber", "0470123456", "international")]
    [InlineData("birthDate", "03/02/1990", "yyyy-MM-dd")]
    [InlineData("birthDate", "1990-02-30", "yyyy-MM-dd")]
    [InlineData("motherLanguage", "french", "639-1")]
    [InlineData("unknownField", "x", "Unknown attribute")]
    [InlineData("profileId", "5", "system")]
    [InlineData("creationMoment", "2024-01-01 00:00:00", "system")]
    public async Task Invalid_values_are_refused_with_400_and_a_message(string name, string value, string reason)
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        var (status, body) = await h.CallAsync(HttpMethod.Post, h.Profiles + "/profile", Harness.ProfileBody((name, value)));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(reason, (string?)body!["message"], StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, h.Emulator.ProfileCount());
    }

    [Fact]
    public async Task A_string_over_255_characters_is_refused()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        var (status, _) = await h.CallAsync(HttpMethod.Post, h.Profiles + "/profile", Harness.ProfileBody(("firstName", new string('a', 256))));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(HttpStatusCode.Created, (await h.CallAsync(HttpMethod.Post, h.Profiles + "/profile", Harness.ProfileBody(("firstName", new string('a', 255))))).Status);
    }

    [Fact]
    public async Task Typed_custom_attributes_check_and_normalise_their_values()
    {
        await using var h = await (await Harness.StartAsync(o => o.Tables.Add(new ActitoTableDefinition
        {
            Name = "Members",
            Attributes =
            [
                new() { Name = "memberNo", ValueType = "INTEGER", Unique = true, Mandatory = true },
                new() { Name = "isVip", ValueType = "BOOLEAN" },
                new() { Name = "joined", ValueType = "DATE" },
                new() { Name = "lastSeen", ValueType = "TIMESTAMP" },
                new() { Name = "code", ValueType = "STRING", MaxLength = 3 },
            ],
        }))).AuthenticateAsync();
        const string path = "v4/entity/sluice_demo/table/Members/profile";

        var (ok, created) = await h.CallAsync(HttpMethod.Post, path,
            """{"attributes":[{"name":"memberNo","value":7},{"name":"isVip","value":true},{"name":"joined","value":"2024-05-01"},{"name":"lastSeen","value":"2024-05-01T10:00:00"},{"name":"code","value":"abc"}]}""");
        Assert.Equal(HttpStatusCode.Created, ok);
        var (_, profile) = await h.CallAsync(HttpMethod.Get, $"{path}/{(long)created!["profileId"]!}");
        Assert.Equal("true", Harness.Attribute(profile, "isVip"));
        Assert.Equal("2024-05-01 10:00:00", Harness.Attribute(profile, "lastSeen"));
        Assert.Equal("7", Harness.Attribute(profile, "memberNo"));

        Assert.Equal(HttpStatusCode.BadRequest, (await h.CallAsync(HttpMethod.Post, path, Harness.ProfileBody(("isVip", "true")))).Status); // mandatory memberNo
        Assert.Equal(HttpStatusCode.BadRequest, (await h.CallAsync(HttpMethod.Post, path, Harness.ProfileBody(("memberNo", "x")))).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await h.CallAsync(HttpMethod.Post, path, Harness.ProfileBody(("memberNo", "8"), ("isVip", "maybe")))).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await h.CallAsync(HttpMethod.Post, path, Harness.ProfileBody(("memberNo", "8"), ("joined", "01/05/2024")))).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await h.CallAsync(HttpMethod.Post, path, Harness.ProfileBody(("memberNo", "8"), ("lastSeen", "2024-05-01")))).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await h.CallAsync(HttpMethod.Post, path, Harness.ProfileBody(("memberNo", "8"), ("code", "abcd")))).Status);
    }

    [Fact]
    public async Task Subscriptions_and_segments_are_kept_and_have_their_own_routes()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        var (_, created) = await h.CallAsync(HttpMethod.Post, h.Profiles + "/profile",
            """{"attributes":[{"name":"customerId","value":"C-1"}],"subscriptions":[{"name":"Newsletter","subscribe":true}],"segmentations":[{"belongs":true,"segmentation":{"category":"Interests","name":"Sport"}}],"dataCollectionInformation":{"date":"2024-01-01","source":"web","way":"form"}}""");
        var id = (long)created!["profileId"]!;
        var (_, profile) = await h.CallAsync(HttpMethod.Get, $"{h.Profiles}/profile/{id}");
        Assert.True((bool)profile!["subscriptions"]![0]!["subscribe"]!);
        Assert.Equal("Sport", (string?)profile["segmentations"]![0]!["segmentation"]!["name"]);

        Assert.Equal(HttpStatusCode.NoContent, (await h.CallAsync(HttpMethod.Delete, $"{h.Profiles}/profile/{id}/subscription/Newsletter")).Status);
        var (_, subs) = await h.CallAsync(HttpMethod.Get, $"{h.Profiles}/profile/{id}/subscription");
        Assert.False((bool)subs!["subscriptions"]![0]!["subscribe"]!);
        Assert.Equal(HttpStatusCode.NotFound, (await h.CallAsync(HttpMethod.Post, $"{h.Profiles}/profile/{id}/subscription/Nope")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await h.CallAsync(HttpMethod.Post, h.Profiles + "/profile",
            """{"attributes":[],"subscriptions":[{"name":"Nope","subscribe":true}]}""")).Status);
    }

    [Theory]
    [InlineData("profile-data/")]
    [InlineData("profiles/")]
    [InlineData("")]
    public async Task Profile_routes_work_with_and_without_a_per_api_prefix(string prefix)
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        var (status, created) = await h.CallAsync(HttpMethod.Post, prefix + h.Profiles + "/profile", Harness.ProfileBody(("customerId", "C-1")));
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(HttpStatusCode.OK, (await h.CallAsync(HttpMethod.Get, $"{prefix}{h.Profiles}/profile/{(long)created!["profileId"]!}")).Status);
    }

    [Fact]
    public async Task Wrong_methods_get_405_malformed_json_400_and_a_non_json_accept_406()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await h.CallAsync(HttpMethod.Patch, h.Profiles + "/profile")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await h.CallAsync(HttpMethod.Post, h.Profiles + "/profile", "{not json")).Status);

        using var request = new HttpRequestMessage(HttpMethod.Get, "v5/entities");
        request.Headers.Accept.ParseAdd("text/xml");
        using var response = await h.Http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.NotAcceptable, response.StatusCode);
    }

    [Fact]
    public async Task Concurrent_creates_with_the_same_key_make_exactly_one_profile()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        var tasks = Enumerable.Range(0, 20).Select(i => h.CallAsync(HttpMethod.Post, h.Profiles + "/profile?allowUpdate=true",
            Harness.ProfileBody(("customerId", "C-1"), ("firstName", $"N{i}"))));
        var results = await Task.WhenAll(tasks);
        Assert.All(results, r => Assert.True(r.Status is HttpStatusCode.OK or HttpStatusCode.Created));
        Assert.Equal(1, h.Emulator.ProfileCount());
        Assert.Single(results, r => r.Status == HttpStatusCode.Created);
    }
}

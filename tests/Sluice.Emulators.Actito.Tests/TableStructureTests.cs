using System.Net;
using System.Text.Json.Nodes;

namespace Sluice.Emulators.Actito.Tests;

public sealed class TableStructureTests
{
    private const string Tables = "v5/entities/sluice_demo/profile-tables";

    [Fact]
    public async Task Entities_are_listed_with_id_name_and_comment()
    {
        await using var h = await (await Harness.StartAsync(o => o.Entities = ["alpha", "beta"])).AuthenticateAsync();
        var (status, body) = await h.CallAsync(HttpMethod.Get, "entities/v5/entities");

        Assert.Equal(HttpStatusCode.OK, status);
        var entities = body!["entities"]!.AsArray();
        Assert.Equal(["alpha", "beta"], entities.Select(e => (string)e!["name"]!));
        Assert.Equal(1, (int)entities[0]!["id"]!);
        Assert.True(entities[0]!.AsObject().ContainsKey("comment"));
    }

    [Theory]
    [InlineData(Tables)]
    [InlineData("profile-table-structure/" + Tables)]
    public async Task The_default_profiles_table_is_listed_with_its_full_definition_in_both_url_styles(string path)
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        var (status, body) = await h.CallAsync(HttpMethod.Get, path);

        Assert.Equal(HttpStatusCode.OK, status);
        var table = body!["profileTables"]!.AsArray().Single()!;
        Assert.Equal("Profiles", (string?)table["name"]);
        var attributes = table["attributes"]!.AsArray();
        Assert.Equal(
            ["profileId", "creationMoment", "updateMoment", "emailAddress", "firstName", "lastName", "customerId", "birthDate", "motherLanguage", "gsmNumber"],
            attributes.Select(a => (string)a!["name"]!));
        var customerId = attributes.Single(a => (string?)a!["name"] == "customerId")!;
        Assert.Equal("CUSTOM", (string?)customerId["type"]);
        Assert.Equal("STRING", (string?)customerId["valueType"]);
        Assert.True((bool)customerId["unique"]!);
        Assert.Equal(255, (int)customerId["valueRestriction"]!["maxLength"]!);
        Assert.Equal("EMAIL_ADDRESS", (string?)attributes.Single(a => (string?)a!["name"] == "emailAddress")!["type"]);
    }

    [Fact]
    public async Task The_list_can_return_names_only_or_a_bare_array()
    {
        await using var h = await (await Harness.StartAsync(o => o.WrapProfileTableList = false)).AuthenticateAsync();
        var (_, body) = await h.CallAsync(HttpMethod.Get, Tables + "?fields=name");
        var item = body!.AsArray().Single()!.AsObject();
        Assert.Equal("Profiles", (string?)item["name"]);
        Assert.False(item.ContainsKey("attributes"));
    }

    [Fact]
    public async Task One_table_is_found_by_name_and_by_id_and_an_unknown_one_is_404()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        var (status, byName) = await h.CallAsync(HttpMethod.Get, Tables + "/Profiles");
        Assert.Equal(HttpStatusCode.OK, status);
        var id = (string)byName!["id"]!;

        var (_, byId) = await h.CallAsync(HttpMethod.Get, $"{Tables}/{id}");
        Assert.Equal("Profiles", (string?)byId!["name"]);

        Assert.Equal(HttpStatusCode.NotFound, (await h.CallAsync(HttpMethod.Get, Tables + "/Nope")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await h.CallAsync(HttpMethod.Get, "v5/entities/unknown/profile-tables")).Status);
    }

    [Fact]
    public async Task The_v4_routes_list_table_names_and_read_one_definition()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        var (_, names) = await h.CallAsync(HttpMethod.Get, "v4/entity/sluice_demo/table");
        Assert.Equal("Profiles", (string?)names!["tables"]![0]!["name"]);
        var (status, table) = await h.CallAsync(HttpMethod.Get, "v4/entity/sluice_demo/table/Profiles");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Profiles", (string?)table!["name"]);
    }

    [Fact]
    public async Task Posting_one_attribute_adds_a_column_that_profiles_can_use()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        var (status, created) = await h.CallAsync(HttpMethod.Post, Tables + "/Profiles/attributes",
            """{"type":"CUSTOM","name":"loyaltyPoints","unique":false,"mandatory":false,"valueType":"INTEGER","multiValued":false}""");

        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal("INTEGER", (string?)created!["valueType"]);
        var (_, table) = await h.CallAsync(HttpMethod.Get, Tables + "/Profiles");
        Assert.Contains(table!["attributes"]!.AsArray(), a => (string?)a!["name"] == "loyaltyPoints");
        Assert.Contains("loyaltyPoints", h.Emulator.GetAttributeNames());

        var id = await h.CreateAsync(("customerId", "C-1"), ("loyaltyPoints", "42"));
        var (_, profile) = await h.CallAsync(HttpMethod.Get, $"{h.Profiles}/profile/{id}");
        Assert.Equal("42", Harness.Attribute(profile, "loyaltyPoints"));
        Assert.Equal(1, h.Emulator.GetStats().AttributesCreated);
    }

    [Theory]
    [InlineData("""{"type":"CUSTOM","name":"abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijX","valueType":"STRING"}""", "longer than 50")]
    [InlineData("""{"type":"CUSTOM","name":"creationMoment","valueType":"TIMESTAMP"}""", "technical")]
    [InlineData("""{"type":"CUSTOM","name":"emailAddress","valueType":"STRING"}""", "already exists")]
    [InlineData("""{"type":"CUSTOM","name":"x","valueType":"BLOB"}""", "valueType")]
    [InlineData("""{"type":"CUSTOM","name":"x","valueType":"DECIMAL"}""", "valueType")]
    [InlineData("""{"type":"WEIRD","name":"x"}""", "type")]
    [InlineData("""{"type":"CUSTOM","name":"1abc","valueType":"STRING"}""", "start with a letter")]
    [InlineData("""{"type":"CUSTOM"}""", "name")]
    public async Task An_invalid_attribute_definition_is_refused_with_400(string json, string reason)
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        var (status, body) = await h.CallAsync(HttpMethod.Post, Tables + "/Profiles/attributes", json);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(reason, (string?)body!["message"], StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_mandatory_attribute_cannot_be_added_to_a_table_that_holds_profiles()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        await h.CreateAsync(("customerId", "C-1"));
        var (status, _) = await h.CallAsync(HttpMethod.Post, Tables + "/Profiles/attributes",
            """{"type":"CUSTOM","name":"tier","mandatory":true,"valueType":"STRING"}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
    }

    [Fact]
    public async Task Putting_the_full_definition_adds_new_attributes_and_keeps_the_rest()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        var (_, table) = await h.CallAsync(HttpMethod.Get, Tables + "/Profiles");
        table!["attributes"]!.AsArray().Add(JsonNode.Parse("""{"type":"CUSTOM","name":"isVip","valueType":"BOOLEAN"}"""));
        table["attributes"]!.AsArray().Add(JsonNode.Parse("""{"type":"CUSTOM","name":"signupDate","valueType":"DATE"}"""));

        var (status, updated) = await h.CallAsync(HttpMethod.Put, Tables + "/Profiles", table.ToJsonString());

        Assert.Equal(HttpStatusCode.OK, status);
        var names = updated!["attributes"]!.AsArray().Select(a => (string)a!["name"]!).ToList();
        Assert.Contains("isVip", names);
        Assert.Contains("signupDate", names);
        Assert.Contains("gsmNumber", names);
        Assert.Equal(2, h.Emulator.GetStats().AttributesCreated);
    }

    [Fact]
    public async Task The_type_of_an_existing_attribute_cannot_change()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        var (status, body) = await h.CallAsync(HttpMethod.Put, Tables + "/Profiles",
            """{"name":"Profiles","attributes":[{"type":"CUSTOM","name":"customerId","valueType":"INTEGER","unique":true}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("cannot be changed", (string?)body!["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_attribute_becomes_unique_only_when_its_values_already_are()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        await h.CreateAsync(("customerId", "C-1"), ("firstName", "Ann"));
        await h.CreateAsync(("customerId", "C-2"), ("firstName", "Ann"));
        var (status, _) = await h.CallAsync(HttpMethod.Put, Tables + "/Profiles",
            """{"attributes":[{"type":"FIRSTNAME","name":"firstName","unique":true}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);

        var (lastStatus, _) = await h.CallAsync(HttpMethod.Put, Tables + "/Profiles",
            """{"attributes":[{"type":"LASTNAME","name":"lastName","unique":true}]}""");
        Assert.Equal(HttpStatusCode.OK, lastStatus);
    }

    [Fact]
    public async Task A_new_table_can_be_created_but_not_with_technical_fields()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        var (status, created) = await h.CallAsync(HttpMethod.Post, Tables,
            """{"name":"Members","attributes":[{"type":"EMAIL_ADDRESS","name":"emailAddress","unique":true,"mandatory":true}],"subscriptions":[{"name":"News"}]}""");
        Assert.Equal(HttpStatusCode.Created, status);
        var (_, table) = await h.CallAsync(HttpMethod.Get, $"{Tables}/{(string)created!["id"]!}");
        Assert.Equal("Members", (string?)table!["name"]);

        var (badStatus, _) = await h.CallAsync(HttpMethod.Post, Tables,
            """{"name":"Other","attributes":[{"type":"CUSTOM","name":"creationMoment","valueType":"TIMESTAMP"}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, badStatus);
        var (dupStatus, _) = await h.CallAsync(HttpMethod.Post, Tables, """{"name":"Members"}""");
        Assert.Equal(HttpStatusCode.BadRequest, dupStatus);
    }

    [Fact]
    public async Task Extra_tables_from_the_options_are_served()
    {
        await using var h = await (await Harness.StartAsync(o => o.Tables.Add(new ActitoTableDefinition
        {
            Name = "Members",
            Attributes = [new() { Name = "memberNo", ValueType = "INTEGER", Unique = true, Mandatory = true }],
        }))).AuthenticateAsync();
        var (_, body) = await h.CallAsync(HttpMethod.Get, Tables);
        Assert.Equal(["Profiles", "Members"], body!["profileTables"]!.AsArray().Select(t => (string)t!["name"]!));
    }
    [Fact]
    public async Task Leaving_flags_out_of_a_put_never_drops_a_unique_key()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        await h.CreateAsync(("customerId", "C-1"));
        var (status, table) = await h.CallAsync(HttpMethod.Put, Tables + "/Profiles",
            """{"attributes":[{"type":"CUSTOM","name":"customerId","valueType":"STRING"}]}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True((bool)table!["attributes"]!.AsArray().Single(a => (string?)a!["name"] == "customerId")!["unique"]!);
        Assert.Equal(HttpStatusCode.BadRequest, (await h.CallAsync(HttpMethod.Post, $"v4/entity/sluice_demo/table/Profiles/profile", Harness.ProfileBody(("customerId", "C-1")))).Status);

        var (mandatory, _) = await h.CallAsync(HttpMethod.Put, Tables + "/Profiles",
            """{"attributes":[{"type":"FIRSTNAME","name":"firstName","mandatory":true}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, mandatory);
    }
}

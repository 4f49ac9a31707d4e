using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Sluice.Emulators.Actito.Tests;

/// <summary>
/// No official client can run here, so these replay, as literal HTTP, the request shapes of the open-source
/// clients named in the facts file: produpress/laravel-actito (API-key token, get by key, v5 table read),
/// actito/data-model-sdk (profile CRUD bodies and answers) and the "vetoquinol" PHP integration (multipart import).
/// </summary>
public sealed class ClientReplayTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Laravel_wrapper_gets_a_token_with_the_raw_key_then_reads_a_profile_by_field()
    {
        await using var h = await Harness.StartAsync(o => o.Entities = ["MyEntity"]);
        h.Emulator.SeedProfile(new Dictionary<string, string?> { ["emailAddress"] = "jane@example.com", ["firstName"] = "Jane" }, entity: "MyEntity");

        // GET auth/token, Authorization: <key>, Accept: application/json -> accessToken
        using var tokenRequest = new HttpRequestMessage(HttpMethod.Get, "auth/token");
        tokenRequest.Headers.TryAddWithoutValidation("Authorization", Harness.ApiKey);
        tokenRequest.Headers.TryAddWithoutValidation("Accept", "application/json");
        using var tokenResponse = await h.Http.SendAsync(tokenRequest, Ct);
        var token = (string)(await Harness.ReadJsonAsync(tokenResponse))!["accessToken"]!;

        // GET v4/entity/{entity}/table/{table}/profile/{field}={value}
        using var get = new HttpRequestMessage(HttpMethod.Get, "v4/entity/MyEntity/table/Profiles/profile/emailAddress=jane@example.com");
        get.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        get.Headers.TryAddWithoutValidation("Accept", "application/json");
        using var profile = await h.Http.SendAsync(get, Ct);
        Assert.Equal(HttpStatusCode.OK, profile.StatusCode);
        Assert.Equal("Jane", Harness.Attribute(await Harness.ReadJsonAsync(profile), "firstName"));

        // GET v5/entities/{entity}/profile-tables/{table}
        using var table = new HttpRequestMessage(HttpMethod.Get, "v5/entities/MyEntity/profile-tables/Profiles");
        table.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        using var tableResponse = await h.Http.SendAsync(table, Ct);
        Assert.Equal(HttpStatusCode.OK, tableResponse.StatusCode);
    }

    [Fact]
    public async Task Data_model_sdk_profile_crud_shapes_round_trip()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        const string body = """
            {
              "attributes": [
                { "name": "emailAddress", "value": "john@example.com" },
                { "name": "firstName", "value": "John" },
                { "name": "customerId", "value": "42" }
              ],
              "subscriptions": [ { "name": "Newsletter", "subscribe": true } ],
              "segmentations": [ { "category": "Interests", "name": "Sport" } ],
              "dataCollectionInformation": { "date": "2024-01-01", "source": "website", "way": "signup form" }
            }
            """;
        var (created, createdBody) = await h.CallAsync(HttpMethod.Post, h.Profiles + "/profile", body);
        Assert.Equal(HttpStatusCode.Created, created);
        var id = (long)createdBody!["profileId"]!;

        var (_, search) = await h.CallAsync(HttpMethod.Get, h.Profiles + "/profile?search=emailAddress=john@example.com&number=1");
        Assert.Equal("John", Harness.Attribute(search!["profiles"]![0], "firstName"));

        var (updated, updatedBody) = await h.CallAsync(HttpMethod.Put, $"{h.Profiles}/profile/{id}",
            """{"attributes":[{"name":"firstName","value":"Johnny"}]}""");
        Assert.Equal(HttpStatusCode.OK, updated);
        Assert.Equal(id, (long)updatedBody!["profileId"]!);

        using var deleted = await h.SendAsync(HttpMethod.Delete, $"{h.Profiles}/profile/{id}");
        Assert.True(deleted.IsSuccessStatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await h.CallAsync(HttpMethod.Get, $"{h.Profiles}/profile/{id}")).Status);
    }

    [Fact]
    public async Task Vetoquinol_style_upsert_with_the_allow_update_header_works_and_its_v4_import_is_gone()
    {
        await using var h = await Harness.StartAsync(o =>
        {
            o.Entities = ["vetoquinol"];
            o.RejectByteOrderMark = false; // that integration writes a UTF-8 BOM, which the v4 import accepted
            o.Tables = [new ActitoTableDefinition
            {
                Name = "test",
                Attributes =
                [
                    new() { Name = "lastName", Type = "LASTNAME" },
                    new() { Name = "firstName", Type = "FIRSTNAME" },
                    new() { Name = "emailAddress", Type = "EMAIL_ADDRESS", Unique = true },
                    new() { Name = "motherLanguage", Type = "MOTHER_LANGUAGE" },
                    new() { Name = "addressCountry", Type = "ADDRESS_COUNTRY" },
                    new() { Name = "uploadedPaperCard", ValueType = "BOOLEAN" },
                    new() { Name = "referralCode", ValueType = "STRING" },
                ],
            }];
        });
        var token = await h.TokenAsync();

        // POST .../profile with headers allowUpdate: true, Content-Type and Accept json
        using var upsert = new HttpRequestMessage(HttpMethod.Post, "v4/entity/vetoquinol/table/test/profile")
        {
            Content = new StringContent("""{"attributes":[{"name":"emailAddress","value":"pet@example.com"},{"name":"firstName","value":"Rex"}]}""", Encoding.UTF8, "application/json"),
        };
        upsert.Headers.TryAddWithoutValidation("allowUpdate", "true");
        upsert.Headers.TryAddWithoutValidation("Accept", "application/json");
        upsert.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        using (var response = await h.Http.SendAsync(upsert, Ct))
            Assert.True(response.IsSuccessStatusCode);

        // multipart: inputFile = users.zip (application/zip) holding users.csv with a BOM, ';'-separated;
        // parameters = parametersUsers.json (application/json)
        var csv = "lastName;firstName;emailAddress;motherLanguage;addressCountry;uploadedPaperCard;referralCode\n" +
                  "Doe;Jane;pet@example.com;FR;BE;1;ABC\n" +
                  "Roe;Rick;rick@example.com;NL;NL;0;\n";
        using var form = new MultipartFormDataContent();
        var zip = new ByteArrayContent(Harness.Zip(csv, "users.csv", bom: true));
        zip.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        form.Add(zip, "inputFile", "users.zip");
        var parameters = new ByteArrayContent(Encoding.UTF8.GetBytes(
            """{"format":"SEMI_COLON_SEPARATED_VALUES","charset":"UTF-8","mode":"CREATE_UPDATE","headerKeyColumn":"emailAddress"}"""));
        parameters.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        form.Add(parameters, "parameters", "parametersUsers.json");
        // That integration's v4 import was removed at the end of June 2025: it now gets 404 and imports nothing.
        using var import = new HttpRequestMessage(HttpMethod.Post, "v4/entity/vetoquinol/table/test/import") { Content = form };
        import.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        using var importResponse = await h.Http.SendAsync(import, Ct);
        Assert.Equal(HttpStatusCode.NotFound, importResponse.StatusCode);
        Assert.Equal("V4_IMPORT_REMOVED", (string?)(await Harness.ReadJsonAsync(importResponse))!["errorCode"]);

        var rex = h.Emulator.GetProfiles("test", "vetoquinol").Single(p => p["emailAddress"] == "pet@example.com");
        Assert.Equal("Rex", rex["firstName"]);
        Assert.Equal(1, h.Emulator.ProfileCount("test", "vetoquinol"));
    }
}

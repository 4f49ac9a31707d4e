using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Sluice.Emulators.Salesforce.Tests.Support;

namespace Sluice.Emulators.Salesforce.Tests;

/// <summary>Rules of the real service the emulator once missed (issue 10): duplicates, line endings, JSON shapes, Basic auth, SOQL.</summary>
public sealed class RealServiceRulesTests
{
    private const string Jobs = Org.V + "/jobs/ingest";

    private static string Q(string soql) => $"{Org.V}/query?q={Uri.EscapeDataString(soql)}";

    private static async Task<(string Id, JsonNode Info)> RunJobAsync(Org org, string jobJson, string csv)
    {
        var created = await org.PostAsync(Jobs, jobJson);
        Assert.Equal(200, created.Status);
        var id = (string)created.Json["id"]!;
        Assert.Equal(201, (await org.SendAsync(HttpMethod.Put, $"{Jobs}/{id}/batches", csv, "text/csv")).Status);
        Assert.Equal(200, (await org.PatchAsync($"{Jobs}/{id}", """{"state":"UploadComplete"}""")).Status);
        for (var i = 0; i < 10; i++)
        {
            var info = (await org.GetAsync($"{Jobs}/{id}")).Json;
            if ((string?)info["state"] is "JobComplete" or "Failed" or "Aborted")
                return (id, info);
        }
        throw new InvalidOperationException("job never finished");
    }

    [Fact]
    public async Task Collections_upsert_rejects_every_record_sharing_an_external_id_case_insensitively()
    {
        await using var org = await Org.StartAsync();
        var reply = await org.PatchAsync($"{Org.V}/composite/sobjects/Contact/External_Id__c", """
            {"allOrNone":false,"records":[
              {"attributes":{"type":"Contact"},"External_Id__c":"k-1","LastName":"A"},
              {"attributes":{"type":"Contact"},"External_Id__c":"k-2","LastName":"B"},
              {"attributes":{"type":"Contact"},"External_Id__c":"K-1","LastName":"C"}]}
            """);
        Assert.Equal(200, reply.Status);
        var results = reply.Json.AsArray();
        Assert.False((bool)results[0]!["success"]!);
        Assert.Equal("DUPLICATE_EXTERNAL_ID", (string?)results[0]!["errors"]![0]!["statusCode"]);
        Assert.Contains("Duplicate external id specified", (string?)results[0]!["errors"]![0]!["message"]);
        Assert.True((bool)results[1]!["success"]!);
        Assert.False((bool)results[2]!["success"]!);
        Assert.Single(org.Emulator.GetRecords("Contact"));
    }

    [Fact]
    public async Task Bulk_upsert_rejects_every_row_sharing_an_external_id()
    {
        await using var org = await Org.StartAsync();
        var (id, info) = await RunJobAsync(org,
            """{"object":"Contact","operation":"upsert","externalIdFieldName":"External_Id__c","contentType":"CSV","lineEnding":"LF"}""",
            "External_Id__c,LastName\nk-1,A\nk-2,B\nK-1,C\n");
        Assert.Equal("JobComplete", (string?)info["state"]);
        Assert.Equal(2, (int)info["numberRecordsFailed"]!);
        var failed = (await org.GetAsync($"{Jobs}/{id}/failedResults/")).Text;
        Assert.Equal(2, failed.Split("DUPLICATE_EXTERNAL_ID:Duplicate external id specified").Length - 1);
        Assert.Single(org.Emulator.GetRecords("Contact"));
    }

    [Theory]
    [InlineData("LF", "LastName,Description\r\nA,x\r\n")]
    [InlineData("CRLF", "LastName,Description\nA,x\n")]
    public async Task A_job_whose_rows_do_not_end_as_its_line_ending_says_fails_whole(string lineEnding, string csv)
    {
        await using var org = await Org.StartAsync();
        var (id, info) = await RunJobAsync(org, $$"""{"object":"Contact","operation":"insert","contentType":"CSV","lineEnding":"{{lineEnding}}"}""", csv);
        Assert.Equal("Failed", (string?)info["state"]);
        Assert.Equal($"ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is {lineEnding}", (string?)info["errorMessage"]);
        Assert.Empty(org.Emulator.GetRecords("Contact"));
        Assert.Contains("A,x", (await org.GetAsync($"{Jobs}/{id}/unprocessedrecords/")).Text);
    }

    [Fact]
    public async Task Line_breaks_inside_quoted_cells_are_data_under_either_line_ending()
    {
        await using var org = await Org.StartAsync();
        var (_, info) = await RunJobAsync(org, """{"object":"Contact","operation":"insert","contentType":"CSV","lineEnding":"LF"}""",
            "LastName,Description\nA,\"one\r\ntwo\rthree\"\n");
        Assert.Equal("JobComplete", (string?)info["state"]);
        Assert.Equal("one\r\ntwo\rthree", org.Emulator.GetRecords("Contact")[0]["Description"]);
        (_, info) = await RunJobAsync(org, """{"object":"Contact","operation":"insert","contentType":"CSV","lineEnding":"CRLF"}""",
            "LastName,Description\r\nB,\"a\nb\"\r\n");
        Assert.Equal("JobComplete", (string?)info["state"]);
    }

    [Theory]
    [InlineData("\"checkbox_field__c\":\"maybe\"")]
    [InlineData("\"Birthdate\":\"31/01/2000\"")]
    [InlineData("\"Description\":[1,2]")]
    [InlineData("\"checkbox_field__c\":1")]
    public async Task A_value_of_the_wrong_json_shape_fails_the_whole_collections_request(string bad)
    {
        await using var org = await Org.StartAsync();
        var reply = await org.PostAsync($"{Org.V}/composite/sobjects", $$"""
            {"allOrNone":false,"records":[
              {"attributes":{"type":"Contact"},"LastName":"Good"},
              {"attributes":{"type":"Contact"},"LastName":"Bad",{{bad}}}]}
            """);
        Assert.Equal(400, reply.Status);
        Assert.Equal("JSON_PARSER_ERROR", (string?)reply.Error["errorCode"]);
        Assert.StartsWith("Cannot deserialize instance of", (string?)reply.Error["message"]);
        Assert.Empty(org.Emulator.GetRecords("Contact"));
    }

    [Fact]
    public async Task An_integer_outside_32_bits_for_an_int_field_fails_the_whole_request()
    {
        await using var org = await Org.StartAsync();
        var reply = await org.PostAsync($"{Org.V}/composite/sobjects", """
            {"records":[{"attributes":{"type":"Account"},"Name":"A","NumberOfEmployees":12},
                        {"attributes":{"type":"Account"},"Name":"B","NumberOfEmployees":3000000000}]}
            """);
        Assert.Equal(400, reply.Status);
        Assert.Equal("JSON_PARSER_ERROR", (string?)reply.Error["errorCode"]);
        Assert.Empty(org.Emulator.GetRecords("Account"));
    }

    [Fact]
    public async Task Client_credentials_sent_as_http_basic_are_accepted_and_checked()
    {
        await using var org = await Org.StartAsync(login: false);
        async Task<(int Status, JsonNode Body)> TokenAsync(string id, string secret)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/services/oauth2/token")
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(id)}:{Uri.EscapeDataString(secret)}")));
            using var response = await org.Http.SendAsync(request, TestContext.Current.CancellationToken);
            return ((int)response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!);
        }
        var ok = await TokenAsync(Org.ClientId, Org.ClientSecret);
        Assert.Equal(200, ok.Status);
        Assert.False(string.IsNullOrEmpty((string?)ok.Body["access_token"]));
        var wrong = await TokenAsync(Org.ClientId, "not-the-secret");
        Assert.Equal(400, wrong.Status);
        Assert.Equal("invalid_client", (string?)wrong.Body["error"]);
    }

    [Fact]
    public async Task Soql_order_by_like_count_and_boolean_logic()
    {
        await using var org = await Org.StartAsync();
        await org.CreateAsync("Contact", """{"LastName":"Adams","FirstName":"Zed","Email":"z@x.io"}""");
        await org.CreateAsync("Contact", """{"LastName":"Baker","FirstName":"Amy"}""");
        await org.CreateAsync("Contact", """{"LastName":"Abbot","FirstName":"Bo","Email":"b@x.io"}""");

        var reply = await org.GetAsync(Q("SELECT Id, LastName FROM Contact WHERE LastName LIKE 'a%' ORDER BY LastName DESC"));
        Assert.Equal(200, reply.Status);
        Assert.Equal(["Adams", "Abbot"], reply.Json["records"]!.AsArray().Select(r => (string)r!["LastName"]!));

        reply = await org.GetAsync(Q("SELECT COUNT() FROM Contact WHERE Email != null AND (FirstName = 'Zed' OR FirstName = 'Bo')"));
        Assert.Equal(2, (int)reply.Json["totalSize"]!);
        Assert.Empty(reply.Json["records"]!.AsArray());

        reply = await org.GetAsync(Q("select LastName from Contact where not LastName like '%er' order by FirstName asc nulls last limit 2"));
        Assert.Equal(["Abbot", "Adams"], reply.Json["records"]!.AsArray().Select(r => (string)r!["LastName"]!));

        reply = await org.GetAsync(Q("SELECT LastName FROM Contact WHERE LastName NOT IN ('Adams') OR Email = 'z@x.io' ORDER BY LastName LIMIT 5 OFFSET 1"));
        Assert.Equal(["Adams", "Baker"], reply.Json["records"]!.AsArray().Select(r => (string)r!["LastName"]!));
    }
}

using System.Text;
using Sluice.Emulators.Salesforce.Tests.Support;

namespace Sluice.Emulators.Salesforce.Tests;

public sealed class CompositeTests
{
    private const string Path = Org.V + "/composite/sobjects";

    [Fact]
    public async Task Collection_create_returns_200_and_results_in_request_order_with_per_record_errors()
    {
        await using var org = await Org.StartAsync();
        var reply = await org.PostAsync(Path, """
            {"allOrNone":false,"records":[
              {"attributes":{"type":"Contact"},"LastName":"One"},
              {"attributes":{"type":"Account"},"Name":null,"AccountNumber":"x"},
              {"attributes":{"type":"Lead"},"LastName":"Three","Company":"C"}
            ]}
            """);
        Assert.Equal(200, reply.Status);
        var results = reply.Json.AsArray();
        Assert.Equal(3, results.Count);
        Assert.StartsWith("003", (string?)results[0]!["id"]);
        Assert.True((bool)results[0]!["success"]!);
        Assert.False((bool)results[1]!["success"]!);
        Assert.False(results[1]!.AsObject().ContainsKey("id"));
        var error = results[1]!["errors"]![0]!;
        Assert.Equal("REQUIRED_FIELD_MISSING", (string?)error["statusCode"]);
        Assert.Equal("Required fields are missing: [Name]", (string?)error["message"]);
        Assert.Equal("Name", (string?)error["fields"]![0]);
        Assert.StartsWith("00Q", (string?)results[2]!["id"]);
        Assert.Equal(1, org.Emulator.CountRecords("Contact"));
        Assert.Equal(0, org.Emulator.CountRecords("Account"));
    }

    [Fact]
    public async Task All_or_none_rolls_back_every_record_when_one_fails()
    {
        await using var org = await Org.StartAsync();
        var reply = await org.PostAsync(Path, """
            {"allOrNone":true,"records":[
              {"attributes":{"type":"Contact"},"LastName":"Ok"},
              {"attributes":{"type":"Contact"},"LastName":"Bad","Email":"nope"}
            ]}
            """);
        Assert.Equal(200, reply.Status);
        var results = reply.Json.AsArray();
        Assert.False((bool)results[0]!["success"]!);
        Assert.Equal("ALL_OR_NONE_OPERATION_ROLLED_BACK", (string?)results[0]!["errors"]![0]!["statusCode"]);
        Assert.Equal("INVALID_EMAIL_ADDRESS", (string?)results[1]!["errors"]![0]!["statusCode"]);
        Assert.Equal(0, org.Emulator.CountRecords("Contact"));
    }

    [Fact]
    public async Task Collection_update_accepts_lowercase_id_and_reports_partial_failures()
    {
        await using var org = await Org.StartAsync();
        var a = await org.CreateAsync("Account", """{"Name":"A"}""");
        var b = await org.CreateAsync("Account", """{"Name":"B"}""");
        var reply = await org.PatchAsync(Path, $$"""
            {"allOrNone":false,"records":[
              {"attributes":{"type":"Account"},"id":"{{a}}","Name":"A2"},
              {"attributes":{"type":"Account"},"id":"{{b}}","email_field__c":"badone"},
              {"attributes":{"type":"Account"},"Name":"no id"},
              {"attributes":{"type":"Account"},"Id":"001xx","Name":"bad id"}
            ]}
            """);
        Assert.Equal(200, reply.Status);
        var r = reply.Json.AsArray();
        Assert.Equal(a, (string?)r[0]!["id"]);
        Assert.True((bool)r[0]!["success"]!);
        Assert.Equal("INVALID_EMAIL_ADDRESS", (string?)r[1]!["errors"]![0]!["statusCode"]);
        Assert.Equal("email_field: invalid email address: badone", (string?)r[1]!["errors"]![0]!["message"]);
        Assert.Equal("email_field__c", (string?)r[1]!["errors"]![0]!["fields"]![0]);
        Assert.Equal("MISSING_ARGUMENT", (string?)r[2]!["errors"]![0]!["statusCode"]);
        Assert.Equal("MALFORMED_ID", (string?)r[3]!["errors"]![0]!["statusCode"]);
        Assert.Equal("A2", org.Emulator.GetRecord(a)!["Name"]);
    }

    [Fact]
    public async Task Collection_update_of_missing_records_fails_per_record_even_when_all_fail()
    {
        await using var org = await Org.StartAsync();
        var id = await org.CreateAsync("Contact", """{"LastName":"X"}""");
        await org.DeleteAsync($"{Org.V}/sobjects/Contact/{id}");
        var reply = await org.PatchAsync(Path, $$"""
            {"records":[
              {"attributes":{"type":"Contact"},"Id":"{{id}}","LastName":"Y"},
              {"attributes":{"type":"Contact"},"Id":"003000000000009AAA","LastName":"Z"}
            ]}
            """);
        Assert.Equal(200, reply.Status);
        Assert.Equal("ENTITY_IS_DELETED", (string?)reply.Json[0]!["errors"]![0]!["statusCode"]);
        Assert.Equal("NOT_FOUND", (string?)reply.Json[1]!["errors"]![0]!["statusCode"]);
    }

    [Fact]
    public async Task Collection_upsert_creates_and_updates_by_external_id_with_created_flags()
    {
        await using var org = await Org.StartAsync();
        var existing = await org.CreateAsync("Contact", """{"LastName":"Old","External_Id__c":"k2"}""");
        var reply = await org.PatchAsync($"{Path}/Contact/External_Id__c", """
            {"allOrNone":false,"records":[
              {"attributes":{"type":"Contact"},"External_Id__c":"k1","LastName":"New"},
              {"attributes":{"type":"Contact"},"External_Id__c":"K2","LastName":"Changed"},
              {"attributes":{"type":"Contact"},"LastName":"No key"},
              {"attributes":{"type":"Contact"},"External_Id__c":"k3"}
            ]}
            """);
        Assert.Equal(200, reply.Status);
        var r = reply.Json.AsArray();
        Assert.True((bool)r[0]!["created"]!);
        Assert.False((bool)r[1]!["created"]!);
        Assert.Equal(existing, (string?)r[1]!["id"]);
        Assert.False((bool)r[2]!["success"]!);
        Assert.Equal("REQUIRED_FIELD_MISSING", (string?)r[3]!["errors"]![0]!["statusCode"]);
        Assert.Equal("Changed", org.Emulator.GetRecord(existing)!["LastName"]);
        Assert.Equal(2, org.Emulator.CountRecords("Contact"));
    }

    [Fact]
    public async Task Collection_upsert_needs_api_46_and_an_external_id_field()
    {
        await using var org = await Org.StartAsync();
        const string body = """{"records":[{"attributes":{"type":"Contact"},"External_Id__c":"k1","LastName":"N"}]}""";
        Assert.Equal(404, (await org.PatchAsync("/services/data/v45.0/composite/sobjects/Contact/External_Id__c", body)).Status);
        var reply = await org.PatchAsync($"{Path}/Contact/Title", body);
        Assert.Equal(400, reply.Status);
        Assert.Equal("INVALID_FIELD", (string?)reply.Error["errorCode"]);
    }

    [Fact]
    public async Task Duplicate_external_ids_inside_one_call_fail_the_second_record()
    {
        await using var org = await Org.StartAsync();
        var reply = await org.PostAsync(Path, """
            {"records":[
              {"attributes":{"type":"Lead"},"LastName":"A","Company":"C","External_Id__c":"same"},
              {"attributes":{"type":"Lead"},"LastName":"B","Company":"C","External_Id__c":"same"}
            ]}
            """);
        Assert.True((bool)reply.Json[0]!["success"]!);
        Assert.Equal("DUPLICATE_VALUE", (string?)reply.Json[1]!["errors"]![0]!["statusCode"]);
    }

    [Fact]
    public async Task Request_level_errors_are_400_with_the_errorCode_array()
    {
        await using var org = await Org.StartAsync();
        var sb = new StringBuilder("""{"records":[""");
        for (var i = 0; i < 201; i++)
            sb.Append(i == 0 ? "" : ",").Append("""{"attributes":{"type":"Contact"},"LastName":"x"}""");
        sb.Append("]}");
        var reply = await org.PostAsync(Path, sb.ToString());
        Assert.Equal(400, reply.Status);
        Assert.Equal("EXCEEDED_ID_LIMIT", (string?)reply.Error["errorCode"]);

        reply = await org.PostAsync(Path, """{"records":[{"attributes":{"type":"Contact"},"LastName":"x","Foo__c":1}]}""");
        Assert.Equal(400, reply.Status);
        Assert.Equal("INVALID_FIELD", (string?)reply.Error["errorCode"]);
        Assert.Equal("No such column 'Foo__c' on sobject of type Contact", (string?)reply.Error["message"]);

        reply = await org.PostAsync(Path, "{not json");
        Assert.Equal(400, reply.Status);
        Assert.Equal("JSON_PARSER_ERROR", (string?)reply.Error["errorCode"]);
        Assert.Equal(0, org.Emulator.CountRecords("Contact"));
    }

    [Fact]
    public async Task Collection_delete_removes_records_and_reports_each_id()
    {
        await using var org = await Org.StartAsync();
        var a = await org.CreateAsync("Contact", """{"LastName":"A"}""");
        var b = await org.CreateAsync("Lead", """{"LastName":"B","Company":"C"}""");
        var reply = await org.DeleteAsync($"{Path}?ids={a},{b},bogus&allOrNone=false");
        Assert.Equal(200, reply.Status);
        Assert.Equal(a, (string?)reply.Json[0]!["id"]);
        Assert.True((bool)reply.Json[1]!["success"]!);
        Assert.Equal("MALFORMED_ID", (string?)reply.Json[2]!["errors"]![0]!["statusCode"]);
        Assert.Equal(0, org.Emulator.TotalRecords);
        reply = await org.DeleteAsync($"{Path}?ids={a}");
        Assert.Equal("ENTITY_IS_DELETED", (string?)reply.Json[0]!["errors"]![0]!["statusCode"]);
    }

    [Fact]
    public async Task Collection_retrieve_returns_records_and_nulls_for_missing_ids()
    {
        await using var org = await Org.StartAsync();
        var a = await org.CreateAsync("Contact", """{"LastName":"A","Email":"a@x.io"}""");
        var reply = await org.GetAsync($"{Path}/Contact?ids={a},003000000000009AAA&fields=Id,Email");
        Assert.Equal(200, reply.Status);
        Assert.Equal("a@x.io", (string?)reply.Json[0]!["Email"]);
        Assert.Null(reply.Json[1]);
    }
}

using Sluice.Emulators.Salesforce.Tests.Support;

namespace Sluice.Emulators.Salesforce.Tests;

public sealed class SObjectTests
{
    [Fact]
    public async Task Create_answers_201_with_id_success_errors_and_a_location_header()
    {
        await using var org = await Org.StartAsync();
        var reply = await org.PostAsync($"{Org.V}/sobjects/Contact", """{"LastName":"Lovelace","FirstName":"Ada","Email":"ada@example.com"}""");
        Assert.Equal(201, reply.Status);
        var id = (string)reply.Json["id"]!;
        Assert.Equal(18, id.Length);
        Assert.StartsWith("003", id);
        Assert.True((bool)reply.Json["success"]!);
        Assert.Empty(reply.Json["errors"]!.AsArray());
        Assert.Equal($"{Org.V}/sobjects/Contact/{id}", reply.Header("Location"));
        Assert.Matches(@"^api-usage=\d+/15000$", reply.Header("Sforce-Limit-Info"));
        Assert.Equal(1, org.Emulator.CountRecords("Contact"));
        Assert.Equal("Ada Lovelace", org.Emulator.GetRecords("Contact")[0]["Name"]);
    }

    [Fact]
    public async Task Get_returns_the_full_record_with_attributes_and_404_after_delete()
    {
        await using var org = await Org.StartAsync();
        var id = await org.CreateAsync("Account", """{"Name":"Acme","NumberOfEmployees":12,"AnnualRevenue":1.5}""");
        var reply = await org.GetAsync($"{Org.V}/sobjects/Account/{id}");
        Assert.Equal(200, reply.Status);
        Assert.Equal("Account", (string?)reply.Json["attributes"]!["type"]);
        Assert.Equal($"{Org.V}/sobjects/Account/{id}", (string?)reply.Json["attributes"]!["url"]);
        Assert.Equal("Acme", (string?)reply.Json["Name"]);
        Assert.Equal(12, (int)reply.Json["NumberOfEmployees"]!);
        Assert.Equal(1.5, (double)reply.Json["AnnualRevenue"]!);
        Assert.True(reply.Json.AsObject().ContainsKey("Website"));
        Assert.Null(reply.Json["Website"]);

        Assert.Equal(204, (await org.DeleteAsync($"{Org.V}/sobjects/Account/{id}")).Status);
        reply = await org.GetAsync($"{Org.V}/sobjects/Account/{id}");
        Assert.Equal(404, reply.Status);
        Assert.Equal("NOT_FOUND", (string?)reply.Error["errorCode"]);
        Assert.Equal("The requested resource does not exist", (string?)reply.Error["message"]);
    }

    [Fact]
    public async Task Patch_updates_with_204_and_15_char_ids_are_accepted()
    {
        await using var org = await Org.StartAsync();
        var id = await org.CreateAsync("Lead", """{"LastName":"Hopper","Company":"Navy"}""");
        var reply = await org.PatchAsync($"{Org.V}/sobjects/Lead/{id[..15]}", """{"Company":"US Navy","Email":null}""");
        Assert.Equal(204, reply.Status);
        Assert.Equal("", reply.Text);
        Assert.Equal("US Navy", (string?)(await org.GetAsync($"{Org.V}/sobjects/Lead/{id}")).Json["Company"]);
    }

    [Fact]
    public async Task Updating_a_deleted_record_is_404_ENTITY_IS_DELETED_and_a_malformed_id_is_400_MALFORMED_ID()
    {
        await using var org = await Org.StartAsync();
        var id = await org.CreateAsync("Contact", """{"LastName":"Gone"}""");
        await org.DeleteAsync($"{Org.V}/sobjects/Contact/{id}");
        var reply = await org.PatchAsync($"{Org.V}/sobjects/Contact/{id}", """{"LastName":"Back"}""");
        Assert.Equal(404, reply.Status);
        Assert.Equal("ENTITY_IS_DELETED", (string?)reply.Error["errorCode"]);
        reply = await org.PatchAsync($"{Org.V}/sobjects/Contact/not-an-id", """{"LastName":"X"}""");
        Assert.Equal(400, reply.Status);
        Assert.Equal("MALFORMED_ID", (string?)reply.Error["errorCode"]);
        Assert.Equal("Contact ID: id value of incorrect type: not-an-id", (string?)reply.Error["message"]);
    }

    [Fact]
    public async Task Single_record_validation_errors_use_the_errorCode_array_shape()
    {
        await using var org = await Org.StartAsync();
        var reply = await org.PostAsync($"{Org.V}/sobjects/Lead", """{"FirstName":"No"}""");
        Assert.Equal(400, reply.Status);
        Assert.Equal("REQUIRED_FIELD_MISSING", (string?)reply.Error["errorCode"]);
        Assert.Equal("Required fields are missing: [LastName, Company]", (string?)reply.Error["message"]);
        Assert.Equal(["LastName", "Company"], reply.Error["fields"]!.AsArray().Select(f => (string)f!));

        reply = await org.PostAsync($"{Org.V}/sobjects/Contact", """{"LastName":"X","Foo__c":"y"}""");
        Assert.Equal(400, reply.Status);
        Assert.Equal("INVALID_FIELD", (string?)reply.Error["errorCode"]);
        Assert.Equal("No such column 'Foo__c' on sobject of type Contact", (string?)reply.Error["message"]);

        reply = await org.PostAsync($"{Org.V}/sobjects/Contact", """{"LastName":"X",""");
        Assert.Equal(400, reply.Status);
        Assert.Equal("JSON_PARSER_ERROR", (string?)reply.Error["errorCode"]);
    }

    [Fact]
    public async Task Upsert_by_external_id_creates_with_201_then_updates_with_200_and_created_false()
    {
        await using var org = await Org.StartAsync();
        var reply = await org.PatchAsync($"{Org.V}/sobjects/Contact/External_Id__c/c-1", """{"LastName":"One"}""");
        Assert.Equal(201, reply.Status);
        Assert.True((bool)reply.Json["created"]!);
        var id = (string)reply.Json["id"]!;
        Assert.NotNull(reply.Header("Location"));
        reply = await org.PatchAsync($"{Org.V}/sobjects/Contact/External_Id__c/c-1", """{"LastName":"Uno"}""");
        Assert.Equal(200, reply.Status);
        Assert.False((bool)reply.Json["created"]!);
        Assert.Equal(id, (string?)reply.Json["id"]);
        Assert.Equal("Uno", org.Emulator.GetRecord(id)!["LastName"]);
        Assert.Equal(1, org.Emulator.CountRecords("Contact"));
    }

    [Fact]
    public async Task Upsert_before_api_46_answers_204_on_update_and_omits_created()
    {
        await using var org = await Org.StartAsync();
        var reply = await org.PatchAsync("/services/data/v42.0/sobjects/Account/External_Id__c/a-1", """{"Name":"A"}""");
        Assert.Equal(201, reply.Status);
        Assert.Null(reply.Json["created"]);
        reply = await org.PatchAsync("/services/data/v42.0/sobjects/Account/External_Id__c/a-1", """{"Name":"B"}""");
        Assert.Equal(204, reply.Status);
    }

    [Fact]
    public async Task Upsert_with_an_unknown_key_field_is_404_and_with_several_matches_is_300()
    {
        await using var org = await Org.StartAsync();
        var reply = await org.PatchAsync($"{Org.V}/sobjects/Contact/Nope__c/x", """{"LastName":"X"}""");
        Assert.Equal(404, reply.Status);
        Assert.Equal("NOT_FOUND", (string?)reply.Error["errorCode"]);
        // A non-external-id field cannot key an upsert either.
        Assert.Equal(404, (await org.PatchAsync($"{Org.V}/sobjects/Contact/Title/x", """{"LastName":"X"}""")).Status);

        // Email is a standard idLookup field, usable as an upsert key, and not unique.
        await org.CreateAsync("Contact", """{"LastName":"A","Email":"dup@example.com"}""");
        await org.CreateAsync("Contact", """{"LastName":"B","Email":"dup@example.com"}""");
        reply = await org.PatchAsync($"{Org.V}/sobjects/Contact/Email/dup@example.com", """{"LastName":"C"}""");
        Assert.Equal(300, reply.Status);
        Assert.Equal(2, reply.Json.AsArray().Count);
        Assert.StartsWith($"{Org.V}/sobjects/Contact/003", (string?)reply.Json[0]);
    }

    [Fact]
    public async Task Update_only_upsert_does_not_create()
    {
        await using var org = await Org.StartAsync();
        var reply = await org.PatchAsync($"{Org.V}/sobjects/Contact/External_Id__c/none?updateOnly=true", """{"LastName":"X"}""");
        Assert.Equal(404, reply.Status);
        Assert.Equal(0, org.Emulator.CountRecords("Contact"));
    }

    [Theory]
    [InlineData("Contact", """{"LastName":"X","Email":"not-an-email"}""", "INVALID_EMAIL_ADDRESS", "Email: invalid email address: not-an-email")]
    [InlineData("Contact", """{"LastName":"X","Birthdate":"31/12/2000"}""", "INVALID_TYPE_ON_FIELD_IN_RECORD", "Birthdate: value not of required type: 31/12/2000")]
    [InlineData("Account", """{"Name":"X","NumberOfEmployees":"many"}""", "INVALID_TYPE_ON_FIELD_IN_RECORD", "Employees: value not of required type: many")]
    [InlineData("Account", """{"Name":"X","ParentId":"xyz"}""", "MALFORMED_ID", "Parent Account ID: id value of incorrect type: xyz")]
    [InlineData("Contact", """{"LastName":"X","Name":"Full"}""", "INVALID_FIELD_FOR_INSERT_UPDATE", "Unable to create/update fields: Name. Please check the security settings of this field and verify that it is read/write for your profile or permission set.")]
    [InlineData("Contract", """{"AccountId":"001000000000001AAA","Status":"Bogus"}""", "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "Status: bad value for restricted picklist field: Bogus")]
    [InlineData("Contact", """{"LastName":"X","checkbox_field__c":"maybe"}""", "INVALID_TYPE_ON_FIELD_IN_RECORD", "checkbox field: value not of required type: maybe")]
    public async Task Field_rules_from_the_describe_are_enforced(string type, string body, string code, string message)
    {
        await using var org = await Org.StartAsync();
        var reply = await org.PostAsync($"{Org.V}/sobjects/{type}", body);
        Assert.Equal(400, reply.Status);
        Assert.Equal(code, (string?)reply.Error["errorCode"]);
        Assert.Equal(message, (string?)reply.Error["message"]);
    }

    [Fact]
    public async Task Strings_longer_than_the_field_length_are_STRING_TOO_LONG()
    {
        await using var org = await Org.StartAsync();
        var longName = new string('x', 81);
        var reply = await org.PostAsync($"{Org.V}/sobjects/Contact", $$"""{"LastName":"{{longName}}"}""");
        Assert.Equal(400, reply.Status);
        Assert.Equal("STRING_TOO_LONG", (string?)reply.Error["errorCode"]);
        Assert.Equal($"Last Name: data value too large: {longName} (max length=80)", (string?)reply.Error["message"]);
        Assert.Equal(201, (await org.PostAsync($"{Org.V}/sobjects/Contact", $$"""{"LastName":"{{longName[..80]}}"}""")).Status);
    }

    [Fact]
    public async Task External_ids_are_unique_and_case_insensitive()
    {
        await using var org = await Org.StartAsync();
        var first = await org.CreateAsync("Contact", """{"LastName":"A","External_Id__c":"Key-1"}""");
        var reply = await org.PostAsync($"{Org.V}/sobjects/Contact", """{"LastName":"B","External_Id__c":"key-1"}""");
        Assert.Equal(400, reply.Status);
        Assert.Equal("DUPLICATE_VALUE", (string?)reply.Error["errorCode"]);
        Assert.Equal($"duplicate value found: External_Id__c duplicates value on record with id: {first}", (string?)reply.Error["message"]);
    }

    [Fact]
    public async Task Defaults_apply_on_create_for_case_and_contract()
    {
        await using var org = await Org.StartAsync();
        var caseId = await org.CreateAsync("Case", """{"Subject":"Broken","SuppliedEmail":"a@b.co"}""");
        var c = await org.GetAsync($"{Org.V}/sobjects/Case/{caseId}");
        Assert.Equal("New", (string?)c.Json["Status"]);
        Assert.NotNull((string?)c.Json["CaseNumber"]);
        var accountId = await org.CreateAsync("Account", """{"Name":"Acme"}""");
        var contractId = await org.CreateAsync("Contract", $$"""{"AccountId":"{{accountId}}","StartDate":"2025-01-31","ContractTerm":12}""");
        var k = await org.GetAsync($"{Org.V}/sobjects/Contract/{contractId}");
        Assert.Equal("Draft", (string?)k.Json["Status"]);
        Assert.Equal("2025-01-31", (string?)k.Json["StartDate"]);
        Assert.Equal(12, (int)k.Json["ContractTerm"]!);
        var missing = await org.PostAsync($"{Org.V}/sobjects/Contract", """{"StartDate":"2025-01-31"}""");
        Assert.Equal("REQUIRED_FIELD_MISSING", (string?)missing.Error["errorCode"]);
        var wrongType = await org.PostAsync($"{Org.V}/sobjects/Contract", $$"""{"AccountId":"{{caseId}}"}""");
        Assert.Equal("FIELD_INTEGRITY_EXCEPTION", (string?)wrongType.Error["errorCode"]);
    }

    [Fact]
    public async Task Get_by_external_id_returns_the_record()
    {
        await using var org = await Org.StartAsync();
        var id = await org.CreateAsync("Lead", """{"LastName":"L","Company":"C","External_Id__c":"lead-7"}""");
        var reply = await org.GetAsync($"{Org.V}/sobjects/Lead/External_Id__c/lead-7");
        Assert.Equal(200, reply.Status);
        Assert.Equal(id, (string?)reply.Json["Id"]);
    }
}

using System.IO;
using System.Text.Json.Nodes;
using Sluice.Emulators.Salesforce.Tests.Support;

namespace Sluice.Emulators.Salesforce.Tests;

public sealed class DescribeTests
{
    private static string[] Required(JsonNode describe) =>
        [.. describe["fields"]!.AsArray()
            .Where(f => (bool)f!["createable"]! && !(bool)f["nillable"]! && !(bool)f["defaultedOnCreate"]!)
            .Select(f => (string)f!["name"]!)];

    [Theory]
    [InlineData("Account", "001", "Name")]
    [InlineData("Contact", "003", "LastName")]
    [InlineData("Lead", "00Q", "LastName,Company")]
    [InlineData("Case", "500", "")]
    [InlineData("Contract", "800", "AccountId")]
    public async Task Describe_serves_each_standard_object_with_its_key_prefix_and_required_fields(string type, string prefix, string required)
    {
        await using var org = await Org.StartAsync();
        var reply = await org.GetAsync($"{Org.V}/sobjects/{type}/describe");
        Assert.Equal(200, reply.Status);
        Assert.Equal("application/json; charset=UTF-8", reply.Header("Content-Type"));
        Assert.NotNull(reply.Header("ETag"));
        Assert.NotNull(reply.Header("Last-Modified"));
        var d = reply.Json;
        Assert.Equal(type, (string?)d["name"]);
        Assert.Equal(prefix, (string?)d["keyPrefix"]);
        Assert.Equal(required.Split(',', StringSplitOptions.RemoveEmptyEntries), Required(d));
        Assert.Equal(55, d["fields"]![0]!.AsObject().Count);
        var ext = d["fields"]!.AsArray().Single(f => (string?)f!["name"] == "External_Id__c")!;
        Assert.True((bool)ext["externalId"]!);
        Assert.True((bool)ext["unique"]!);
        Assert.Equal(255, (int)ext["length"]!);
        Assert.Contains("/services/data/v59.0/sobjects/" + type, (string?)d["urls"]!["describe"]);
    }

    [Fact]
    public async Task Case_status_and_contract_status_default_on_create()
    {
        await using var org = await Org.StartAsync();
        var caseFields = (await org.GetAsync($"{Org.V}/sobjects/Case/describe")).Json["fields"]!.AsArray();
        var status = caseFields.Single(f => (string?)f!["name"] == "Status")!;
        Assert.Equal("picklist", (string?)status["type"]);
        Assert.True((bool)status["defaultedOnCreate"]!);
        Assert.Contains(status["picklistValues"]!.AsArray(), p => (string?)p!["value"] == "New" && (bool)p["defaultValue"]!);
        Assert.Equal("email", (string?)caseFields.Single(f => (string?)f!["name"] == "SuppliedEmail")!["type"]);
        var contractFields = (await org.GetAsync($"{Org.V}/sobjects/Contract/describe")).Json["fields"]!.AsArray();
        Assert.Equal("int", (string?)contractFields.Single(f => (string?)f!["name"] == "ContractTerm")!["type"]);
        Assert.Equal("date", (string?)contractFields.Single(f => (string?)f!["name"] == "StartDate")!["type"]);
    }

    [Fact]
    public async Task If_modified_since_after_the_schema_was_loaded_gives_304()
    {
        await using var org = await Org.StartAsync();
        var first = await org.GetAsync($"{Org.V}/sobjects/Account/describe");
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{Org.V}/sobjects/Account/describe");
        request.Headers.IfModifiedSince = DateTimeOffset.Parse(first.Header("Last-Modified")!, System.Globalization.CultureInfo.InvariantCulture);
        using var response = await org.Http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(304, (int)response.StatusCode);
    }

    [Fact]
    public async Task Unknown_objects_and_old_api_versions_are_404_NOT_FOUND()
    {
        await using var org = await Org.StartAsync();
        var reply = await org.GetAsync($"{Org.V}/sobjects/Nope__c/describe");
        Assert.Equal(404, reply.Status);
        Assert.Equal("NOT_FOUND", (string?)reply.Error["errorCode"]);
        Assert.Equal(404, (await org.GetAsync("/services/data/v40.0/sobjects/Contact/describe")).Status);
        Assert.Equal(200, (await org.GetAsync("/services/data/v41.0/sobjects/Contact/describe")).Status);
    }

    [Fact]
    public async Task A_schema_directory_adds_custom_objects_and_fields()
    {
        var dir = Directory.CreateTempSubdirectory("sf-schema-").FullName;
        try
        {
            var describe = new JsonObject
            {
                ["name"] = "Invoice__c",
                ["label"] = "Invoice",
                ["keyPrefix"] = "a01",
                ["fields"] = new JsonArray(
                    new JsonObject { ["name"] = "Id", ["type"] = "id", ["label"] = "Record ID", ["createable"] = false, ["updateable"] = false, ["nillable"] = false, ["defaultedOnCreate"] = true, ["idLookup"] = true },
                    new JsonObject { ["name"] = "Amount__c", ["type"] = "currency", ["label"] = "Amount", ["createable"] = true, ["updateable"] = true, ["nillable"] = false, ["defaultedOnCreate"] = false }),
            };
            await File.WriteAllTextAsync(Path.Combine(dir, "Invoice__c.json"), describe.ToJsonString(), TestContext.Current.CancellationToken);
            await using var org = await Org.StartAsync(o => o.SchemaDirectory = dir);
            var reply = await org.GetAsync($"{Org.V}/sobjects/Invoice__c/describe");
            Assert.Equal(200, reply.Status);
            var created = await org.PostAsync($"{Org.V}/sobjects/Invoice__c", """{"Amount__c": 12.5, "External_Id__c": "inv-1"}""");
            Assert.Equal(201, created.Status);
            Assert.StartsWith("a01", (string?)created.Json["id"]);
            var missing = await org.PostAsync($"{Org.V}/sobjects/Invoice__c", "{}");
            Assert.Equal(400, missing.Status);
            Assert.Equal("REQUIRED_FIELD_MISSING", (string?)missing.Error["errorCode"]);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

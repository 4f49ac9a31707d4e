using Sluice.Emulators.Salesforce.Tests.Support;

namespace Sluice.Emulators.Salesforce.Tests;

public sealed class QueryTests
{
    private static string Q(string soql) => $"{Org.V}/query?q={Uri.EscapeDataString(soql)}";

    [Fact]
    public async Task Equality_on_a_field_returns_matching_records_with_attributes()
    {
        await using var org = await Org.StartAsync();
        var id = await org.CreateAsync("Account", """{"Name":"Acme","AccountNumber":"additivebrian@demo.com"}""");
        await org.CreateAsync("Account", """{"Name":"Other","AccountNumber":"x"}""");
        var reply = await org.GetAsync(Q("SELECT Id FROM Account WHERE AccountNumber = 'additivebrian@demo.com'"));
        Assert.Equal(200, reply.Status);
        Assert.Equal(1, (int)reply.Json["totalSize"]!);
        Assert.True((bool)reply.Json["done"]!);
        var record = reply.Json["records"]![0]!;
        Assert.Equal("Account", (string?)record["attributes"]!["type"]);
        Assert.Equal($"{Org.V}/sobjects/Account/{id}", (string?)record["attributes"]!["url"]);
        Assert.Equal(id, (string?)record["Id"]);
    }

    [Fact]
    public async Task No_match_gives_an_empty_done_result()
    {
        await using var org = await Org.StartAsync();
        var reply = await org.GetAsync(Q("SELECT Id FROM Lead WHERE Email = 'nobody@example.com'"));
        Assert.Equal(200, reply.Status);
        Assert.Equal("""{"totalSize":0,"done":true,"records":[]}""", reply.Text);
    }

    [Fact]
    public async Task In_lists_on_external_ids_and_ids_find_every_match()
    {
        await using var org = await Org.StartAsync();
        var a = await org.CreateAsync("Contact", """{"LastName":"A","External_Id__c":"e-1","Email":"a@x.io"}""");
        var b = await org.CreateAsync("Contact", """{"LastName":"B","External_Id__c":"e-2"}""");
        await org.CreateAsync("Contact", """{"LastName":"C","External_Id__c":"e-3"}""");
        var reply = await org.GetAsync(Q("select Id, External_Id__c, lastname from Contact where External_Id__c in ('e-1', 'E-2', 'e-9')"));
        Assert.Equal(2, (int)reply.Json["totalSize"]!);
        var records = reply.Json["records"]!.AsArray();
        Assert.Contains(records, r => (string?)r!["Id"] == a && (string?)r["LastName"] == "A");
        Assert.Contains(records, r => (string?)r!["Id"] == b && (string?)r["External_Id__c"] == "e-2");

        reply = await org.GetAsync(Q($"SELECT Id FROM Contact WHERE Id IN ('{a[..15]}','{b}')"));
        Assert.Equal(2, (int)reply.Json["totalSize"]!);
        reply = await org.GetAsync(Q("SELECT Id, Email FROM Contact WHERE LastName = 'C'"));
        Assert.Equal(1, (int)reply.Json["totalSize"]!);
        Assert.Null(reply.Json["records"]![0]!["Email"]);
    }

    [Fact]
    public async Task Large_results_page_with_next_records_url()
    {
        await using var org = await Org.StartAsync(o => o.QueryBatchSize = 200);
        for (var batch = 0; batch < 2; batch++)
        {
            var records = string.Join(",", Enumerable.Range(0, 150).Select(i => $$"""{"attributes":{"type":"Contact"},"LastName":"P{{batch}}-{{i}}"}"""));
            Assert.Equal(200, (await org.PostAsync($"{Org.V}/composite/sobjects", $$"""{"records":[{{records}}]}""")).Status);
        }
        var reply = await org.GetAsync(Q("SELECT Id FROM Contact"));
        Assert.Equal(300, (int)reply.Json["totalSize"]!);
        Assert.False((bool)reply.Json["done"]!);
        Assert.Equal(200, reply.Json["records"]!.AsArray().Count);
        var next = (string)reply.Json["nextRecordsUrl"]!;
        reply = await org.GetAsync(next);
        Assert.True((bool)reply.Json["done"]!);
        Assert.Equal(100, reply.Json["records"]!.AsArray().Count);
    }

    [Theory]
    [InlineData("SELECT Id FROM Contact WHERE LastName LIKE A%", "MALFORMED_QUERY")]
    [InlineData("SELECT Id FROM Contact ORDER LastName", "MALFORMED_QUERY")]
    [InlineData("SELECT Id FROM Contact WHERE (LastName = 'a'", "MALFORMED_QUERY")]
    [InlineData("DELETE FROM Contact", "MALFORMED_QUERY")]
    [InlineData("SELECT Nope__c FROM Contact", "INVALID_FIELD")]
    [InlineData("SELECT Id FROM Nope__c", "INVALID_TYPE")]
    public async Task Unsupported_or_wrong_soql_is_400(string soql, string code)
    {
        await using var org = await Org.StartAsync();
        var reply = await org.GetAsync(Q(soql));
        Assert.Equal(400, reply.Status);
        Assert.Equal(code, (string?)reply.Error["errorCode"]);
    }
}

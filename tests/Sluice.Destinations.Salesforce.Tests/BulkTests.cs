using System.Net.Http.Json;
using System.Text.Json;
using Sluice.Core.Destinations;
using Sluice.Core.Models;
using Sluice.Destinations.Salesforce.Tests.Support;
using Sluice.Emulators.Salesforce;

namespace Sluice.Destinations.Salesforce.Tests;

/// <summary>Bulk API 2.0 jobs, and that both transports leave Salesforce in the same state.</summary>
public sealed class BulkTests
{
    private static IDestination Bulk(SalesforceEmulator org) => TestOrg.Destination(org, "Contact", ("bulk_threshold", "1"));

    [Fact]
    public async Task The_bulk_path_and_the_collections_path_give_the_same_destination_state_and_outcomes()
    {
        await using var viaCollections = await TestOrg.StartAsync();
        await using var viaBulk = await TestOrg.StartAsync();
        await using var collections = TestOrg.Destination(viaCollections);
        await using var bulk = Bulk(viaBulk);

        var first = Contacts.Rows(300, RecordOperation.Upsert);
        first[10] = Contacts.Row(10, RecordOperation.Upsert, email: "broken");
        first[20] = Contacts.Row(20, RecordOperation.Upsert, firstName: "Quote \"and\", comma\nnewline");
        first[30] = Contacts.Row(30, RecordOperation.Upsert) with { Values = ["F", "L", null, null, true, null, null] };
        var second = Contacts.Rows(320, RecordOperation.Upsert).Select(r => r with { Values = [.. r.Values.Select((v, i) => i == 1 ? "Second" : v)] }).ToList();

        foreach (var (rows, stored) in new[] { (first, 299), (second, 320) })
        {
            var a = await Runner.RunAsync(collections, Contacts.Sync(SyncMode.Upsert), rows);
            var b = await Runner.RunAsync(bulk, Contacts.Sync(SyncMode.Upsert), rows, batchSize: 100);
            Assert.Equal(a.Keys.Order(), b.Keys.Order());
            foreach (var key in a.Keys)
                Assert.Equal((a[key].Outcome, a[key].Code), (b[key].Outcome, b[key].Code));

            var stateA = await ReadBackAsync(viaCollections);
            var stateB = await ReadBackAsync(viaBulk);
            Assert.Equal(stored, stateA.Count);
            Assert.Equal(stateA, stateB);
            if (rows == first)
            {
                Assert.Equal("INVALID_EMAIL_ADDRESS", a["k10"].Code);
                Assert.Contains(stateA, s => s.Contains("Quote \"and\", comma\nnewline", StringComparison.Ordinal));
            }
        }
    }

    /// <summary>Reads every Contact back through the org's REST query API, as one comparable line per record.</summary>
    private static async Task<List<string>> ReadBackAsync(SalesforceEmulator org)
    {
        using var http = new HttpClient { BaseAddress = org.BaseUrl };
        using var login = await http.PostAsync("/services/oauth2/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = TestOrg.ClientId,
            ["client_secret"] = TestOrg.ClientSecret,
        }), TestOrg.Ct);
        var token = (await login.Content.ReadFromJsonAsync<JsonElement>(TestOrg.Ct)).GetProperty("access_token").GetString();
        http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        const string fields = "Custom_External_ID__c, FirstName, LastName, Email, number_field__c, checkbox_field__c, Birthdate, datetime_field__c";
        var lines = new List<string>();
        string? next = "/services/data/v62.0/query?q=" + Uri.EscapeDataString($"SELECT {fields} FROM Contact");
        while (next is not null)
        {
            var page = await http.GetFromJsonAsync<JsonElement>(next, TestOrg.Ct);
            foreach (var record in page.GetProperty("records").EnumerateArray())
                lines.Add(string.Join("|", fields.Split(", ").Select(f => record.GetProperty(f).ToString())));
            next = page.GetProperty("done").GetBoolean() ? null : page.GetProperty("nextRecordsUrl").GetString();
        }
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    [Fact]
    public async Task A_bulk_insert_maps_every_result_row_back_to_its_key()
    {
        await using var org = await TestOrg.StartAsync();
        await using var destination = Bulk(org);
        var rows = Contacts.Rows(500, RecordOperation.Create);
        rows[42] = Contacts.Row(42, RecordOperation.Create) with { Values = ["No", null, "p42@example.com", 1m, true, null, null] };
        rows[43] = Contacts.Row(43, RecordOperation.Create, email: "bad-address");

        var results = await Runner.RunAsync(destination, Contacts.Sync(SyncMode.Insert), rows);

        Assert.Equal(RecordOutcome.Rejected, results["k42"].Outcome);
        Assert.Equal("REQUIRED_FIELD_MISSING", results["k42"].Code);
        Assert.Contains("LastName", results["k42"].Reason, StringComparison.Ordinal);
        Assert.Equal("INVALID_EMAIL_ADDRESS", results["k43"].Code);
        Assert.Equal(498, org.CountRecords("Contact"));
        foreach (var (key, result) in results.Where(r => r.Value.Outcome == RecordOutcome.Delivered))
            Assert.Equal("EXT-" + key[1..], org.GetRecord(result.DestinationId!)!.Text("Custom_External_ID__c"));
    }

    [Fact]
    public async Task A_bulk_update_by_external_id_reports_missing_records_as_not_found()
    {
        await using var org = await TestOrg.StartAsync();
        await using var destination = Bulk(org);
        await Runner.RunAsync(destination, Contacts.Sync(SyncMode.Insert), Contacts.Rows(200, RecordOperation.Create));

        var rows = Contacts.Rows(210, RecordOperation.Update).Select(r => r with { Values = [.. r.Values.Select((v, i) => i == 0 ? "Bulk" : v)] }).ToList();
        var results = await Runner.RunAsync(destination, Contacts.Sync(SyncMode.Update), rows);

        Assert.Equal(200, results.Values.Count(r => r.Outcome == RecordOutcome.Delivered));
        Assert.Equal(10, results.Values.Count(r => r.Outcome == RecordOutcome.NotFound));
        Assert.Equal(200, org.CountRecords("Contact"));
        Assert.All(org.GetRecords("Contact"), r => Assert.Equal("Bulk", r.Text("FirstName")));
    }

    [Fact]
    public async Task A_bulk_update_by_Id_reports_deleted_or_unknown_ids_as_not_found()
    {
        await using var org = await TestOrg.StartAsync();
        await using var destination = Bulk(org);
        var created = await Runner.RunAsync(destination, Contacts.Sync(SyncMode.Insert), Contacts.Rows(2, RecordOperation.Create));
        var rows = new List<DeliveryRecord>
        {
            Contacts.Row(0, RecordOperation.Update, match: created["k0"].DestinationId, lastName: "ById"),
            Contacts.Row(1, RecordOperation.Update, match: "0035E00000ZZZZZ"),
        };
        var results = await Runner.RunAsync(destination, Contacts.Sync(SyncMode.Update, Contacts.ById), rows);
        Assert.Equal(RecordOutcome.Delivered, results["k0"].Outcome);
        Assert.Equal("ById", org.GetRecord(created["k0"].DestinationId!)!.Text("LastName"));
        Assert.Equal(RecordOutcome.NotFound, results["k1"].Outcome);
    }

    [Fact]
    public async Task Bulk_jobs_survive_faults_without_losing_or_duplicating_a_row()
    {
        await using var org = await TestOrg.StartAsync(o => o.Faults = new()
        {
            ThrottleBurstEvery = 5,
            ThrottleBurstLength = 2,
            ErrorRate = 0.1,
            DropConnectionRate = 0.1,
            Seed = 3,
        });
        await using var destination = Bulk(org);
        var results = await Runner.RunAsync(destination, Contacts.Sync(SyncMode.Insert), Contacts.Rows(1200, RecordOperation.Create), batchSize: 300);

        Assert.All(results.Values, r => Assert.Equal(RecordOutcome.Delivered, r.Outcome));
        Assert.Equal(1200, org.CountRecords("Contact"));
        Assert.Equal(1200, org.GetRecords("Contact").Select(r => r.Text("Custom_External_ID__c")).Distinct().Count());
        Assert.Equal(1200, results.Values.Select(r => r.DestinationId).Distinct().Count());
    }
}

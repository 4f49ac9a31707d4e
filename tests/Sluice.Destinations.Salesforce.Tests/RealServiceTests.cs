using Sluice.Core.Destinations;
using Sluice.Core.Models;
using Sluice.Destinations.Salesforce.Tests.Support;
using Sluice.Destinations.Tests.Support;
using Sluice.Emulators.Salesforce;

namespace Sluice.Destinations.Salesforce.Tests;

/// <summary>
/// The client against the emulator's rules of the real service (issue 10): duplicate match values, line breaks in
/// Bulk values, JSON shapes, re-rendered Bulk results, the call budget, and every DuckDB column type.
/// </summary>
public sealed class RealServiceTests
{
    private static IDestination Bulk(SalesforceEmulator org, string obj = "Contact") => TestOrg.Destination(org, obj, ("bulk_threshold", "1"));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Two_rows_with_one_external_id_send_the_first_and_refuse_the_other_naming_its_key(bool bulk)
    {
        await using var org = await TestOrg.StartAsync();
        await using var destination = bulk ? Bulk(org) : TestOrg.Destination(org);
        var rows = Contacts.Rows(5, RecordOperation.Upsert);
        // Salesforce compares this external id case-insensitively: EXT-1 and ext-1 are one record.
        rows[3] = Contacts.Row(3, RecordOperation.Upsert, match: "ext-1", lastName: "Later");

        var results = await Runner.RunAsync(destination, Contacts.Sync(SyncMode.Upsert), rows);

        Assert.Equal(RecordOutcome.Delivered, results["k1"].Outcome);
        Assert.Equal(RecordOutcome.Rejected, results["k3"].Outcome);
        Assert.False(results["k3"].Sent);
        Assert.Equal("DUPLICATE_MATCH_VALUE", results["k3"].Code);
        Assert.Contains("key k1", results["k3"].Reason, StringComparison.Ordinal);
        Assert.All(new[] { "k0", "k2", "k4" }, k => Assert.Equal(RecordOutcome.Delivered, results[k].Outcome));
        var stored = org.GetRecords("Contact");
        Assert.Equal(4, stored.Count);
        Assert.Equal("Last1", stored.Single(r => r.Text("Custom_External_ID__c") == "EXT-1").Text("LastName"));
    }

    [Fact]
    public async Task Values_holding_cr_or_lf_reach_a_bulk_job_that_enforces_its_line_ending()
    {
        await using var org = await TestOrg.StartAsync();
        await using var destination = Bulk(org);
        var rows = Contacts.Rows(3, RecordOperation.Upsert);
        rows[0] = Contacts.Row(0, RecordOperation.Upsert, firstName: "two\r\nlines");
        rows[1] = Contacts.Row(1, RecordOperation.Upsert, firstName: "old\rmac");
        rows[2] = Contacts.Row(2, RecordOperation.Upsert, firstName: "unix\nline, \"quoted\"");

        var results = await Runner.RunAsync(destination, Contacts.Sync(SyncMode.Upsert), rows);

        Assert.All(results.Values, r => Assert.Equal(RecordOutcome.Delivered, r.Outcome));
        var names = org.GetRecords("Contact").Select(r => r.Text("FirstName")).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["old\rmac", "two\r\nlines", "unix\nline, \"quoted\""], names);
    }

    [Fact]
    public async Task A_value_salesforce_cannot_read_for_its_field_is_refused_alone_before_sending()
    {
        await using var org = await TestOrg.StartAsync();
        await using var destination = TestOrg.Destination(org, "Account");
        ModelColumn[] columns = [new("account_id", ValueKind.Text, "VARCHAR"), new("name", ValueKind.Text, "VARCHAR"), new("employees", ValueKind.Integer, "HUGEINT")];
        var sync = new SyncContext("accounts", SyncMode.Insert, ModelKind.Custom, new FieldMapping("", ""),
            [new("name", "Name"), new("employees", "NumberOfEmployees")], columns);
        Assert.Empty(await destination.CheckAsync(sync, TestOrg.Ct));
        var rows = Enumerable.Range(0, 5)
            .Select(n => new DeliveryRecord($"a{n}", RecordOperation.Create, null, [$"Acme {n}", n == 2 ? 3_000_000_000L : (object)(long)(10 * n)], null))
            .ToList();

        var results = await Runner.RunAsync(destination, sync, rows);

        // Salesforce would answer the whole request JSON_PARSER_ERROR for the one int out of range.
        var refused = results["a2"];
        Assert.Equal(RecordOutcome.Rejected, refused.Outcome);
        Assert.False(refused.Sent);
        Assert.Contains("employees (HUGEINT)", refused.Reason, StringComparison.Ordinal);
        Assert.Contains("Account.NumberOfEmployees (int)", refused.Reason, StringComparison.Ordinal);
        Assert.Equal(4, results.Values.Count(r => r.Outcome == RecordOutcome.Delivered));
        Assert.Equal(4, org.CountRecords("Account"));
    }

    [Fact]
    public async Task Bulk_inserts_are_matched_to_results_by_match_value_when_salesforce_renders_their_values_differently()
    {
        await using var org = await TestOrg.StartAsync();
        await using var destination = Bulk(org);
        // 12.50 comes back 12.5, a datetime with +0000 instead of Z: the rest of the row is not an identity.
        var rows = Contacts.Rows(50, RecordOperation.Create)
            .Select(r => r with { Values = [.. r.Values.Select((v, i) => i == 3 ? 12.50m : v)] })
            .ToList();

        var results = await Runner.RunAsync(destination, Contacts.Sync(SyncMode.Insert), rows);

        Assert.All(results.Values, r => Assert.Equal(RecordOutcome.Delivered, r.Outcome));
        var stored = org.GetRecords("Contact").ToDictionary(r => r.Text("Custom_External_ID__c")!, r => r.Text("Id"));
        Assert.Equal(50, stored.Count);
        foreach (var n in Enumerable.Range(0, 50))
            Assert.Equal(stored[$"EXT-{n}"], results[$"k{n}"].DestinationId);
    }

    [Fact]
    public async Task Bulk_updates_by_id_are_matched_to_results_by_id_when_values_come_back_rendered()
    {
        await using var org = await TestOrg.StartAsync();
        await using var destination = Bulk(org);
        var created = await Runner.RunAsync(destination, Contacts.Sync(SyncMode.Insert), Contacts.Rows(20, RecordOperation.Create));
        var updates = Enumerable.Range(0, 20)
            .Select(n => Contacts.Row(n, RecordOperation.Update, destinationId: created[$"k{n}"].DestinationId, match: created[$"k{n}"].DestinationId![..15])
                with
            { Values = [$"F{n}", "Renamed", $"p{n}@example.com", 3.10m, true, new DateOnly(2000, 1, 1), new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc)] })
            .ToList();

        var results = await Runner.RunAsync(destination, Contacts.Sync(SyncMode.Update, Contacts.ById), updates);

        Assert.All(results.Values, r => Assert.Equal(RecordOutcome.Delivered, r.Outcome));
        Assert.All(org.GetRecords("Contact"), r => Assert.Equal("Renamed", r.Text("LastName")));
    }

    [Fact]
    public async Task A_bulk_upsert_of_a_whole_run_is_one_job_within_eight_api_calls()
    {
        await using var org = await TestOrg.StartAsync(o => o.DailyApiLimit = 1_000_000);
        await using var destination = Bulk(org);
        var sync = Contacts.Sync(SyncMode.Upsert);
        Assert.Empty(await destination.CheckAsync(sync, TestOrg.Ct));
        var before = org.ApiUsage;

        var results = await Runner.RunAsync(destination, sync, Contacts.Rows(25_000, RecordOperation.Upsert));

        Assert.Equal(25_000, results.Values.Count(r => r.Outcome == RecordOutcome.Delivered));
        var calls = org.ApiUsage - before;
        Assert.True(calls <= 8, $"{calls} API calls");
        Assert.Equal(1, org.GetStats().Requests.GetValueOrDefault("POST /services/data/v{version}/jobs/ingest"));
    }

    [Fact]
    public async Task Rows_above_the_upload_limit_are_split_across_jobs_and_all_delivered()
    {
        await using var org = await TestOrg.StartAsync();
        var provider = new SalesforceDestinationProvider { Tuning = TestOrg.FastTuning with { BulkMaxUploadBytes = 4_000 } };
        await using var destination = provider.Create(TestOrg.Settings(org, "Contact", ("bulk_threshold", "1")), new SimulatedTime().Services());

        var results = await Runner.RunAsync(destination, Contacts.Sync(SyncMode.Upsert), Contacts.Rows(100, RecordOperation.Upsert));

        Assert.All(results.Values, r => Assert.Equal(RecordOutcome.Delivered, r.Outcome));
        Assert.Equal(100, org.CountRecords("Contact"));
        Assert.True(org.GetStats().Requests.GetValueOrDefault("POST /services/data/v{version}/jobs/ingest") > 1);
    }

    [Fact]
    public async Task Every_duckdb_column_type_is_either_accepted_or_refused_at_the_check_naming_the_column_and_its_type()
    {
        await using var org = await TestOrg.StartAsync();
        await using var destination = TestOrg.Destination(org);
        ModelColumn[] columns =
        [
            new("ext_id", ValueKind.Text, "UUID"),
            new("last_name", ValueKind.Text, "VARCHAR"),
            new("tags", ValueKind.Other, "INTEGER[]"),
            new("address", ValueKind.Other, "STRUCT(street VARCHAR, city VARCHAR)"),
            new("attributes", ValueKind.Other, "MAP(VARCHAR, INTEGER)"),
            new("photo", ValueKind.Other, "BLOB"),
            new("tenure", ValueKind.Other, "INTERVAL"),
            new("big", ValueKind.Integer, "HUGEINT"),
            new("score", ValueKind.Decimal, "DECIMAL(38,10)"),
            new("seen_at", ValueKind.Timestamp, "TIMESTAMP WITH TIME ZONE"),
            new("opens_at", ValueKind.Time, "TIME"),
        ];
        SyncContext Sync(params FieldMapping[] mappings) =>
            new("contacts", SyncMode.Upsert, ModelKind.User, new FieldMapping("ext_id", "Custom_External_ID__c"),
                [new("last_name", "LastName"), .. mappings], columns);

        // Accepted: nested values and intervals as text into free text, numbers, timestamps.
        Assert.Empty(await destination.CheckAsync(Sync(
            new("tags", "Description"), new("address", "MailingStreet"), new("attributes", "textarea_field__c"), new("tenure", "Title"),
            new("big", "number_field__c"), new("score", "currency_field__c"), new("seen_at", "datetime_field__c")), TestOrg.Ct));

        var problems = await destination.CheckAsync(Sync(
            new("tags", "Email"), new("photo", "Description"), new("tenure", "float_field__c"), new("attributes", "url_field__c"),
            new("opens_at", "Birthdate")), TestOrg.Ct);
        Assert.Contains(problems, p => p.Column == "tags" && p.Message.Contains("tags (INTEGER[])", StringComparison.Ordinal) && p.Message.Contains("JSON", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Column == "photo" && p.Message.Contains("photo (BLOB)", StringComparison.Ordinal) && p.Message.Contains("base64", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Column == "tenure" && p.Message.Contains("tenure (INTERVAL)", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Column == "attributes" && p.Message.Contains("MAP(VARCHAR, INTEGER)", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Column == "opens_at" && p.Message.Contains("TIME", StringComparison.Ordinal));
        Assert.Equal(5, problems.Count);
    }

    [Fact]
    public async Task Nested_values_rendered_as_json_text_are_delivered_into_a_text_area()
    {
        await using var org = await TestOrg.StartAsync();
        await using var destination = TestOrg.Destination(org);
        ModelColumn[] columns = [new("ext_id", ValueKind.Text, "VARCHAR"), new("last_name", ValueKind.Text, "VARCHAR"), new("tags", ValueKind.Other, "VARCHAR[]")];
        var sync = new SyncContext("contacts", SyncMode.Upsert, ModelKind.User, new FieldMapping("ext_id", "Custom_External_ID__c"),
            [new("last_name", "LastName"), new("tags", "Description")], columns);
        // The DuckDB source hands LIST values over as JSON text.
        var results = await Runner.RunAsync(destination, sync, [new DeliveryRecord("k1", RecordOperation.Upsert, "E1", ["Lovelace", "[\"a\",\"b\"]"], null)]);
        Assert.Equal(RecordOutcome.Delivered, results["k1"].Outcome);
        Assert.Equal("[\"a\",\"b\"]", org.GetRecords("Contact").Single().Text("Description"));
    }
}

using Sluice.Core.Destinations;
using Sluice.Core.Models;
using Sluice.Destinations.Salesforce.Tests.Support;

namespace Sluice.Destinations.Salesforce.Tests;

/// <summary>Each mode and each record outcome through sObject Collections.</summary>
public sealed class CollectionsTests
{
    [Fact]
    public async Task Insert_creates_every_row_with_its_values_and_returns_the_new_ids()
    {
        await using var org = await TestOrg.StartAsync();
        await using var destination = TestOrg.Destination(org);
        var results = await Runner.RunAsync(destination, Contacts.Sync(SyncMode.Insert), Contacts.Rows(450, RecordOperation.Create));

        Assert.Equal(450, results.Count);
        Assert.All(results.Values, r => Assert.Equal(RecordOutcome.Delivered, r.Outcome));
        Assert.Equal(450, org.CountRecords("Contact"));
        var stored = org.GetRecord(results["k7"].DestinationId!)!;
        Assert.Equal("First7", stored.Text("FirstName"));
        Assert.Equal("Last7", stored.Text("LastName"));
        Assert.Equal("p7@example.com", stored.Text("Email"));
        Assert.Equal("EXT-7", stored.Text("Custom_External_ID__c")); // the match value is written so the row can be found again
        Assert.Equal("1990-01-08", stored.Text("Birthdate"));
        Assert.Equal(17.25, Convert.ToDouble(stored["number_field__c"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(false, stored["checkbox_field__c"]);
        Assert.StartsWith("2024-05-01T12:07:00", stored.Text("datetime_field__c"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Insert_of_a_changed_row_creates_a_new_record_and_leaves_the_original_as_it_was()
    {
        await using var org = await TestOrg.StartAsync();
        await using var destination = TestOrg.Destination(org);
        var first = await Runner.RunAsync(destination, Contacts.Sync(SyncMode.Insert), [Contacts.Row(1, RecordOperation.Create)]);
        var originalId = first["k1"].DestinationId!;

        var changed = Contacts.Row(1, RecordOperation.Create, destinationId: originalId, lastName: "Married");
        var second = await Runner.RunAsync(destination, Contacts.Sync(SyncMode.Insert), [changed]);

        Assert.NotEqual(originalId, second["k1"].DestinationId);
        Assert.Equal(2, org.CountRecords("Contact"));
        Assert.Equal("Last1", org.GetRecord(originalId)!.Text("LastName"));
        Assert.Equal("Married", org.GetRecord(second["k1"].DestinationId!)!.Text("LastName"));
        // The match field is a unique External ID: the original keeps it, the new line is created without it.
        Assert.Equal("EXT-1", org.GetRecord(originalId)!.Text("Custom_External_ID__c"));
        Assert.Null(org.GetRecord(second["k1"].DestinationId!)!.Text("Custom_External_ID__c"));
    }

    [Fact]
    public async Task Update_by_Id_changes_existing_records_and_reports_unknown_ids_as_not_found()
    {
        await using var org = await TestOrg.StartAsync();
        await using var destination = TestOrg.Destination(org);
        var created = await Runner.RunAsync(destination, Contacts.Sync(SyncMode.Insert), Contacts.Rows(3, RecordOperation.Create));

        var rows = Enumerable.Range(0, 3)
            .Select(n => Contacts.Row(n, RecordOperation.Update, match: created[$"k{n}"].DestinationId, lastName: $"Renamed{n}"))
            .Append(Contacts.Row(9, RecordOperation.Update, match: "0035E00000ZZZZZ"))
            .Append(Contacts.Row(10, RecordOperation.Update, match: "not-an-id"))
            .ToList();
        var results = await Runner.RunAsync(destination, Contacts.Sync(SyncMode.Update, Contacts.ById), rows);

        for (var n = 0; n < 3; n++)
        {
            Assert.Equal(RecordOutcome.Delivered, results[$"k{n}"].Outcome);
            Assert.Equal(created[$"k{n}"].DestinationId, results[$"k{n}"].DestinationId);
            Assert.Equal($"Renamed{n}", org.GetRecord(created[$"k{n}"].DestinationId!)!.Text("LastName"));
        }
        Assert.Equal(RecordOutcome.NotFound, results["k9"].Outcome);
        Assert.Equal(RecordOutcome.Rejected, results["k10"].Outcome);
        Assert.Equal("MALFORMED_ID", results["k10"].Code);
        Assert.Equal(3, org.CountRecords("Contact"));
    }

    [Fact]
    public async Task Update_by_external_id_finds_the_records_and_never_creates_the_missing_ones()
    {
        await using var org = await TestOrg.StartAsync();
        await using var destination = TestOrg.Destination(org);
        await Runner.RunAsync(destination, Contacts.Sync(SyncMode.Insert), Contacts.Rows(250, RecordOperation.Create));

        var rows = Contacts.Rows(260, RecordOperation.Update).Select(r => r with { Values = [.. r.Values.Select((v, i) => i == 1 ? "Updated" : v)] }).ToList();
        var results = await Runner.RunAsync(destination, Contacts.Sync(SyncMode.Update), rows);

        Assert.Equal(250, results.Values.Count(r => r.Outcome == RecordOutcome.Delivered));
        Assert.All(Enumerable.Range(250, 10), n => Assert.Equal(RecordOutcome.NotFound, results[$"k{n}"].Outcome));
        Assert.Equal(250, org.CountRecords("Contact"));
        Assert.All(org.GetRecords("Contact"), r => Assert.Equal("Updated", r.Text("LastName")));
    }

    [Fact]
    public async Task Update_by_a_lookup_field_rejects_a_value_shared_by_several_records()
    {
        await using var org = await TestOrg.StartAsync();
        await using var destination = TestOrg.Destination(org);
        await Runner.RunAsync(destination, Contacts.Sync(SyncMode.Insert),
            [Contacts.Row(1, RecordOperation.Create, email: "same@example.com"), Contacts.Row(2, RecordOperation.Create, email: "same@example.com"), Contacts.Row(3, RecordOperation.Create)]);

        var results = await Runner.RunAsync(destination, Contacts.Sync(SyncMode.Update, Contacts.ByEmail),
            [Contacts.Row(1, RecordOperation.Update, match: "same@example.com", email: "same@example.com"), Contacts.Row(3, RecordOperation.Update, match: "P3@EXAMPLE.COM", email: "p3@example.com")]);

        Assert.Equal(RecordOutcome.Rejected, results["k1"].Outcome);
        Assert.Equal("MULTIPLE_MATCHES", results["k1"].Code);
        Assert.Equal(RecordOutcome.Delivered, results["k3"].Outcome); // lookups ignore case, as SOQL does
    }

    [Fact]
    public async Task Upsert_creates_missing_records_then_updates_them_by_external_id()
    {
        await using var org = await TestOrg.StartAsync();
        await using var destination = TestOrg.Destination(org);
        var first = await Runner.RunAsync(destination, Contacts.Sync(SyncMode.Upsert), Contacts.Rows(300, RecordOperation.Upsert));
        Assert.All(first.Values, r => Assert.Equal(RecordOutcome.Delivered, r.Outcome));
        Assert.Equal(300, org.CountRecords("Contact"));

        var again = Contacts.Rows(310, RecordOperation.Upsert).Select(r => r with { Values = [.. r.Values.Select((v, i) => i == 0 ? "Again" : v)] }).ToList();
        var second = await Runner.RunAsync(destination, Contacts.Sync(SyncMode.Upsert), again);

        Assert.All(second.Values, r => Assert.Equal(RecordOutcome.Delivered, r.Outcome));
        Assert.Equal(first["k42"].DestinationId, second["k42"].DestinationId);
        Assert.Equal(310, org.CountRecords("Contact"));
        Assert.All(org.GetRecords("Contact"), r => Assert.Equal("Again", r.Text("FirstName")));
    }

    [Fact]
    public async Task A_partly_bad_batch_delivers_the_good_rows_and_rejects_the_bad_ones_with_the_services_reasons()
    {
        await using var org = await TestOrg.StartAsync();
        await using var destination = TestOrg.Destination(org);
        var rows = Contacts.Rows(10, RecordOperation.Upsert);
        rows[3] = Contacts.Row(3, RecordOperation.Upsert, email: "not-an-email");
        rows[5] = Contacts.Row(5, RecordOperation.Upsert, lastName: new string('x', 81));
        rows[7] = Contacts.Row(7, RecordOperation.Upsert) with { MatchValue = null };
        rows[8] = Contacts.Row(8, RecordOperation.Upsert) with { Values = [.. Contacts.Row(8, RecordOperation.Upsert).Values.Select((v, i) => i == 3 ? double.NaN : v)] };

        var results = await Runner.RunAsync(destination, Contacts.Sync(SyncMode.Upsert), rows);

        Assert.Equal("INVALID_EMAIL_ADDRESS", results["k3"].Code);
        Assert.Contains("not-an-email", results["k3"].Reason, StringComparison.Ordinal);
        Assert.Equal("STRING_TOO_LONG", results["k5"].Code);
        Assert.Equal(RecordOutcome.Rejected, results["k7"].Outcome);
        Assert.Equal(RecordOutcome.Rejected, results["k8"].Outcome);
        Assert.Contains("number_field__c", results["k8"].Reason, StringComparison.Ordinal);
        Assert.Equal(6, results.Values.Count(r => r.Outcome == RecordOutcome.Delivered));
        Assert.Equal(6, org.CountRecords("Contact"));
    }

    [Fact]
    public async Task Null_values_clear_fields_on_update()
    {
        await using var org = await TestOrg.StartAsync();
        await using var destination = TestOrg.Destination(org);
        await Runner.RunAsync(destination, Contacts.Sync(SyncMode.Upsert), [Contacts.Row(1, RecordOperation.Upsert)]);
        var cleared = Contacts.Row(1, RecordOperation.Upsert) with { Values = ["First1", "Last1", null, null, false, null, null] };
        var results = await Runner.RunAsync(destination, Contacts.Sync(SyncMode.Upsert), [cleared]);

        Assert.Equal(RecordOutcome.Delivered, results["k1"].Outcome);
        var stored = Assert.Single(org.GetRecords("Contact"));
        Assert.Null(stored.Text("Email"));
        Assert.Null(stored.Text("Birthdate"));
        Assert.Equal("Last1", stored.Text("LastName"));
    }
}

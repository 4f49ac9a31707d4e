using Sluice.Core.Destinations;
using Sluice.Core.Models;

namespace Sluice.Destinations.Actito.Tests;

public sealed class DeliveryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Missing_mapped_attributes_are_created_with_types_derived_from_the_columns()
    {
        await using var harness = await Harness.StartAsync();
        await harness.RunAsync(harness.SingleCalls(), Customers.Sync(SyncMode.Upsert), Customers.Records([1], RecordOperation.Upsert));

        var types = await harness.AttributeTypesAsync();
        Assert.Equal(("CUSTOM", "STRING"), types["lifetimeValue"]); // Actito documents no decimal value type
        Assert.Equal(("CUSTOM", "DATE"), types["signupDate"]);
        Assert.Equal(("CUSTOM", "TIMESTAMP"), types["lastSeen"]);
        Assert.Equal(("CUSTOM", "BOOLEAN"), types["isVip"]);
        Assert.Equal(("CUSTOM", "INTEGER"), types["orderCount"]);
        Assert.Equal("FIRSTNAME", types["firstName"].Type); // existing attributes are left as they are
        Assert.Equal(5, harness.Emulator.GetStats().AttributesCreated);
    }

    [Theory]
    [InlineData("single")]
    [InlineData("bulk")]
    public async Task Upsert_creates_missing_profiles_and_updates_existing_ones_with_documented_value_formats(string transport)
    {
        await using var harness = await Harness.StartAsync();
        var destination = Harness.ByTransport(harness, transport);
        var sync = Customers.Sync(SyncMode.Upsert);

        var first = await harness.RunAsync(destination, sync, Customers.Records(Enumerable.Range(1, 8), RecordOperation.Upsert));
        Assert.All(first.Values, r => Assert.Equal(RecordOutcome.Delivered, r.Outcome));

        var second = await harness.RunAsync(destination, sync,
            [Customers.Record(3, RecordOperation.Upsert, firstName: "Renamed"), .. Customers.Records(Enumerable.Range(9, 3), RecordOperation.Upsert)]);
        Assert.All(second.Values, r => Assert.Equal(RecordOutcome.Delivered, r.Outcome));

        var profiles = harness.ProfilesByCustomerId();
        Assert.Equal(11, profiles.Count);
        var three = profiles["C-3"];
        Assert.Equal("Renamed", three["firstName"]);
        Assert.Equal("user3@example.com", three["emailAddress"]);
        Assert.Equal("15.5", three["lifetimeValue"]);
        Assert.Equal("2024-01-04", three["signupDate"]);
        Assert.Equal("2024-05-06 07:11:09", three["lastSeen"]);
        Assert.Equal("false", three["isVip"]);
        Assert.Equal("3", three["orderCount"]);
        Assert.Equal("true", profiles["C-4"]["isVip"]);
    }

    [Fact]
    public async Task Single_calls_return_the_profileId_as_destination_id()
    {
        await using var harness = await Harness.StartAsync();
        var results = await harness.RunAsync(harness.SingleCalls(), Customers.Sync(SyncMode.Upsert), Customers.Records([1, 2], RecordOperation.Upsert));
        var ids = harness.ProfilesByCustomerId(withTechnical: true).ToDictionary(p => p.Key, p => p.Value["profileId"]);
        Assert.Equal(ids["C-1"], results["k1"].DestinationId);
        Assert.Equal(ids["C-2"], results["k2"].DestinationId);
    }

    [Fact]
    public async Task The_bulk_path_and_the_single_call_path_leave_the_same_profiles()
    {
        await using var viaSingle = await Harness.StartAsync();
        await using var viaBulk = await Harness.StartAsync();
        // Someone else's profile, created before the runs, in both tables.
        foreach (var harness in new[] { viaSingle, viaBulk })
            harness.Emulator.SeedProfile(new Dictionary<string, string?> { ["customerId"] = "C-2", ["firstName"] = "Theirs", ["emailAddress"] = "theirs@example.com" });

        async Task Scenario(Harness harness, IDestination destination)
        {
            await harness.RunAsync(destination, Customers.Sync(SyncMode.Insert), Customers.Records(Enumerable.Range(1, 60), RecordOperation.Create));
            await harness.RunAsync(destination, Customers.Sync(SyncMode.Update),
                [.. Enumerable.Range(10, 60).Select(i => Customers.Record(i, RecordOperation.Update, firstName: $"Updated{i}"))]);
            await harness.RunAsync(destination, Customers.Sync(SyncMode.Upsert),
                [.. Enumerable.Range(50, 30).Select(i => Customers.Record(i, RecordOperation.Upsert, firstName: $"Upserted{i}"))]);
        }

        await Scenario(viaSingle, viaSingle.SingleCalls());
        await Scenario(viaBulk, viaBulk.Bulk());

        var single = viaSingle.ProfilesByCustomerId();
        var bulk = viaBulk.ProfilesByCustomerId();
        Assert.Equal(79, single.Count);
        Assert.Equal(single.Keys.Order(), bulk.Keys.Order());
        foreach (var (customerId, attributes) in single)
            Assert.Equal(attributes.OrderBy(kv => kv.Key), bulk[customerId].OrderBy(kv => kv.Key));
        Assert.Equal("Theirs", bulk["C-2"]["firstName"]);
        Assert.Equal(0, viaSingle.Emulator.GetStats().ImportsRun);
        Assert.Equal(3, viaBulk.Emulator.GetStats().ImportsRun);
    }

    [Theory]
    [InlineData("single")]
    [InlineData("bulk")]
    public async Task Insert_creates_new_profiles_and_leaves_an_existing_one_untouched(string transport)
    {
        await using var harness = await Harness.StartAsync();
        var existingId = harness.Emulator.SeedProfile(new Dictionary<string, string?> { ["customerId"] = "C-2", ["firstName"] = "Theirs" });

        var results = await harness.RunAsync(Harness.ByTransport(harness, transport), Customers.Sync(SyncMode.Insert),
            Customers.Records([1, 2, 3], RecordOperation.Create));

        Assert.Equal(RecordOutcome.Delivered, results["k1"].Outcome);
        Assert.Equal(RecordOutcome.Skipped, results["k2"].Outcome);
        Assert.Equal(RecordOutcome.Delivered, results["k3"].Outcome);
        if (transport == "single") Assert.Equal(existingId.ToString(System.Globalization.CultureInfo.InvariantCulture), results["k2"].DestinationId);
        var profiles = harness.ProfilesByCustomerId();
        Assert.Equal(3, profiles.Count);
        Assert.Equal("Theirs", profiles["C-2"]["firstName"]);
        Assert.False(profiles["C-2"].ContainsKey("emailAddress"));
        Assert.Equal("Name1", profiles["C-1"]["firstName"]);
    }

    [Theory]
    [InlineData("single")]
    [InlineData("bulk")]
    public async Task Update_changes_existing_profiles_and_reports_missing_ones_as_not_found(string transport)
    {
        await using var harness = await Harness.StartAsync();
        harness.Emulator.SeedProfile(new Dictionary<string, string?> { ["customerId"] = "C-1", ["firstName"] = "Before" });

        var results = await harness.RunAsync(Harness.ByTransport(harness, transport), Customers.Sync(SyncMode.Update),
            Customers.Records([1, 2], RecordOperation.Update));

        Assert.Equal(RecordOutcome.Delivered, results["k1"].Outcome);
        Assert.Equal(RecordOutcome.NotFound, results["k2"].Outcome);
        var profiles = harness.ProfilesByCustomerId();
        Assert.Single(profiles);
        Assert.Equal("Name1", profiles["C-1"]["firstName"]);
    }

    [Fact]
    public async Task Update_by_the_ledger_profileId_falls_back_to_the_key_when_that_profile_is_gone()
    {
        await using var harness = await Harness.StartAsync();
        var destination = harness.SingleCalls();
        await harness.RunAsync(destination, Customers.Sync(SyncMode.Upsert), Customers.Records([1, 2], RecordOperation.Upsert));
        // Someone deletes C-1 and recreates it (new profileId); C-2 is deleted for good.
        var oldId = harness.Ledger["k1"]!;
        await harness.RunAsync(destination, Customers.Sync(SyncMode.Mirror),
            [Customers.Record(1, RecordOperation.Delete, oldId), Customers.Record(2, RecordOperation.Delete, harness.Ledger["k2"])]);
        harness.Emulator.SeedProfile(new Dictionary<string, string?> { ["customerId"] = "C-1", ["firstName"] = "Recreated" });

        var results = await harness.RunAsync(destination, Customers.Sync(SyncMode.Update),
            [Customers.Record(1, RecordOperation.Update, oldId), Customers.Record(2, RecordOperation.Update, "999999")]);

        Assert.Equal(RecordOutcome.Delivered, results["k1"].Outcome);
        Assert.NotEqual(oldId, results["k1"].DestinationId);
        Assert.Equal(RecordOutcome.NotFound, results["k2"].Outcome);
        Assert.Equal("Name1", harness.ProfilesByCustomerId()["C-1"]["firstName"]);
    }

    [Theory]
    [InlineData("single")]
    [InlineData("bulk")]
    public async Task Mirror_deletes_exactly_the_given_records(string transport)
    {
        await using var harness = await Harness.StartAsync();
        var destination = Harness.ByTransport(harness, transport);
        var sync = Customers.Sync(SyncMode.Mirror);
        var other = harness.Emulator.SeedProfile(new Dictionary<string, string?> { ["customerId"] = "X-1", ["firstName"] = "Not ours" });
        await harness.RunAsync(destination, sync, Customers.Records(Enumerable.Range(1, 6), RecordOperation.Upsert));

        // Rows 2 and 4 left the model; row 6 changed. The ledger holds profileIds for single-call rows and key
        // references (customerId=C-2) for rows written by an import.
        var results = await harness.RunAsync(destination, sync,
        [
            Customers.Record(2, RecordOperation.Delete, harness.Ledger["k2"]),
            Customers.Record(4, RecordOperation.Delete, harness.Ledger["k4"]),
            Customers.Record(6, RecordOperation.Upsert, firstName: "Changed"),
        ]);

        Assert.All(results.Values, r => Assert.Equal(RecordOutcome.Delivered, r.Outcome));
        var profiles = harness.ProfilesByCustomerId();
        Assert.Equal(["C-1", "C-3", "C-5", "C-6", "X-1"], profiles.Keys.Order());
        Assert.Equal("Changed", profiles["C-6"]["firstName"]);
        Assert.Equal(2, harness.Emulator.GetStats().ProfilesDeleted);
        Assert.Contains(harness.Emulator.GetProfiles(), p => p["profileId"] == other.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Many_mirror_deletes_never_use_an_import_mode_and_go_through_single_deletes_by_profileId()
    {
        await using var harness = await Harness.StartAsync();
        var single = harness.SingleCalls();
        await harness.RunAsync(single, Customers.Sync(SyncMode.Mirror), Customers.Records(Enumerable.Range(1, 12), RecordOperation.Upsert));

        var deletes = Enumerable.Range(1, 8).Select(i => Customers.Record(i, RecordOperation.Delete, harness.Ledger[Customers.Key(i)])).ToList();
        deletes.Add(Customers.Record(40, RecordOperation.Delete, "987654")); // already gone
        var results = await harness.RunAsync(harness.Bulk(), Customers.Sync(SyncMode.Mirror), deletes);

        Assert.All(results.Values, r => Assert.Equal(RecordOutcome.Delivered, r.Outcome));
        Assert.Equal(["C-10", "C-11", "C-12", "C-9"], harness.ProfilesByCustomerId().Keys.Order());
        var stats = harness.Emulator.GetStats();
        Assert.Equal(0, stats.ImportsRun);
        Assert.Equal(8, stats.ProfilesDeleted);
        Assert.Equal(9, stats.RequestsPerEndpoint["profile.delete"]);
        Assert.False(stats.RequestsPerEndpoint.ContainsKey("etl.execute"));
        Assert.False(stats.RequestsPerEndpoint.ContainsKey("import.v4Removed"));
    }

    [Fact]
    public async Task Rows_written_by_an_etl_execution_are_referenced_by_key_and_deleted_later_one_by_one()
    {
        await using var harness = await Harness.StartAsync();
        var sync = Customers.Sync(SyncMode.Mirror);
        var created = await harness.RunAsync(harness.Bulk(), sync, Customers.Records(Enumerable.Range(1, 70), RecordOperation.Upsert));
        Assert.Equal("customerId=C-1", created["k1"].DestinationId);

        // Each delete looks the profile up by key, then deletes it by profileId; no deletion import exists.
        var few = await harness.RunAsync(harness.SingleCalls(), sync,
            [.. Enumerable.Range(1, 3).Select(i => Customers.Record(i, RecordOperation.Delete, harness.Ledger[Customers.Key(i)]))]);
        var many = await harness.RunAsync(harness.Destination(), sync,
            [.. Enumerable.Range(4, 60).Select(i => Customers.Record(i, RecordOperation.Delete, harness.Ledger[Customers.Key(i)]))]);

        Assert.All(few.Values.Concat(many.Values), r => Assert.Equal(RecordOutcome.Delivered, r.Outcome));
        Assert.Equal(Enumerable.Range(64, 7).Select(Customers.CustomerId).Order(), harness.ProfilesByCustomerId().Keys.Order());
        var stats = harness.Emulator.GetStats();
        Assert.Equal(1, stats.ImportsRun);
        Assert.Equal(63, stats.ProfilesDeleted);
        Assert.Equal(63, stats.RequestsPerEndpoint["profile.delete"]);
    }

    [Fact]
    public async Task A_large_upsert_goes_through_one_etl_execution_and_its_rejected_lines_come_back_with_actitos_reason()
    {
        await using var harness = await Harness.StartAsync();
        var records = Customers.Records(Enumerable.Range(1, 500), RecordOperation.Upsert);
        records[99] = Customers.Record(100, RecordOperation.Upsert, email: "not-an-email");
        records[399] = Customers.Record(400, RecordOperation.Upsert, email: "also bad");

        var results = await harness.RunAsync(harness.Destination(), Customers.Sync(SyncMode.Upsert), records);

        var stats = harness.Emulator.GetStats();
        Assert.Equal(1, stats.RequestsPerEndpoint["etl.execute"]);
        Assert.Equal(1, stats.ImportsRun);
        Assert.False(stats.RequestsPerEndpoint.ContainsKey("import.v4Removed"));
        Assert.False(stats.RequestsPerEndpoint.ContainsKey("profile.create")); // nothing fell back to single calls
        var rejected = results.Values.Where(r => r.Outcome != RecordOutcome.Delivered).OrderBy(r => r.Key, StringComparer.Ordinal).ToList();
        Assert.Equal(["k100", "k400"], rejected.Select(r => r.Key));
        Assert.All(rejected, r =>
        {
            Assert.Equal(RecordOutcome.Rejected, r.Outcome);
            Assert.Equal("INVALID_EMAIL", r.Code);
            Assert.Contains("e-mail", r.Reason, StringComparison.OrdinalIgnoreCase);
        });
        Assert.Equal(498, harness.ProfilesByCustomerId().Count);
    }

    [Fact]
    public async Task A_delete_with_neither_profileId_nor_match_value_is_rejected_not_guessed()
    {
        await using var harness = await Harness.StartAsync();
        var results = await harness.RunAsync(harness.SingleCalls(), Customers.Sync(SyncMode.Mirror),
            [new DeliveryRecord("k1", RecordOperation.Delete, null, [], null)]);
        Assert.Equal(RecordOutcome.Rejected, results["k1"].Outcome);
        Assert.Equal("NO_PROFILE_REFERENCE", results["k1"].Code);
    }

    [Theory]
    [InlineData("single")]
    [InlineData("bulk")]
    public async Task A_profile_with_a_bad_email_is_rejected_with_the_reason_while_the_rest_of_its_batch_lands(string transport)
    {
        await using var harness = await Harness.StartAsync();
        var records = Customers.Records(Enumerable.Range(1, 10), RecordOperation.Upsert);
        records[4] = Customers.Record(5, RecordOperation.Upsert, email: "not-an-email");

        var results = await harness.RunAsync(Harness.ByTransport(harness, transport), Customers.Sync(SyncMode.Upsert), records);

        var rejected = Assert.Single(results.Values, r => r.Outcome != RecordOutcome.Delivered);
        Assert.Equal("k5", rejected.Key);
        Assert.Equal(RecordOutcome.Rejected, rejected.Outcome);
        Assert.Contains("e-mail", rejected.Reason, StringComparison.OrdinalIgnoreCase);
        Assert.NotNull(rejected.Code);
        var profiles = harness.ProfilesByCustomerId();
        Assert.Equal(9, profiles.Count);
        Assert.DoesNotContain("C-5", profiles.Keys);
    }

    [Fact]
    public async Task Reconcile_finds_the_profiles_an_interrupted_insert_created()
    {
        await using var harness = await Harness.StartAsync();
        var destination = harness.SingleCalls();
        var sync = Customers.Sync(SyncMode.Insert);
        await harness.RunAsync(destination, sync, Customers.Records([1, 2], RecordOperation.Create));

        await using var writer = await destination.OpenAsync(sync, new PlanCounts(3, 0, 0, 0), Ct);
        var results = await writer.ReconcileAsync(new DeliveryBatch(sync.Mappings, Customers.Records([1, 2, 3], RecordOperation.Create)), Ct);

        Assert.Equal(RecordOutcome.Delivered, results.Single(r => r.Key == "k1").Outcome);
        Assert.Equal(harness.Ledger["k1"], results.Single(r => r.Key == "k1").DestinationId);
        Assert.Equal(RecordOutcome.Delivered, results.Single(r => r.Key == "k2").Outcome);
        Assert.Equal(RecordOutcome.NotFound, results.Single(r => r.Key == "k3").Outcome);
    }

    [Fact]
    public async Task Values_with_separators_quotes_and_line_breaks_survive_an_import()
    {
        await using var harness = await Harness.StartAsync();
        var records = Customers.Records(Enumerable.Range(1, 4), RecordOperation.Upsert);
        records[1] = Customers.Record(2, RecordOperation.Upsert, firstName: "Anne; \"Nan\"\nMarie");
        records[2] = Customers.Record(3, RecordOperation.Upsert, email: "bad address");

        var results = await harness.RunAsync(harness.Bulk(), Customers.Sync(SyncMode.Upsert), records);

        Assert.Equal(RecordOutcome.Delivered, results["k2"].Outcome);
        Assert.Equal(RecordOutcome.Rejected, results["k3"].Outcome);
        Assert.Equal(RecordOutcome.Delivered, results["k4"].Outcome);
        Assert.Equal("Anne; \"Nan\"\nMarie", harness.ProfilesByCustomerId()["C-2"]["firstName"]);
    }
}

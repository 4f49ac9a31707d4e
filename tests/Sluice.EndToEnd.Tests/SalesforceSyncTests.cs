using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Sluice.EndToEnd.Tests.Support;

namespace Sluice.EndToEnd.Tests;

/// <summary>
/// The `sluice` binary against the Salesforce emulator, as a user runs it; what Salesforce holds is read back through
/// its REST API (SOQL query and GET sobjects).
/// </summary>
public sealed class SalesforceSyncTests
{
    private const string Sync = SalesforceProject.SyncName;
    private const string ContactFields = "Email, FirstName, LastName, Birthdate";

    private static long Count(SluiceResult run, string name) => run.Json["runs"]![0]!["counts"]![name]!.GetValue<long>();

    private static string Text(JsonObject record, string field) => record[field]?.GetValue<string>() ?? "(null)";

    private static void AssertOk(SluiceResult result) => Assert.True(result.ExitCode == 0, result.ToString());

    /// <summary>
    /// Contains, ignoring how the output was wrapped (problems are wrapped to the console width), with the whole
    /// output in the failure message.
    /// </summary>
    private static void AssertSays(string output, string words, StringComparison comparison = StringComparison.Ordinal) =>
        Assert.True(Regex.Replace(output, @"\s+", " ").Contains(words, comparison), $"expected \"{words}\" in:\n{output}");

    [Fact]
    public async Task Upsert_creates_every_contact_then_updates_only_the_changed_ones_in_place()
    {
        await using var project = await SalesforceProject.CreateAsync();
        var people = SalesforceProject.People(30);
        await project.WritePeopleAsync(people);

        var first = await project.SluiceAsync("run", Sync, "--json");

        AssertOk(first);
        Assert.Equal(30, Count(first, "delivered"));
        var contacts = await project.ByExternalIdAsync("Contact", ContactFields);
        Assert.Equal(30, contacts.Count);
        var p7 = contacts["P-7"];
        Assert.Equal("p7@example.com", Text(p7, "Email"));
        Assert.Equal("First7", Text(p7, "FirstName"));
        Assert.Equal("Last7", Text(p7, "LastName"));
        Assert.Equal("1980-01-08", Text(p7, "Birthdate"));

        people[2] = people[2] with { FirstName = "Renamed" };
        people[6] = people[6] with { Birthdate = new DateOnly(1999, 12, 31) };
        people[9] = people[9] with { Note = "only an unmapped column changed" };
        people.Add(new Person(31, "new@example.com", "New", "Person", null));
        await project.WritePeopleAsync(people);
        var plan = await project.SluiceAsync("plan", Sync, "--json");
        var second = await project.SluiceAsync("run", Sync, "--json");

        AssertOk(plan);
        Assert.Equal(1, plan.Json["counts"]!["added"]!.GetValue<long>());
        Assert.Equal(2, plan.Json["counts"]!["changed"]!.GetValue<long>());
        AssertOk(second);
        Assert.Equal(3, Count(second, "delivered"));
        var after = await project.ByExternalIdAsync("Contact", ContactFields);
        Assert.Equal(31, after.Count);
        Assert.Equal(contacts["P-3"]["Id"]!.GetValue<string>(), after["P-3"]["Id"]!.GetValue<string>());
        Assert.Equal("Renamed", Text(after["P-3"], "FirstName"));
        Assert.Equal("1999-12-31", Text(after["P-7"], "Birthdate"));
        Assert.Equal("First10", Text(after["P-10"], "FirstName"));
        Assert.Equal("(null)", Text(after["P-31"], "Birthdate"));
        var stats = await project.StatsAsync();
        Assert.Equal(31, stats["created"]!["Contact"]!.GetValue<long>());
        Assert.Equal(2, stats["updated"]!["Contact"]!.GetValue<long>());

        var third = await project.SluiceAsync("run", Sync, "--json");
        Assert.Equal(0, Count(third, "planned"));
    }

    [Theory]
    [InlineData("Email")]
    [InlineData("External_Id__c")]
    public async Task Insert_mode_creates_a_new_record_for_a_changed_row_and_leaves_the_original_line_untouched(string matchField)
    {
        var column = matchField == "Email" ? "email" : "external_id";
        await using var project = await SalesforceProject.CreateAsync(new SalesforceSync
        {
            Mode = "insert",
            Match = $"{{ column: {column}, field: {matchField} }}",
        });
        var people = SalesforceProject.People(5);
        await project.WritePeopleAsync(people);
        AssertOk(await project.SluiceAsync("run", Sync));
        var original = Assert.Single(await project.QueryAsync("SELECT Id, FirstName, Email, External_Id__c FROM Contact WHERE LastName = 'Last2'"));

        people[1] = people[1] with { FirstName = "Renamed" };
        await project.WritePeopleAsync(people);
        var run = await project.SluiceAsync("run", Sync, "--json");

        AssertOk(run);
        Assert.Equal(1, Count(run, "changed"));
        Assert.Equal(1, Count(run, "delivered"));
        Assert.Equal(6, (await project.QueryAsync("SELECT Id FROM Contact")).Count);
        var lines = await project.QueryAsync("SELECT Id, FirstName, Email FROM Contact WHERE LastName = 'Last2'");
        Assert.Equal(2, lines.Count);
        var originalId = original["Id"]!.GetValue<string>();
        var kept = (await project.GetRecordAsync("Contact", originalId))!;
        Assert.Equal("First2", Text(kept, "FirstName"));
        Assert.Equal("p2@example.com", Text(kept, "Email"));
        Assert.Equal(Text(original, "External_Id__c"), Text(kept, "External_Id__c"));
        var added = Assert.Single(lines, l => l["Id"]!.GetValue<string>() != originalId);
        Assert.Equal("Renamed", Text(added, "FirstName"));
        Assert.Equal("p2@example.com", Text(added, "Email"));
        Assert.Empty((await project.StatsAsync())["updated"]!.AsObject());

        var again = await project.SluiceAsync("run", Sync, "--json");
        Assert.Equal(0, Count(again, "planned"));
        Assert.Equal(6, (await project.QueryAsync("SELECT Id FROM Contact")).Count);
    }

    [Fact]
    public async Task Update_mode_updates_existing_records_only_and_reports_the_others_as_not_found_until_they_exist()
    {
        await using var project = await SalesforceProject.CreateAsync(new SalesforceSync { Mode = "update" });
        var seeded = new Dictionary<string, string>();
        foreach (var i in new[] { 1, 2, 3 })
            seeded[$"P-{i}"] = await project.CreateRecordAsync("Contact", new JsonObject { ["LastName"] = "Old", ["FirstName"] = "Old", ["External_Id__c"] = $"P-{i}" });
        await project.WritePeopleAsync(SalesforceProject.People(6));

        var run = await project.SluiceAsync("run", Sync, "--json");
        var rejected = await project.SluiceAsync("rejected", Sync, "--json");

        AssertOk(run);
        Assert.Equal(3, Count(run, "delivered"));
        Assert.Equal(3, Count(run, "notFound"));
        var contacts = await project.ByExternalIdAsync("Contact", ContactFields);
        Assert.Equal(["P-1", "P-2", "P-3"], contacts.Keys.Order(StringComparer.Ordinal));
        var p2 = (await project.GetRecordAsync("Contact", seeded["P-2"]))!;
        Assert.Equal("First2", Text(p2, "FirstName"));
        Assert.Equal("Last2", Text(p2, "LastName"));
        Assert.Equal("p2@example.com", Text(p2, "Email"));
        AssertOk(rejected);
        var rows = rejected.Json["rows"]!.AsArray();
        Assert.Equal(["4", "5", "6"], rows.Select(r => r!["key"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.All(rows, r => Assert.Equal("not_found", r!["outcome"]!.GetValue<string>()));
        Assert.Contains("P-5", rows.Single(r => r!["key"]!.GetValue<string>() == "5")!["reason"]!.GetValue<string>(), StringComparison.Ordinal);

        // Looked for again next run: once another integration creates P-4, it is updated; the rest stay not found.
        var p4 = await project.CreateRecordAsync("Contact", new JsonObject { ["LastName"] = "Old", ["External_Id__c"] = "P-4" });
        var again = await project.SluiceAsync("run", Sync, "--json");
        Assert.Equal(1, Count(again, "delivered"));
        Assert.Equal(2, Count(again, "notFound"));
        Assert.Equal("First4", Text((await project.GetRecordAsync("Contact", p4))!, "FirstName"));
        Assert.Equal(4, (await project.QueryAsync("SELECT Id FROM Contact")).Count);
    }

    [Fact]
    public async Task Update_mode_can_match_on_the_salesforce_record_id_and_a_deleted_or_unknown_id_is_not_found()
    {
        await using var project = await SalesforceProject.CreateAsync(new SalesforceSync
        {
            Mode = "update",
            Match = "{ column: note, field: Id }",
            Mappings = ["first_name: FirstName", "last_name: LastName"],
        });
        var ids = new List<string>();
        foreach (var i in new[] { 1, 2 })
            ids.Add(await project.CreateRecordAsync("Contact", new JsonObject { ["LastName"] = "Old", ["Email"] = $"old{i}@example.com" }));
        var unknown = "003" + new string('0', 12) + "AAA"; // well-formed, never created
        var people = SalesforceProject.People(3);
        people[0] = people[0] with { Note = ids[0] };
        people[1] = people[1] with { Note = ids[1][..15] }; // the 15-character form of the same Id
        people[2] = people[2] with { Note = unknown };
        await project.WritePeopleAsync(people);

        var run = await project.SluiceAsync("run", Sync, "--json");
        var rejected = await project.SluiceAsync("rejected", Sync, "--json");

        AssertOk(run);
        Assert.Equal(2, Count(run, "delivered"));
        Assert.Equal(1, Count(run, "notFound"));
        var first = (await project.GetRecordAsync("Contact", ids[0]))!;
        Assert.Equal("First1", Text(first, "FirstName"));
        Assert.Equal("Last1", Text(first, "LastName"));
        Assert.Equal("old1@example.com", Text(first, "Email"));
        Assert.Equal("Last2", Text((await project.GetRecordAsync("Contact", ids[1]))!, "LastName"));
        Assert.Equal(2, (await project.QueryAsync("SELECT Id FROM Contact")).Count);
        var row = Assert.Single(rejected.Json["rows"]!.AsArray());
        Assert.Equal("3", row!["key"]!.GetValue<string>());
        Assert.Equal("not_found", row["outcome"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_partial_batch_failure_delivers_the_good_records_and_rejects_the_bad_ones_with_salesforces_code_and_message()
    {
        await using var project = await SalesforceProject.CreateAsync();
        var people = SalesforceProject.People(20);
        people[4] = people[4] with { Email = "not-an-email" };
        people[8] = people[8] with { LastName = null };
        await project.WritePeopleAsync(people);

        var run = await project.SluiceAsync("run", Sync, "--json");
        var rejected = await project.SluiceAsync("rejected", Sync, "--json");

        AssertOk(run);
        Assert.Equal(18, Count(run, "delivered"));
        Assert.Equal(2, Count(run, "rejected"));
        Assert.Equal(18, (await project.QueryAsync("SELECT Id FROM Contact")).Count);
        AssertOk(rejected);
        var rows = rejected.Json["rows"]!.AsArray().ToDictionary(r => r!["key"]!.GetValue<string>(), r => r!.AsObject());
        Assert.Equal(["5", "9"], rows.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("rejected", rows["5"]["outcome"]!.GetValue<string>());
        Assert.Equal("INVALID_EMAIL_ADDRESS", rows["5"]["code"]!.GetValue<string>());
        Assert.Contains("invalid email address: not-an-email", rows["5"]["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("REQUIRED_FIELD_MISSING", rows["9"]["code"]!.GetValue<string>());
        Assert.Contains("Required fields are missing: [LastName]", rows["9"]["reason"]!.GetValue<string>(), StringComparison.Ordinal);

        // Sent again next run even though nothing changed: Salesforce refuses them again.
        var errorsBefore = (await project.StatsAsync())["recordErrors"]!.GetValue<long>();
        var retry = await project.SluiceAsync("run", Sync, "--json");
        Assert.Equal(2, Count(retry, "planned"));
        Assert.Equal(2, Count(retry, "rejected"));
        Assert.Equal(errorsBefore + 2, (await project.StatsAsync())["recordErrors"]!.GetValue<long>());

        people[4] = people[4] with { Email = "fixed@example.com" };
        people[8] = people[8] with { LastName = "Fixed" };
        await project.WritePeopleAsync(people);
        var fixedRun = await project.SluiceAsync("run", Sync, "--json");
        Assert.Equal(2, Count(fixedRun, "delivered"));
        var contacts = await project.ByExternalIdAsync("Contact", ContactFields);
        Assert.Equal(20, contacts.Count);
        Assert.Equal("fixed@example.com", Text(contacts["P-5"], "Email"));
        Assert.Equal("Fixed", Text(contacts["P-9"], "LastName"));
        Assert.Empty((await project.SluiceAsync("rejected", Sync, "--json")).Json["rows"]!.AsArray());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_access_token_that_expires_mid_run_is_renewed_and_every_record_is_delivered(bool bulk)
    {
        const int total = 6_000;
        await using var project = await SalesforceProject.CreateAsync(new SalesforceSync { BulkThreshold = bulk ? 1 : null });
        await project.WritePeopleAsync(SalesforceProject.People(total));
        await project.SetFaultsAsync(new JsonObject { ["latencyMs"] = 250 });
        var writes = bulk ? "jobs/ingest" : "composite/sobjects";

        SluiceResult run;
        using (var process = SluiceCommand.Start(project.Directory, "run", Sync, "--json"))
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (!process.HasExited && DateTime.UtcNow < deadline
                && !(await project.StatsAsync())["requests"]!.AsObject().Any(r => r.Key.Contains(writes, StringComparison.Ordinal)))
                await Task.Delay(10);
            Assert.False(process.HasExited, "the run finished before its token could be expired");
            await project.ExpireTokensAsync();
            await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromMinutes(2)).Token);
            run = new SluiceResult(process.ExitCode, await stdout, await stderr);
        }
        var stats = await project.StatsAsync();
        await project.SetFaultsAsync(new JsonObject { ["latencyMs"] = 0 });

        AssertOk(run);
        Assert.DoesNotContain(SalesforceProject.ClientSecret, run.Stdout + run.Stderr, StringComparison.Ordinal);
        Assert.Equal(total, Count(run, "delivered"));
        Assert.True(stats["authFailures"]!.GetValue<long>() >= 1, stats.ToJsonString());
        Assert.True(stats["tokensIssued"]!.GetValue<long>() >= 2, stats.ToJsonString());
        var contacts = await project.ByExternalIdAsync("Contact", "FirstName");
        Assert.Equal(total, contacts.Count);
        Assert.Equal("First4321", Text(contacts["P-4321"], "FirstName"));
        Assert.Equal(0, Count(await project.SluiceAsync("run", Sync, "--json"), "planned"));
    }

    [Fact]
    public async Task Bulk_api_and_sobject_collections_leave_the_same_records_in_salesforce()
    {
        await using var viaCollections = await SalesforceProject.CreateAsync(SalesforceSync.Accounts());
        await using var viaBulk = await SalesforceProject.CreateAsync(SalesforceSync.Accounts() with { BulkThreshold = 1 });
        var companies = SalesforceProject.Companies(40);
        companies[10] = companies[10] with { Name = null };
        companies.Add(new Company(41, "Ünïcode, \"quoted\"\nand multi-line", null, null, null));

        async Task<List<(string Key, string Code)>> RunBothAsync()
        {
            var results = new List<List<(string, string)>>();
            foreach (var project in new[] { viaCollections, viaBulk })
            {
                await project.WriteCompaniesAsync(companies);
                AssertOk(await project.SluiceAsync("run", Sync, "--json"));
                var rejected = await project.SluiceAsync("rejected", Sync, "--json");
                results.Add([.. rejected.Json["rows"]!.AsArray().Select(r => (r!["key"]!.GetValue<string>(), r["code"]?.GetValue<string>() ?? ""))
                    .Order()]);
            }
            Assert.Equal(results[0], results[1]);
            return results[0];
        }

        async Task AssertSameAccountsAsync(int expected)
        {
            const string fields = "Name, NumberOfEmployees, AnnualRevenue, Website";
            var a = await viaCollections.ByExternalIdAsync("Account", fields);
            var b = await viaBulk.ByExternalIdAsync("Account", fields);
            Assert.Equal(expected, a.Count);
            Assert.Equal(a.Keys.Order(StringComparer.Ordinal), b.Keys.Order(StringComparer.Ordinal));
            foreach (var key in a.Keys)
            {
                foreach (var field in new[] { "Name", "NumberOfEmployees", "AnnualRevenue", "Website" })
                    Assert.True(JsonNode.DeepEquals(a[key][field], b[key][field]), $"{key}.{field}: collections {a[key][field]?.ToJsonString()} vs bulk {b[key][field]?.ToJsonString()}");
            }
        }

        var firstRejected = await RunBothAsync();
        Assert.Equal([("11", "REQUIRED_FIELD_MISSING")], firstRejected);
        await AssertSameAccountsAsync(40);
        var some = (await viaBulk.ByExternalIdAsync("Account", "Name, NumberOfEmployees, AnnualRevenue, Website"))["A-6"];
        Assert.Equal("Company 6", Text(some, "Name"));
        Assert.Equal(18, some["NumberOfEmployees"]!.GetValue<long>());
        Assert.Equal(6003.0, some["AnnualRevenue"]!.GetValue<double>());
        Assert.Equal("https://c6.example.com", Text(some, "Website"));

        // Updates through both paths, including a value cleared to null and a fixed rejected row.
        companies[1] = companies[1] with { Website = null, Employees = null };
        companies[2] = companies[2] with { Name = "Renamed, Inc.", Revenue = 0.25 };
        companies[10] = companies[10] with { Name = "Now named" };
        companies.Add(new Company(42, "Added", 7, 7.5, "https://added.example.com"));
        var secondRejected = await RunBothAsync();
        Assert.Empty(secondRejected);
        await AssertSameAccountsAsync(42);
        var renamed = (await viaBulk.ByExternalIdAsync("Account", "Name, NumberOfEmployees, AnnualRevenue, Website"));
        Assert.Equal("Renamed, Inc.", Text(renamed["A-3"], "Name"));
        Assert.Null(renamed["A-2"]["Website"]);
        Assert.Null(renamed["A-2"]["NumberOfEmployees"]);
        Assert.Equal("Ünïcode, \"quoted\"\nand multi-line", Text(renamed["A-41"], "Name"));

        Assert.True(await viaBulk.RequestsAsync("POST /services/data/v{version}/jobs/ingest") >= 2);
        Assert.Equal(0, (await viaBulk.StatsAsync())["requests"]!.AsObject().Count(r => r.Key.Contains("composite/sobjects", StringComparison.Ordinal)));
        Assert.Equal(0, await viaCollections.RequestsAsync("POST /services/data/v{version}/jobs/ingest"));
    }

    [Fact]
    public async Task Validate_names_every_mapping_that_does_not_fit_the_contact_object_in_salesforce_terms()
    {
        await using var project = await SalesforceProject.CreateAsync(new SalesforceSync
        {
            Mappings = ["email: Email", "first_name: FirstName", "seats: Birthdate", "note: Favourite_Color__c", "external_id: Name"],
            Match = "{ column: person_id, field: External_Id__c }",
        });
        await project.WritePeopleAsync(SalesforceProject.People(3));

        var validate = await project.SluiceAsync("validate");

        Assert.Equal(2, validate.ExitCode);
        var err = validate.Stderr;
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
        AssertSays(err, "sluice.yaml:", StringComparison.Ordinal);
        // A field that does not exist: create it in Setup, Sluice cannot.
        AssertSays(err, "Contact has no field 'Favourite_Color__c'", StringComparison.Ordinal);
        AssertSays(err, "Setup > Object Manager > Contact", StringComparison.Ordinal);
        AssertSays(err, "Sluice cannot create fields", StringComparison.Ordinal);
        // A field that exists but cannot be written.
        AssertSays(err, "Contact.Name cannot be set when a record is created", StringComparison.Ordinal);
        AssertSays(err, "field-level security", StringComparison.Ordinal);
        // Type mismatches name the column, its type, the field and its type.
        AssertSays(err, "Column 'seats' (BIGINT", StringComparison.OrdinalIgnoreCase);
        AssertSays(err, "Contact.Birthdate (date)", StringComparison.Ordinal);
        AssertSays(err, "Column 'person_id' (BIGINT", StringComparison.OrdinalIgnoreCase);
        AssertSays(err, "Contact.External_Id__c (string)", StringComparison.Ordinal);
        // A required field nothing is mapped to.
        AssertSays(err, "Contact requires LastName on every new record", StringComparison.Ordinal);
        Assert.Equal(0, project.Emulator.CountRecords("Contact"));
    }

    [Theory]
    [InlineData("wrong-kind")]
    [InlineData("update-without-match")]
    [InlineData("upsert-on-id")]
    [InlineData("upsert-on-a-field-that-is-not-an-external-id")]
    [InlineData("update-on-a-field-that-cannot-find-records")]
    public async Task Validate_refuses_a_sync_whose_model_kind_or_object_id_match_does_not_fit_salesforce(string problem)
    {
        var (sync, expected) = problem switch
        {
            "wrong-kind" => (new SalesforceSync { Model = "people_as_custom" },
                new[] { "Salesforce Contact records are people", "needs a user model", "kind: user" }),
            "update-without-match" => (new SalesforceSync { Mode = "update", Match = null },
                ["has no match"]),
            "upsert-on-id" => (new SalesforceSync { Match = "{ column: external_id, field: Id }" },
                ["Upsert matches Contact records by an External ID field"]),
            "upsert-on-a-field-that-is-not-an-external-id" => (new SalesforceSync { Match = "{ column: email, field: Email }" },
                ["Contact.Email is not an External ID field", "Setup > Object Manager > Contact"]),
            _ => (new SalesforceSync { Mode = "update", Match = "{ column: first_name, field: FirstName }" },
                ["Contact.FirstName is neither Id nor an External ID"]),
        };
        await using var project = await SalesforceProject.CreateAsync(sync);
        await project.WritePeopleAsync(SalesforceProject.People(3));

        var validate = await project.SluiceAsync("validate");

        Assert.Equal(2, validate.ExitCode);
        Assert.Contains("sluice.yaml:", validate.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", validate.Stderr, StringComparison.Ordinal);
        foreach (var words in expected)
            AssertSays(validate.Stderr, words);
    }

    [Theory]
    [InlineData("update")]
    [InlineData("upsert")]
    public async Task Validate_says_update_and_upsert_need_the_object_id_match_in_salesforce_words(string mode)
    {
        await using var project = await SalesforceProject.CreateAsync(new SalesforceSync { Mode = mode, Match = null });
        await project.WritePeopleAsync(SalesforceProject.People(3));

        var validate = await project.SluiceAsync("validate");

        Assert.Equal(2, validate.ExitCode);
        AssertSays(validate.Stderr, "\"Object ID\" match");
        AssertSays(validate.Stderr, "External ID");
    }

    [Fact]
    public async Task Validate_accepts_good_syncs_and_update_mode_needs_no_required_field()
    {
        await using var project = await SalesforceProject.CreateAsync();
        await project.WritePeopleAsync(SalesforceProject.People(3));
        AssertOk(await project.SluiceAsync("validate"));

        await project.WriteProjectFileAsync(new SalesforceSync { Mode = "update", Mappings = ["first_name: FirstName"] });
        AssertOk(await project.SluiceAsync("validate"));

        await project.WriteProjectFileAsync(SalesforceSync.Accounts());
        AssertOk(await project.SluiceAsync("validate"));
    }

    [Fact]
    public async Task Validate_checks_the_connected_app_credentials_without_printing_them()
    {
        await using var project = await SalesforceProject.CreateAsync();
        await project.WritePeopleAsync(SalesforceProject.People(3));
        const string wrong = "wrong-secret-7a7a7a";
        await File.WriteAllTextAsync(Path.Combine(project.Directory, ".env"),
            $"SF_LOGIN_URL={project.Emulator.BaseUrl.ToString().TrimEnd('/')}\nSF_CLIENT_ID={SalesforceProject.ClientId}\nSF_CLIENT_SECRET={wrong}\n");

        var validate = await project.SluiceAsync("validate");

        Assert.Equal(2, validate.ExitCode);
        Assert.Contains("client_secret", validate.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, validate.Stdout + validate.Stderr, StringComparison.Ordinal);
    }
}

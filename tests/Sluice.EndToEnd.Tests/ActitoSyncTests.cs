using System.Text.Json.Nodes;
using Sluice.Emulators.Actito;
using Sluice.EndToEnd.Tests.Support;

namespace Sluice.EndToEnd.Tests;

/// <summary>The `sluice` binary against the Actito emulator, as a user runs it; profiles are read back through Actito's API.</summary>
public sealed class ActitoSyncTests
{
    private const string Sync = ActitoProject.Sync;

    private static JsonNode Run(SluiceResult run) => run.Json["runs"]![0]!;

    private static long Count(SluiceResult run, string name) => Run(run)["counts"]![name]!.GetValue<long>();

    private static void Succeeded(SluiceResult run) => Assert.True(run.ExitCode == 0, run.ToString());

    [Fact]
    public async Task An_upsert_creates_the_missing_attributes_typed_from_the_model_and_updates_only_what_changed_next_run()
    {
        await using var project = await ActitoProject.CreateAsync();
        var before = await project.TableAttributesAsync();
        Assert.All(ActitoProject.CreatedAttributes.Keys, name => Assert.False(before.ContainsKey(name), name));
        // A profile someone else created with the same customerId is updated, not duplicated.
        var existingId = await project.SeedAsync(new Dictionary<string, string?>
        {
            ["customerId"] = "C-3",
            ["emailAddress"] = "c3@example.com",
            ["firstName"] = "Old",
        });
        var customers = ActitoProject.Customers(30);
        await project.WriteCustomersAsync(customers);

        var run = await project.SluiceAsync("run", Sync, "--json");

        Succeeded(run);
        Assert.Equal(30, Count(run, "delivered"));
        Assert.Equal(0, Count(run, "rejected"));
        var attributes = await project.TableAttributesAsync();
        foreach (var (name, valueType) in ActitoProject.CreatedAttributes)
        {
            Assert.True(attributes.ContainsKey(name), $"attribute {name} was not created");
            Assert.Equal("CUSTOM", attributes[name]["type"]!.GetValue<string>());
            Assert.Equal(valueType, attributes[name]["valueType"]!.GetValue<string>());
            Assert.False(attributes[name]["unique"]!.GetValue<bool>());
        }
        Assert.Equal("EMAIL_ADDRESS", attributes["emailAddress"]["type"]!.GetValue<string>());
        Assert.False(attributes.ContainsKey("note"));

        var profiles = await project.ListProfilesAsync();
        Assert.Equal(30, profiles.Count);
        Assert.Equal(Enumerable.Range(1, 30).Select(i => ActitoCustomer.RefOf(i)).Order(), profiles.Keys.Order());
        var p = profiles["C-12"];
        Assert.Equal("c12@example.com", p["emailAddress"]);
        Assert.Equal("First12", p["firstName"]);
        Assert.Equal("pro", p["plan"]);
        Assert.Equal("12", p["seats"]);
        Assert.Equal(123m, ActitoProject.Number(p["lifetimeValue"]));
        Assert.Equal("true", p["isActive"]);
        Assert.Equal("2024-01-13", p["signupDate"]);
        Assert.Equal("false", profiles["C-7"]["isActive"]);
        Assert.Equal(existingId.ToString(System.Globalization.CultureInfo.InvariantCulture), profiles["C-3"]["profileId"]);
        Assert.Equal("First3", profiles["C-3"]["firstName"]);

        customers[9] = customers[9] with { Plan = "enterprise" };
        customers[19] = customers[19] with { FirstName = "Renamed", Note = "unmapped" };
        customers[24] = customers[24] with { Note = "an unmapped change sends nothing" };
        customers.Add(new ActitoCustomer(31, "new@example.com", "New", "free", 1, 9.99m, true, new DateOnly(2025, 6, 30)));
        await project.WriteCustomersAsync(customers);
        var again = await project.SluiceAsync("run", Sync, "--json");

        Succeeded(again);
        Assert.Equal(1, Count(again, "added"));
        Assert.Equal(2, Count(again, "changed"));
        Assert.Equal(3, Count(again, "delivered"));
        profiles = await project.ListProfilesAsync();
        Assert.Equal(31, profiles.Count);
        Assert.Equal("enterprise", profiles["C-10"]["plan"]);
        Assert.Equal("Renamed", profiles["C-20"]["firstName"]);
        Assert.Equal("new@example.com", profiles["C-31"]["emailAddress"]);
        Assert.Equal(9.99m, ActitoProject.Number(profiles["C-31"]["lifetimeValue"]));
        Assert.Equal("2025-06-30", profiles["C-31"]["signupDate"]);
        var stats = await project.StatsAsync();
        Assert.Equal(5, stats["attributesCreated"]!.GetValue<long>());
        Assert.Equal(30, stats["profilesCreated"]!.GetValue<long>());
    }

    [Theory]
    [InlineData(ActitoProject.SingleCalls)]
    [InlineData(ActitoProject.BulkImports)]
    public async Task Insert_leaves_an_existing_profile_with_the_key_untouched_and_counts_it_as_skipped(int bulkThreshold)
    {
        await using var project = await ActitoProject.CreateAsync("insert", bulkThreshold);
        await project.SeedAsync(new Dictionary<string, string?>
        {
            ["customerId"] = "C-3",
            ["emailAddress"] = "kept@example.com",
            ["firstName"] = "Kept",
        });
        var customers = ActitoProject.Customers(10);
        await project.WriteCustomersAsync(customers);

        var run = await project.SluiceAsync("run", Sync, "--json");

        Succeeded(run);
        Assert.Equal(9, Count(run, "delivered"));
        Assert.Equal(1, Count(run, "skipped"));
        Assert.Equal(0, Count(run, "rejected"));
        var profiles = await project.ListProfilesAsync();
        Assert.Equal(10, profiles.Count);
        var kept = profiles["C-3"];
        Assert.Equal("Kept", kept["firstName"]);
        Assert.Equal("kept@example.com", kept["emailAddress"]);
        Assert.False(kept.ContainsKey("plan"));
        Assert.Equal("First4", profiles["C-4"]["firstName"]);
        Assert.Equal(9, (await project.StatsAsync())["profilesCreated"]!.GetValue<long>());

        // Insert never modifies what exists: a changed row is not sent again.
        customers[3] = customers[3] with { FirstName = "Changed" };
        await project.WriteCustomersAsync(customers);
        var again = await project.SluiceAsync("run", Sync, "--json");

        Succeeded(again);
        Assert.Equal(1, Count(again, "changed"));
        Assert.Equal(0, Count(again, "sent"));
        Assert.Equal("First4", (await project.GetCustomerAsync(4))!["firstName"]);
        Assert.Equal("Kept", (await project.GetCustomerAsync(3))!["firstName"]);
        Assert.Equal(0, (await project.StatsAsync())["profilesUpdated"]!.GetValue<long>());
    }

    [Theory]
    [InlineData(ActitoProject.SingleCalls)]
    [InlineData(ActitoProject.BulkImports)]
    public async Task Update_never_creates_a_profile_and_reports_the_missing_ones_as_not_found(int bulkThreshold)
    {
        await using var project = await ActitoProject.CreateAsync("update", bulkThreshold);
        for (var i = 1; i <= 4; i++)
        {
            await project.SeedAsync(new Dictionary<string, string?>
            {
                ["customerId"] = ActitoCustomer.RefOf(i),
                ["emailAddress"] = $"old{i}@example.com",
                ["firstName"] = "Old",
            });
        }
        await project.WriteCustomersAsync(ActitoProject.Customers(10));

        var run = await project.SluiceAsync("run", Sync, "--json");
        var rejected = await project.SluiceAsync("rejected", Sync, "--json");

        Succeeded(run);
        Assert.Equal(4, Count(run, "delivered"));
        Assert.Equal(6, Count(run, "notFound"));
        var profiles = await project.ListProfilesAsync();
        Assert.Equal(["C-1", "C-2", "C-3", "C-4"], profiles.Keys.Order());
        Assert.Equal("First1", profiles["C-1"]["firstName"]);
        Assert.Equal("c1@example.com", profiles["C-1"]["emailAddress"]);
        Assert.Equal("4", profiles["C-4"]["seats"]);
        Assert.Null(await project.GetCustomerAsync(5));
        Assert.Equal(0, (await project.StatsAsync())["profilesCreated"]!.GetValue<long>());
        var rows = rejected.Json["rows"]!.AsArray();
        Assert.Equal(["10", "5", "6", "7", "8", "9"], rows.Select(r => r!["key"]!.GetValue<string>()).Order());
        Assert.All(rows, r => Assert.Equal("not_found", r!["outcome"]!.GetValue<string>()));

        // Looked for again next run: once the profile exists in Actito, it is updated.
        await project.SeedAsync(new Dictionary<string, string?> { ["customerId"] = "C-5", ["firstName"] = "Old" });
        var again = await project.SluiceAsync("run", Sync, "--json");

        Succeeded(again);
        Assert.Equal(1, Count(again, "delivered"));
        Assert.Equal(5, Count(again, "notFound"));
        Assert.Equal("First5", (await project.GetCustomerAsync(5))!["firstName"]);
        Assert.Equal(5, (await project.ListProfilesAsync()).Count);
    }

    [Fact]
    public async Task Mirror_deletes_exactly_the_rows_that_left_the_model_and_never_a_profile_it_did_not_deliver()
    {
        await using var project = await ActitoProject.CreateAsync("mirror");
        await project.SeedAsync(new Dictionary<string, string?> { ["customerId"] = "X-1", ["emailAddress"] = "foreign@example.com" });
        var customers = ActitoProject.Customers(40);
        await project.WriteCustomersAsync(customers);
        Succeeded(await project.SluiceAsync("run", Sync));

        long[] removed = [5, 17, 33];
        await project.WriteCustomersAsync(customers.Where(c => !removed.Contains(c.Id)));
        var plan = await project.SluiceAsync("plan", Sync, "--json");
        var run = await project.SluiceAsync("run", Sync, "--json");

        Assert.Equal(0, plan.ExitCode);
        Assert.Equal(3, plan.Json["counts"]!["toDelete"]!.GetValue<long>());
        Assert.Equal(["17", "33", "5"], plan.Json["deletes"]!.AsArray().Select(d => d!.GetValue<string>()).Order());
        Assert.False(plan.Json["mirrorGuard"]!["trips"]!.GetValue<bool>());
        Succeeded(run);
        Assert.Equal(3, Count(run, "deleted"));
        Assert.Equal(0, Count(run, "delivered"));
        var profiles = await project.ListProfilesAsync();
        Assert.Equal(38, profiles.Count);
        Assert.Contains("X-1", profiles.Keys);
        Assert.All(removed, id => Assert.DoesNotContain(ActitoCustomer.RefOf(id), profiles.Keys));
        Assert.Null(await project.GetCustomerAsync(17));
        Assert.NotNull(await project.GetProfileAsync("emailAddress", "foreign@example.com"));
        Assert.Equal(3, (await project.StatsAsync())["profilesDeleted"]!.GetValue<long>());
    }

    [Fact]
    public async Task Plan_says_when_actitos_call_limit_paces_the_deletes_and_by_how_much()
    {
        await using var project = await ActitoProject.CreateAsync("mirror", bulkThreshold: 5);
        var customers = ActitoProject.Customers(60);
        await project.WriteCustomersAsync(customers);
        Succeeded(await project.SluiceAsync("run", Sync));

        await project.WriteCustomersAsync(customers.Where(c => c.Id <= 5));
        // The tests' emulator allows far more calls than Actito; the plan is made for Actito's own limit.
        var yaml = Path.Combine(project.Directory, "sluice.yaml");
        await File.WriteAllTextAsync(yaml, (await File.ReadAllTextAsync(yaml)).Replace("calls_per_minute: 6000", "calls_per_minute: 100", StringComparison.Ordinal));
        var plan = await project.SluiceAsync("plan", Sync, "--json");
        var text = await project.SluiceAsync("plan", Sync);

        Assert.Equal(0, plan.ExitCode);
        Assert.Equal(55, plan.Json["counts"]!["toDelete"]!.GetValue<long>());
        var pacing = plan.Json["pacing"]!;
        Assert.InRange(pacing["atLeastSeconds"]!.GetValue<double>(), 30, 120);
        Assert.Contains("55 deletes by single calls at 100 calls a minute", pacing["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("The destination's limits pace this delivery: at least 32 s: 55 deletes", text.Stdout.ReplaceLineEndings(" ").Replace("  ", " ", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_mirror_guard_refuses_a_mass_delete_until_allowed_and_then_deletes_exactly_those()
    {
        // ETL executions for more than 5 creates/upserts; deletes always go one by one (no deletion import mode).
        await using var project = await ActitoProject.CreateAsync("mirror", bulkThreshold: 5);
        var customers = ActitoProject.Customers(20);
        await project.WriteCustomersAsync(customers);
        Succeeded(await project.SluiceAsync("run", Sync));
        Assert.Equal(20, (await project.ListProfilesAsync()).Count);

        await project.WriteCustomersAsync(customers.Where(c => c.Id > 8));
        var guarded = await project.SluiceAsync("run", Sync, "--json");

        Assert.Equal(1, guarded.ExitCode);
        Assert.Equal("failed", Run(guarded)["status"]!.GetValue<string>());
        var error = Run(guarded)["error"]!.GetValue<string>();
        Assert.Contains("would delete 8 of the 20 records", error, StringComparison.Ordinal);
        Assert.Contains("--allow-mass-delete", error, StringComparison.Ordinal);
        Assert.Contains("mirror-guard", Run(guarded)["warnings"]!.AsArray().Select(w => w!.GetValue<string>()));
        Assert.Equal(0, Count(guarded, "deleted"));
        Assert.Equal(20, (await project.ListProfilesAsync()).Count);
        Assert.Equal(0, (await project.StatsAsync())["profilesDeleted"]!.GetValue<long>());

        var plan = await project.SluiceAsync("plan", Sync, "--json");
        Assert.Equal(0, plan.ExitCode);
        Assert.Equal(8, plan.Json["counts"]!["toDelete"]!.GetValue<long>());
        Assert.Equal(Enumerable.Range(1, 8).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).Order(),
            plan.Json["deletes"]!.AsArray().Select(d => d!.GetValue<string>()).Order());
        Assert.True(plan.Json["mirrorGuard"]!["trips"]!.GetValue<bool>());
        Assert.Equal(2, plan.Json["mirrorGuard"]!["allowed"]!.GetValue<long>());

        var allowed = await project.SluiceAsync("run", Sync, "--allow-mass-delete", "--json");

        Succeeded(allowed);
        Assert.Equal(8, Count(allowed, "deleted"));
        var profiles = await project.ListProfilesAsync();
        Assert.Equal(Enumerable.Range(9, 12).Select(i => ActitoCustomer.RefOf(i)).Order(), profiles.Keys.Order());
        Assert.Null(await project.GetCustomerAsync(1));
        var stats = await project.StatsAsync();
        Assert.Equal(8, stats["profilesDeleted"]!.GetValue<long>());
        Assert.Equal(1, stats["importsRun"]!.GetValue<long>());
        Assert.Equal(8, stats["requestsPerEndpoint"]!["profile.delete"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_mirror_whose_model_returns_no_rows_deletes_nothing_and_warns()
    {
        await using var project = await ActitoProject.CreateAsync("mirror");
        await project.WriteCustomersAsync(ActitoProject.Customers(15));
        Succeeded(await project.SluiceAsync("run", Sync));

        await project.WriteCustomersAsync([]);
        var run = await project.SluiceAsync("run", Sync, "--json");
        // Not even with the guard lifted: an empty model is far more often a broken query.
        var allowed = await project.SluiceAsync("run", Sync, "--json", "--allow-mass-delete");

        Succeeded(run);
        Succeeded(allowed);
        Assert.Equal(0, Count(allowed, "deleted"));
        Assert.Equal(0, Count(run, "modelRows"));
        Assert.Equal(15, Count(run, "removed"));
        Assert.Equal(0, Count(run, "deleted"));
        Assert.Contains("empty-model", Run(run)["warnings"]!.AsArray().Select(w => w!.GetValue<string>()));
        Assert.Equal(15, (await project.ListProfilesAsync()).Count);
        Assert.Equal(0, (await project.StatsAsync())["profilesDeleted"]!.GetValue<long>());
    }

    [Theory]
    [InlineData(ActitoProject.SingleCalls)]
    [InlineData(ActitoProject.BulkImports)]
    public async Task A_profile_rejected_for_a_bad_email_shows_in_sluice_rejected_while_the_rest_of_its_batch_lands(int bulkThreshold)
    {
        await using var project = await ActitoProject.CreateAsync("upsert", bulkThreshold);
        var customers = ActitoProject.Customers(20);
        customers[4] = customers[4] with { Email = "not an email" };
        await project.WriteCustomersAsync(customers);

        var run = await project.SluiceAsync("run", Sync, "--json");
        var rejected = await project.SluiceAsync("rejected", Sync, "--json");

        Succeeded(run);
        Assert.Equal(19, Count(run, "delivered"));
        Assert.Equal(1, Count(run, "rejected"));
        var row = Assert.Single(rejected.Json["rows"]!.AsArray())!;
        Assert.Equal("5", row["key"]!.GetValue<string>());
        Assert.Equal("rejected", row["outcome"]!.GetValue<string>());
        Assert.Contains("emailAddress", row["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        var profiles = await project.ListProfilesAsync();
        Assert.Equal(19, profiles.Count);
        Assert.DoesNotContain("C-5", profiles.Keys);
        Assert.Equal("c6@example.com", profiles["C-6"]["emailAddress"]);
        Assert.Equal("c4@example.com", profiles["C-4"]["emailAddress"]);

        // Retried next run: once fixed, only that row is sent.
        customers[4] = customers[4] with { Email = "fixed@example.com" };
        await project.WriteCustomersAsync(customers);
        var again = await project.SluiceAsync("run", Sync, "--json");

        Succeeded(again);
        Assert.Equal(1, Count(again, "delivered"));
        Assert.Equal("fixed@example.com", (await project.GetCustomerAsync(5))!["emailAddress"]);
        Assert.Empty((await project.SluiceAsync("rejected", Sync, "--json")).Json["rows"]!.AsArray());
    }

    [Theory]
    [InlineData(ActitoProject.SingleCalls)]
    [InlineData(ActitoProject.BulkImports)]
    public async Task Access_tokens_expiring_mid_run_are_renewed_and_every_profile_lands(int bulkThreshold)
    {
        await using var project = await ActitoProject.CreateAsync("upsert", bulkThreshold, options: new ActitoEmulatorOptions
        {
            Faults = { Latency = TimeSpan.FromMilliseconds(150) },
        });
        const int total = 120;
        await project.WriteCustomersAsync(ActitoProject.Customers(total));

        SluiceResult result;
        using (var process = SluiceCommand.Start(project.Directory, "run", Sync, "--json"))
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            var deadline = DateTime.UtcNow.AddMinutes(2);
            // Single calls: expire once some profiles exist. Bulk: once the ETL execution started, before its result is read.
            bool Midway(ActitoEmulatorStats stats) => bulkThreshold == ActitoProject.BulkImports
                ? stats.RequestsPerEndpoint.GetValueOrDefault("etl.execute") > 0
                : stats.ProfilesCreated >= 20;
            while (!Midway(project.Emulator.GetStats()) && !process.HasExited && DateTime.UtcNow < deadline)
                await Task.Delay(20);
            Assert.False(process.HasExited, "the run finished before the tokens could be expired");
            using (var expire = await project.Http.PostAsync("_emulator/expire-tokens", null))
                Assert.True(expire.IsSuccessStatusCode);
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await process.WaitForExitAsync(timeout.Token);
            result = new SluiceResult(process.ExitCode, await stdout, await stderr);
        }

        Succeeded(result);
        Assert.DoesNotContain(ActitoProject.ApiKey, result.Stdout + result.Stderr, StringComparison.Ordinal);
        Assert.Equal(total, Count(result, "delivered"));
        Assert.Equal(0, Count(result, "rejected"));
        var stats = await project.StatsAsync();
        // At least one call met the expired token (so the renewal was exercised) and a new token was fetched.
        Assert.True(stats["authFailures"]!.GetValue<long>() >= 1, stats.ToJsonString());
        Assert.True(stats["tokensIssued"]!.GetValue<long>() >= 2, stats.ToJsonString());
        var profiles = await project.ListProfilesAsync();
        Assert.Equal(total, profiles.Count);
        Assert.Equal($"First{total}", profiles[ActitoCustomer.RefOf(total)]["firstName"]);
    }

    [Fact]
    public async Task The_bulk_path_and_the_single_call_path_leave_the_same_profiles()
    {
        await using var single = await ActitoProject.CreateAsync("mirror", ActitoProject.SingleCalls);
        await using var bulk = await ActitoProject.CreateAsync("mirror", ActitoProject.BulkImports);
        var customers = ActitoProject.Customers(30);
        await Task.WhenAll(single.WriteCustomersAsync(customers), bulk.WriteCustomersAsync(customers));
        var first = await Task.WhenAll(single.SluiceAsync("run", Sync, "--json"), bulk.SluiceAsync("run", Sync, "--json"));
        Assert.All(first, Succeeded);

        customers[4] = customers[4] with { Plan = "enterprise", Ltv = 1234.5m };
        customers[9] = customers[9] with { Active = !customers[9].Active, SignupDate = new DateOnly(2020, 2, 29) };
        customers.RemoveAt(29);
        customers.Add(new ActitoCustomer(31, "c31@example.com", "ThirtyOne", "pro", 31, 0m, false, new DateOnly(2025, 1, 1)));
        customers.Add(new ActitoCustomer(32, "c32@example.com", "ThirtyTwo", "free", 0, 1m, true, new DateOnly(2025, 1, 2)));
        await Task.WhenAll(single.WriteCustomersAsync(customers), bulk.WriteCustomersAsync(customers));
        var second = await Task.WhenAll(single.SluiceAsync("run", Sync, "--json"), bulk.SluiceAsync("run", Sync, "--json"));

        Assert.All(second, Succeeded);
        Assert.All(second, run =>
        {
            Assert.Equal(4, Count(run, "delivered"));
            Assert.Equal(1, Count(run, "deleted"));
        });
        var fromSingle = await single.ListProfilesAsync();
        var fromBulk = await bulk.ListProfilesAsync();
        Assert.Equal(customers.Select(c => c.Ref).Order(), fromSingle.Keys.Order());
        Assert.Equal(fromSingle.Keys.Order(), fromBulk.Keys.Order());
        foreach (var key in fromSingle.Keys)
            Assert.Equal(ActitoProject.Describe(fromSingle[key]), ActitoProject.Describe(fromBulk[key]));
        Assert.Equal(1234.5m, ActitoProject.Number(fromBulk["C-5"]["lifetimeValue"]));
        Assert.Equal("2020-02-29", fromBulk["C-10"]["signupDate"]);

        var singleStats = await single.StatsAsync();
        var bulkStats = await bulk.StatsAsync();
        Assert.Equal(0, singleStats["importsRun"]!.GetValue<long>());
        Assert.True(bulkStats["importsRun"]!.GetValue<long>() >= 2, bulkStats.ToJsonString());
        Assert.False(bulkStats["requestsPerEndpoint"]!.AsObject().ContainsKey("profile.create"), bulkStats.ToJsonString());
    }

    [Theory]
    [InlineData(ActitoProject.SingleCalls)]
    [InlineData(ActitoProject.BulkImports)]
    public async Task A_value_cleared_in_the_model_is_cleared_in_actito(int bulkThreshold)
    {
        await using var project = await ActitoProject.CreateAsync("upsert", bulkThreshold);
        var customers = ActitoProject.Customers(10);
        await project.WriteCustomersAsync(customers);
        Succeeded(await project.SluiceAsync("run", Sync));
        Assert.Equal("pro", (await project.GetCustomerAsync(3))!["plan"]);

        customers[2] = customers[2] with { Plan = null! };
        await project.WriteCustomersAsync(customers);
        var run = await project.SluiceAsync("run", Sync, "--json");

        Succeeded(run);
        Assert.Equal(1, Count(run, "delivered"));
        var profile = (await project.GetCustomerAsync(3))!;
        Assert.Equal("First3", profile["firstName"]);
        Assert.False(profile.ContainsKey("plan"), $"plan is still '{profile.GetValueOrDefault("plan")}'");
    }
}

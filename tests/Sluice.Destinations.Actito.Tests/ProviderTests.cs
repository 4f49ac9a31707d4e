using System.Text;
using Sluice.Core.Destinations;
using Sluice.Core.Models;

namespace Sluice.Destinations.Actito.Tests;

public sealed class ProviderTests
{
    private static readonly ActitoDestinationProvider Provider = new();

    private static DestinationSettings Settings(params (string Key, string Value)[] values)
    {
        var all = new Dictionary<string, string>(StringComparer.Ordinal) { ["api_key"] = "k", ["entity"] = "e", ["table"] = "Profiles" };
        foreach (var (key, value) in values) all[key] = value;
        return new DestinationSettings("actito", "actito", all);
    }

    [Fact]
    public void The_provider_declares_every_option_with_the_api_key_as_a_required_secret()
    {
        Assert.Equal("actito", Provider.Type);
        var options = Provider.Options.ToDictionary(o => o.Name);
        Assert.Equal(
            ["api_key", "base_url", "bulk_threshold", "calls_per_minute", "entity", "environment", "imports_per_day", "max_concurrent_requests", "table"],
            options.Keys.Order());
        Assert.True(options["api_key"].IsSecret);
        Assert.True(options["api_key"].Required);
        Assert.True(options["entity"].Required);
        Assert.True(options["table"].Required);
        Assert.Equal("50", options["bulk_threshold"].Default);
        Assert.Equal("100", options["calls_per_minute"].Default);
        Assert.Equal("5", options["max_concurrent_requests"].Default);
        Assert.Equal("12", options["imports_per_day"].Default);
        Assert.Equal(["prod0", "prod1", "prod3", "preprod"], options["environment"].Choices);
        Assert.Equal([SyncMode.Insert, SyncMode.Update, SyncMode.Upsert, SyncMode.Mirror], Provider.Modes.Order());
    }

    [Fact]
    public void A_valid_sync_has_no_static_problems()
    {
        Assert.Empty(Provider.CheckSync(Settings(), Customers.Sync(SyncMode.Mirror)));
    }

    [Theory]
    [InlineData("profileId")]
    [InlineData("creationMoment")]
    [InlineData("updateMoment")]
    public void A_technical_attribute_can_be_neither_matched_nor_mapped(string technical)
    {
        var sync = Customers.Sync(SyncMode.Upsert,
            mappings: [new("first_name", "firstName"), new("orders", technical)],
            match: new("customer_id", technical));
        var problems = Provider.CheckSync(Settings(), sync);
        Assert.Contains(problems, p => p.Target == ProblemTarget.Match && p.Message.Contains(technical, StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Target == ProblemTarget.Mapping && p.Column == "orders" && p.Message.Contains(technical, StringComparison.Ordinal));
    }

    [Fact]
    public void Two_columns_mapped_to_one_attribute_or_to_the_match_field_are_problems()
    {
        var sync = Customers.Sync(SyncMode.Upsert, mappings:
        [
            new("first_name", "firstName"),
            new("email", "firstName"),
            new("orders", "customerId"),
            new("ltv", new string('a', 51)),
        ]);
        var problems = Provider.CheckSync(Settings(), sync);
        Assert.Contains(problems, p => p.Column == "email" && p.Message.Contains("more than one mapping", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Column == "orders" && p.Message.Contains("match already fills", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Column == "ltv" && p.Message.Contains("50 characters", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("environment", "prod9")]
    [InlineData("calls_per_minute", "many")]
    [InlineData("calls_per_minute", "0")]
    [InlineData("imports_per_day", "-1")]
    [InlineData("base_url", "api.actito.com")]
    public void Bad_option_values_are_rejected_by_their_declaration(string option, string value)
    {
        // The parser checks every value against these specs; CheckSync no longer re-checks them.
        var error = Provider.Options.Single(o => o.Name == option).Check(value, out _);
        Assert.NotNull(error);
        Assert.Empty(Provider.CheckSync(Settings(), Customers.Sync(SyncMode.Upsert)));
    }

    [Theory]
    [InlineData("prod0", "https://api.actito.com")]
    [InlineData("prod1", "https://api1.actito.com")]
    [InlineData("prod3", "https://api3.actito.com")]
    [InlineData("preprod", "https://api-pre1.actito.com")]
    public void The_environment_picks_the_documented_host_unless_base_url_is_set(string environment, string host)
    {
        Assert.Equal(host, ActitoSettings.From(Settings(("environment", environment))).BaseUrl);
        Assert.Equal("http://127.0.0.1:5000", ActitoSettings.From(Settings(("environment", environment), ("base_url", "http://127.0.0.1:5000/"))).BaseUrl);
    }

    [Fact]
    public void Settings_never_print_the_api_key()
    {
        var settings = ActitoSettings.From(Settings(("api_key", "super-secret-key")));
        Assert.DoesNotContain("super-secret-key", settings.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Small_runs_use_single_calls_and_large_runs_one_import_per_large_operation()
    {
        var small = TransportPlan.Choose(new PlanCounts(0, 0, 50, 0), 50, 5);
        Assert.False(small.Bulk);
        Assert.Equal(0, small.ImportsNeeded);

        var upserts = TransportPlan.Choose(new PlanCounts(0, 0, 10_000, 0), 50, 5);
        Assert.True(upserts.Bulk);
        Assert.Equal(10_000, upserts.BatchSize);
        Assert.Equal(1, upserts.MaxConcurrency);
        Assert.Equal(1, upserts.ImportsNeeded);

        var mirror = TransportPlan.Choose(new PlanCounts(0, 0, 10_000, 20), 50, 5);
        Assert.Equal(1, mirror.ImportsNeeded); // 20 deletes go through single calls

        var bigMirror = TransportPlan.Choose(new PlanCounts(0, 0, 10_000, 500), 50, 5);
        Assert.Equal(1, bigMirror.ImportsNeeded); // deletes never cost an import: there is no deletion import mode

        var deletesOnly = TransportPlan.Choose(new PlanCounts(0, 0, 10, 1_200), 50, 5);
        Assert.False(deletesOnly.Bulk); // small batches, so the engine commits deletes as they land
        Assert.Equal(0, deletesOnly.ImportsNeeded);

        var huge = TransportPlan.Choose(new PlanCounts(0, 0, 250_000, 0), 50, 5);
        Assert.Equal(TransportPlan.MaxRowsPerImport, huge.BatchSize);
        Assert.Equal(3, huge.ImportsNeeded);
    }

    [Fact]
    public void Destination_ids_are_profileIds_or_key_references()
    {
        Assert.Equal(new ProfileRef(null, "42"), ProfileRef.Parse("42"));
        Assert.Equal(new ProfileRef(null, "42"), ProfileRef.Parse("profileId=42"));
        Assert.Equal(new ProfileRef("customerId", "C=1"), ProfileRef.Parse("customerId=C=1"));
        Assert.Null(ProfileRef.Parse(null));
        Assert.Null(ProfileRef.Parse("abc"));
        Assert.Null(ProfileRef.Parse("customerId="));
        Assert.Equal("customerId=C-1", ProfileRef.Key("customerId", "C-1"));
        Assert.Equal("42", ProfileRef.Key("profileId", "42"));
    }

    [Fact]
    public void Values_use_the_documented_formats()
    {
        Assert.Equal("2024-02-29", ValueFormat.Format(new DateOnly(2024, 2, 29)));
        Assert.Equal("2024-02-29 13:05:09", ValueFormat.Format(new DateTime(2024, 2, 29, 13, 5, 9, DateTimeKind.Utc)));
        Assert.Equal("2024-02-29", ValueFormat.Format(new DateTime(2024, 2, 29, 13, 5, 9), FieldFormat.Date));
        Assert.Equal("2024-02-29 00:00:00", ValueFormat.Format(new DateOnly(2024, 2, 29), FieldFormat.Timestamp));
        Assert.Equal("true", ValueFormat.Format(true));
        Assert.Equal("false", ValueFormat.Format(false));
        Assert.Equal("1234.5", ValueFormat.Format(1234.5m));
        Assert.Equal("0.1", ValueFormat.Format(0.1d));
        Assert.Equal("1000000000000000000000", ValueFormat.Format(1e21d));
        Assert.Equal("-42", ValueFormat.Format(-42L));
        Assert.Null(ValueFormat.Format(null));
    }

    [Fact]
    public void The_token_lifetime_is_read_from_the_documented_string_form()
    {
        Assert.Equal(TimeSpan.FromSeconds(900), ActitoApi.ParseLifetime("900s"));
        Assert.Equal(TimeSpan.FromSeconds(600), ActitoApi.ParseLifetime("600"));
        Assert.Equal(TimeSpan.FromSeconds(900), ActitoApi.ParseLifetime(null));
        Assert.Equal(TimeSpan.FromSeconds(900), ActitoApi.ParseLifetime("soon"));
    }

    [Fact]
    public void Result_files_are_read_by_their_header_whatever_the_separator()
    {
        var comma = "lineNumber,keyValue,errorCode,errorMessage\r\n3,C-2,INVALID_EMAIL,\"Bad, really bad\"\r\n";
        var errors = ImportResultFile.Parse(Encoding.UTF8.GetBytes(comma), "customerId");
        var error = Assert.Single(errors);
        Assert.Equal(3, error.Line);
        Assert.Equal("C-2", error.Key);
        Assert.Equal("INVALID_EMAIL", error.Code);
        Assert.Equal("Bad, really bad", error.Message);

        var report = "customerId;success;message\nC-1;Y;\nC-2;N;Profile could not be identified\n";
        var failed = Assert.Single(ImportResultFile.Parse(Encoding.UTF8.GetBytes(report), "customerId"));
        Assert.Equal("C-2", failed.Key);
        Assert.Null(failed.Line);
        Assert.Equal("Profile could not be identified", failed.Message);
    }

    [Fact]
    public void Import_files_are_a_zip_of_one_csv_without_bom_with_quoted_specials()
    {
        using var writer = new ImportFileWriter(["customerId", "firstName"]);
        writer.WriteRow(["C-1", "plain"]);
        writer.WriteRow(["C-2", "semi;colon \"quoted\"\nsecond line"]);
        writer.WriteRow(["C-3", null]);
        var zip = writer.Finish();
        Assert.Equal([2, 3, 5], writer.StartLines);

        using var archive = new System.IO.Compression.ZipArchive(new MemoryStream(zip));
        var entry = Assert.Single(archive.Entries);
        using var stream = new MemoryStream();
        entry.Open().CopyTo(stream);
        var bytes = stream.ToArray();
        Assert.False(bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF);
        Assert.Equal("customerId;firstName\r\nC-1;plain\r\nC-2;\"semi;colon \"\"quoted\"\"\nsecond line\"\r\nC-3;\r\n", Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public void The_etl_definition_names_the_table_a_documented_mode_the_key_and_a_mapping_of_every_column()
    {
        var json = Encoding.UTF8.GetString(ImportFileWriter.Definition(ImportMode.CreateUpdate, "Profiles", "customerId", ["customerId", "firstName"]));
        Assert.Equal(
            "{\"file\":{\"compression\":\"ZIP\",\"format\":{\"separator\":\";\",\"enclosing\":\"\\u0022\",\"escaping\":\"\\u0022\",\"encoding\":\"UTF-8\"}}," +
            "\"load\":{\"table\":\"Profiles\",\"mode\":\"CREATE_UPDATE\",\"keyAttribute\":\"customerId\"," +
            "\"mapping\":[{\"header\":\"customerId\",\"attribute\":\"customerId\"},{\"header\":\"firstName\",\"attribute\":\"firstName\"}]}," +
            "\"reportRecipients\":[]}", json);
        Assert.Equal("CREATE_ONLY", ImportFileWriter.ModeName(ImportMode.CreateOnly));
        Assert.Equal("UPDATE_ONLY", ImportFileWriter.ModeName(ImportMode.UpdateOnly));
        Assert.Equal(["CreateOnly", "UpdateOnly", "CreateUpdate"], Enum.GetNames<ImportMode>());
    }
}

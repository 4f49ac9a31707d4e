using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Sluice.Emulators.Actito.Tests;

public sealed class EtlExecutionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string Upsert = Harness.Definition("CREATE_UPDATE", "customerId");

    private static int Report(JsonNode execution, string name) => (int)execution["report"]![name]!;

    [Fact]
    public async Task A_zipped_csv_execution_creates_profiles_and_reports_running_then_success()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        using var started = await h.ImportAsync(Harness.Zip("customerId;emailAddress;firstName\nC-1;a@example.com;Ann\nC-2;b@example.com;\"Bo; Jr\"\n"), Upsert);
        Assert.Equal(HttpStatusCode.Created, started.StatusCode);
        var id = (long)(await Harness.ReadJsonAsync(started))!["id"]!;
        Assert.EndsWith($"/etl-executions/{id}", started.Headers.Location!.OriginalString, StringComparison.Ordinal);

        var (_, first) = await h.CallAsync(HttpMethod.Get, $"{h.Executions}/{id}");
        Assert.Equal("RUNNING", (string?)first!["status"]);
        var result = await h.ResultAsync(id);
        Assert.Equal("SUCCESS", (string?)result["status"]);
        Assert.Equal(2, Report(result, "processedLines"));
        Assert.Equal(2, Report(result, "createdRecords"));
        Assert.Equal(0, Report(result, "rejectedLines"));

        var profiles = h.Emulator.GetProfiles();
        Assert.Equal(2, profiles.Count);
        Assert.Equal("Bo; Jr", profiles[1]["firstName"]);
        var stats = h.Emulator.GetStats();
        Assert.Equal(1, stats.ImportsRun);
        Assert.Equal(2, stats.ProfilesCreated);
    }

    [Fact]
    public async Task Create_update_updates_existing_profiles_and_leaves_empty_values_alone()
    {
        await using var h = await (await Harness.StartAsync(o => o.ImportRunningPolls = 0)).AuthenticateAsync();
        await h.CreateAsync(("customerId", "C-1"), ("firstName", "Ann"), ("lastName", "Lee"));
        var id = await h.ImportOkAsync("customerId;firstName;lastName\r\nC-1;Anna;\r\nC-9;New;Person\r\n", Upsert);

        var result = await h.ResultAsync(id);
        Assert.Equal(1, Report(result, "updatedRecords"));
        Assert.Equal(1, Report(result, "createdRecords"));
        var ann = h.Emulator.GetProfiles().Single(p => p["customerId"] == "C-1");
        Assert.Equal("Anna", ann["firstName"]);
        Assert.Equal("Lee", ann["lastName"]);
    }

    [Fact]
    public async Task Empty_values_can_be_set_to_clear_attributes()
    {
        await using var h = await (await Harness.StartAsync(o => o.EmptyCsvValueClears = true)).AuthenticateAsync();
        await h.CreateAsync(("customerId", "C-1"), ("lastName", "Lee"));
        await h.ResultAsync(await h.ImportOkAsync("customerId;lastName\nC-1;\n", Upsert));
        Assert.False(h.Emulator.GetProfiles().Single().ContainsKey("lastName"));
    }

    [Fact]
    public async Task Failed_lines_are_counted_and_listed_in_the_error_file()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        await h.CreateAsync(("customerId", "C-1"));
        var csv = "customerId,emailAddress,birthDate\n" +
                  "C-1,x@example.com,1990-01-01\n" +   // line 2: exists in CREATE_ONLY
                  "C-2,not-an-email,1990-01-01\n" +    // line 3: bad e-mail
                  "C-3,c@example.com,01/01/1990\n" +   // line 4: bad date
                  "C-4,d@example.com\n" +              // line 5: wrong column count
                  ",e@example.com,1990-01-01\n" +      // line 6: empty key
                  "C-5,f@example.com,1990-01-01\n";    // line 7: fine
        var id = await h.ImportOkAsync(csv, Harness.Definition("CREATE_ONLY", "customerId", ","));

        var result = await h.ResultAsync(id);
        Assert.Equal("WITH_ERROR", (string?)result["status"]);
        Assert.Equal(6, Report(result, "processedLines"));
        Assert.Equal(1, Report(result, "createdRecords"));
        Assert.Equal(5, Report(result, "rejectedLines"));

        using var file = await h.Http.GetAsync($"{h.Executions}/{id}/error-file", Ct);
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        Assert.Equal("text/csv", file.Content.Headers.ContentType!.MediaType);
        var lines = (await file.Content.ReadAsStringAsync(Ct)).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("lineNumber,keyValue,errorCode,errorMessage", lines[0]);
        Assert.StartsWith("2,C-1,PROFILE_ALREADY_EXISTS,", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("3,C-2,INVALID_EMAIL,", lines[2], StringComparison.Ordinal);
        Assert.StartsWith("4,C-3,INVALID_DATE,", lines[3], StringComparison.Ordinal);
        Assert.StartsWith("5,C-4,INVALID_LINE,", lines[4], StringComparison.Ordinal);
        Assert.StartsWith("6,,MISSING_KEY,", lines[5], StringComparison.Ordinal);
        Assert.Equal(6, lines.Length);
    }

    [Fact]
    public async Task Line_numbers_count_physical_lines_when_quoted_values_span_lines()
    {
        await using var h = await (await Harness.StartAsync(o => o.ImportRunningPolls = 0)).AuthenticateAsync();
        var id = await h.ImportOkAsync("customerId;firstName\nC-1;\"two\nlines\"\nC-2;x\n;y\n", Upsert);
        await h.ResultAsync(id);
        using var file = await h.Http.GetAsync($"{h.Executions}/{id}/error-file", Ct);
        var lines = (await file.Content.ReadAsStringAsync(Ct)).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("5,,MISSING_KEY", lines[1], StringComparison.Ordinal);
        Assert.Equal("two\nlines", h.Emulator.GetProfiles()[0]["firstName"]);
    }

    [Fact]
    public async Task Update_only_reports_unknown_keys_and_creates_nothing()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        await h.CreateAsync(("customerId", "C-1"));
        var id = await h.ImportOkAsync("customerId\tfirstName\nC-1\tAnn\nC-2\tBo\n", Harness.Definition("UPDATE_ONLY", "customerId", "\t"));
        var result = await h.ResultAsync(id);
        Assert.Equal(1, Report(result, "updatedRecords"));
        Assert.Equal(1, Report(result, "rejectedLines"));
        Assert.Equal(1, h.Emulator.ProfileCount());
    }

    [Theory]
    [InlineData("DELETE")]
    [InlineData("DELETE_ONLY")]
    [InlineData("DELETION")]
    public async Task A_deletion_mode_is_not_an_api_import_mode_and_deletes_nothing(string mode)
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        await h.CreateAsync(("customerId", "C-1"), ("emailAddress", "a@example.com"));
        using var response = await h.ImportAsync(Harness.Zip("emailAddress\na@example.com\n"), Harness.Definition(mode, "emailAddress"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("CREATE_ONLY, UPDATE_ONLY or CREATE_UPDATE", (string?)(await Harness.ReadJsonAsync(response))!["message"], StringComparison.Ordinal);
        Assert.Equal(1, h.Emulator.ProfileCount());
    }

    [Theory]
    [InlineData("v4/entity/sluice_demo/table/Profiles/import")]
    [InlineData("mass-imports/v4/entity/sluice_demo/table/Profiles/import")]
    public async Task The_removed_v4_import_answers_404_and_applies_nothing(string path)
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(Harness.Zip("customerId\nC-1\n")), "inputFile", "p.zip" },
            { new StringContent("""{"format":"SEMI_COLON_SEPARATED_VALUES","mode":"CREATE_UPDATE","headerKeyColumn":"customerId"}"""), "parameters" },
        };
        using var response = await h.Http.PostAsync(path, form, Ct);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("V4_IMPORT_REMOVED", (string?)(await Harness.ReadJsonAsync(response))!["errorCode"]);
        Assert.Equal(HttpStatusCode.NotFound, (await h.CallAsync(HttpMethod.Get, "v4/entity/sluice_demo/import/1000001/result")).Status);
        Assert.Equal(0, h.Emulator.ProfileCount());
        Assert.Equal(0, h.Emulator.GetStats().ImportsRun);
    }

    [Fact]
    public async Task A_mapping_renames_columns_and_leaves_unmapped_ones_out()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        var mapping = new JsonArray
        {
            new JsonObject { ["header"] = "ref", ["attribute"] = "customerId" },
            new JsonObject { ["header"] = "given", ["attribute"] = "firstName" },
        };
        var id = await h.ImportOkAsync("ref;given;ignored\nC-1;Ann;zz\n", Harness.Definition("CREATE_UPDATE", "customerId", mapping: mapping));
        Assert.Equal("SUCCESS", (string?)(await h.ResultAsync(id))["status"]);
        var ann = h.Emulator.GetProfiles().Single();
        Assert.Equal("C-1", ann["customerId"]);
        Assert.Equal("Ann", ann["firstName"]);
    }

    [Fact]
    public async Task Plain_and_gzipped_csv_files_are_accepted_as_well()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        using (var plain = await h.ImportAsync(Encoding.UTF8.GetBytes("customerId\nC-1\n"), Upsert, "p.csv", "text/csv"))
            Assert.Equal(HttpStatusCode.Created, plain.StatusCode);
        using var gz = new MemoryStream();
        using (var gzip = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(Encoding.UTF8.GetBytes("customerId\nC-2\n"));
        using (var zipped = await h.ImportAsync(gz.ToArray(), Upsert, "p.csv.gz", "application/gzip"))
            Assert.Equal(HttpStatusCode.Created, zipped.StatusCode);
        Assert.Equal(2, h.Emulator.ProfileCount());
    }

    [Fact]
    public async Task Iso_8859_1_files_are_decoded_with_that_charset()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        var bytes = Encoding.Latin1.GetBytes("customerId;firstName\nC-1;Zoë\n");
        using var response = await h.ImportAsync(bytes, Harness.Definition("CREATE_UPDATE", "customerId", encoding: "ISO-8859-1"), "p.csv", "text/csv");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("Zoë", h.Emulator.GetProfiles().Single()["firstName"]);
    }

    [Fact]
    public async Task A_file_with_a_byte_order_mark_is_rejected_unless_allowed()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        using var rejected = await h.ImportAsync(Harness.Zip("customerId\nC-1\n", bom: true), Upsert);
        Assert.Equal(HttpStatusCode.BadRequest, rejected.StatusCode);
        Assert.Contains("BOM", (string?)(await Harness.ReadJsonAsync(rejected))!["message"], StringComparison.Ordinal);

        await using var lenient = await (await Harness.StartAsync(o => o.RejectByteOrderMark = false)).AuthenticateAsync();
        using var accepted = await lenient.ImportAsync(Harness.Zip("customerId\nC-1\n", bom: true), Upsert);
        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
        Assert.Equal("C-1", lenient.Emulator.GetProfiles().Single()["customerId"]);
    }

    [Fact]
    public async Task A_file_over_the_size_limit_is_rejected_with_400()
    {
        await using var h = await (await Harness.StartAsync(o => o.MaxImportBytes = 1024)).AuthenticateAsync();
        var big = "customerId\n" + string.Concat(Enumerable.Range(0, 300).Select(i => $"C-{i}\n"));
        using var response = await h.ImportAsync(Encoding.UTF8.GetBytes(big), Upsert, "p.csv", "text/csv");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(0, h.Emulator.ProfileCount());
    }

    [Theory]
    [InlineData("""{"load":{"table":"Profiles","mode":"CREATE_UPDATE","keyAttribute":"firstName"}}""", "unique")]
    [InlineData("""{"load":{"table":"Profiles","mode":"CREATE_UPDATE"}}""", "keyAttribute")]
    [InlineData("""{"load":{"table":"Profiles","mode":"CREATE_OR_UPDATE","keyAttribute":"customerId"}}""", "mode")]
    [InlineData("""{"file":{"format":{"separator":"||"}},"load":{"table":"Profiles","mode":"CREATE_UPDATE","keyAttribute":"customerId"}}""", "single character")]
    [InlineData("""{"file":{"format":{"encoding":"UTF-16"}},"load":{"table":"Profiles","mode":"CREATE_UPDATE","keyAttribute":"customerId"}}""", "encoding")]
    [InlineData("""{"load":{"table":"Nope","mode":"CREATE_UPDATE","keyAttribute":"customerId"}}""", "Unknown profile table")]
    [InlineData("""{"file":{}}""", "load")]
    [InlineData("not json", "JSON")]
    public async Task Bad_parameters_are_rejected_with_400(string parameters, string reason)
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        using var response = await h.ImportAsync(Harness.Zip("customerId,firstName\nC-1,Ann\n"), parameters);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(reason, (string?)(await Harness.ReadJsonAsync(response))!["message"], StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("customerId;shoeSize\nC-1;42\n", "Unknown attribute")]
    [InlineData("firstName\nAnn\n", "not mapped")]
    [InlineData("customerId;creationMoment\nC-1;2024-01-01 00:00:00\n", "technical")]
    [InlineData("", "header")]
    public async Task Bad_headers_are_rejected_with_400(string csv, string reason)
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        using var response = await h.ImportAsync(Harness.Zip(csv), Upsert);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(reason, (string?)(await Harness.ReadJsonAsync(response))!["message"], StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_zip_with_several_files_or_a_request_without_parts_is_rejected()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            zip.CreateEntry("a.csv");
            zip.CreateEntry("b.csv");
        }
        using (var response = await h.ImportAsync(buffer.ToArray(), Upsert))
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);

        using var form = new MultipartFormDataContent { { new StringContent(Upsert), "definition" } };
        using var missing = await h.Http.PostAsync(h.Executions, form, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
    }

    [Fact]
    public async Task The_definition_may_also_come_as_a_plain_form_field_and_the_unprefixed_url()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(Harness.Zip("customerId\nC-1\n")), "inputFile", "p.zip" },
            { new StringContent(Upsert), "definition" },
        };
        using var response = await h.Http.PostAsync("v5/entities/sluice_demo/etl-executions", form, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Subscription_columns_take_y_or_n()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        await h.ResultAsync(await h.ImportOkAsync("customerId;Newsletter\nC-1;Y\nC-2;N\n", Upsert));
        var profiles = h.Emulator.GetProfiles();
        Assert.Equal("true", profiles[0]["subscription:Newsletter"]);
        Assert.Equal("false", profiles[1]["subscription:Newsletter"]);
    }

    [Fact]
    public async Task The_error_file_can_be_served_zipped()
    {
        await using var h = await (await Harness.StartAsync(o => o.ZipResultFile = true)).AuthenticateAsync();
        var id = await h.ImportOkAsync("customerId;emailAddress\nC-1;bad\n", Upsert);
        await h.ResultAsync(id);
        using var file = await h.Http.GetAsync($"{h.Executions}/{id}/error-file", Ct);
        Assert.Equal("application/zip", file.Content.Headers.ContentType!.MediaType);
        using var zip = new ZipArchive(await file.Content.ReadAsStreamAsync(Ct));
        using var reader = new StreamReader(zip.Entries.Single().Open());
        Assert.Contains("INVALID_EMAIL", await reader.ReadToEndAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_executions_are_404_and_the_error_file_waits_until_finished()
    {
        await using var h = await (await Harness.StartAsync(o => o.ImportRunningPolls = 2)).AuthenticateAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await h.CallAsync(HttpMethod.Get, $"{h.Executions}/123")).Status);
        var id = await h.ImportOkAsync("customerId\nC-1\n", Upsert);
        using (var early = await h.Http.GetAsync($"{h.Executions}/{id}/error-file", Ct))
            Assert.Equal(HttpStatusCode.NotFound, early.StatusCode);
        await h.ResultAsync(id);
        using var late = await h.Http.GetAsync($"{h.Executions}/{id}/error-file", Ct);
        Assert.Equal(HttpStatusCode.OK, late.StatusCode);
    }

    [Fact]
    public async Task A_large_import_of_twenty_thousand_lines_is_applied()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        var csv = new StringBuilder("customerId;emailAddress;firstName\n");
        for (var i = 0; i < 20_000; i++) csv.Append("C-").Append(i).Append(";u").Append(i).Append("@example.com;Name").Append(i).Append('\n');
        var result = await h.ResultAsync(await h.ImportOkAsync(csv.ToString(), Upsert));
        Assert.Equal(20_000, Report(result, "createdRecords"));
        Assert.Equal(20_000, h.Emulator.ProfileCount());
        var (status, _) = await h.CallAsync(HttpMethod.Get, $"{h.Profiles}/profile/emailAddress=u19999@example.com");
        Assert.Equal(HttpStatusCode.OK, status);
    }
}

using System.Text;
using System.Text.Json;
using Sluice.Core.Destinations;
using Sluice.Core.Models;
using Sluice.Destinations.Salesforce.Formats;
using Sluice.Destinations.Salesforce.Http;
using Sluice.Destinations.Salesforce.Schema;
using Sluice.Destinations.Salesforce.Writing;

namespace Sluice.Destinations.Salesforce.Tests;

/// <summary>The client's parsing against answers recorded from a real org.</summary>
public sealed class RecordedPayloadTests
{
    private static JsonElement Recorded(string name) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Recorded", name + ".json"))).RootElement;

    private static byte[] Body(string name) => Encoding.UTF8.GetBytes(Recorded(name).GetProperty("response").GetProperty("body").GetRawText());

    private static SaveResult[] Saves(string name) => JsonSerializer.Deserialize(Body(name), SalesforceJson.Default.SaveResultArray)!;

    private static Item Item(string key, RecordOperation op, string? id = null) =>
        new(0, new DeliveryRecord(key, op, "m", [], null), id);

    [Fact]
    public void A_partial_update_failure_delivers_the_good_record_and_rejects_the_bad_one_with_its_code()
    {
        var saves = Saves("composite-update-partial-error-invalid-email");
        var ok = CollectionsWriter.ResultOf(RecordOperation.Update, Item("a", RecordOperation.Update, "0014S000007NxmlQAC"), saves[0]);
        var bad = CollectionsWriter.ResultOf(RecordOperation.Update, Item("b", RecordOperation.Update, "0014S000007Nx5BQAS"), saves[1]);
        Assert.Equal(RecordOutcome.Delivered, ok.Outcome);
        Assert.Equal("0014S000007NxmlQAC", ok.DestinationId);
        Assert.Equal(RecordOutcome.Rejected, bad.Outcome);
        Assert.Null(saves[1].Id); // a failed item has no id key at all
        Assert.Equal("INVALID_EMAIL_ADDRESS", bad.Code);
        Assert.Equal("email_field: invalid email address: badone", bad.Reason);
    }

    [Fact]
    public void A_create_missing_a_required_field_is_rejected_with_the_services_reason()
    {
        var result = CollectionsWriter.ResultOf(RecordOperation.Create, Item("a", RecordOperation.Create), Assert.Single(Saves("composite-create-error-required-field-missing")));
        Assert.Equal(RecordOutcome.Rejected, result.Outcome);
        Assert.Equal("REQUIRED_FIELD_MISSING", result.Code);
        Assert.Equal("Required fields are missing: [Name]", result.Reason);
    }

    [Fact]
    public void A_converted_lead_update_is_rejected_not_reported_missing()
    {
        var result = CollectionsWriter.ResultOf(RecordOperation.Update, Item("a", RecordOperation.Update, "00Q4S000002sSacUAE"), Assert.Single(Saves("composite-update-error-converted-lead")));
        Assert.Equal(RecordOutcome.Rejected, result.Outcome);
        Assert.Equal("CANNOT_UPDATE_CONVERTED_LEAD", result.Code);
    }

    [Fact]
    public void Successful_creates_carry_the_new_ids()
    {
        var saves = Saves("composite-create-success");
        Assert.Equal(3, saves.Length);
        Assert.All(saves, s => Assert.True(s.Success));
        Assert.Equal("0FT4S000001MwbwWAC", CollectionsWriter.ResultOf(RecordOperation.Create, Item("a", RecordOperation.Create), saves[0]).DestinationId);
    }

    [Fact]
    public void A_single_resource_error_reads_errorCode_not_statusCode()
    {
        var (code, message) = ApiResponse.ParseError(Body("get-record-404-not-found"));
        Assert.Equal("NOT_FOUND", code);
        Assert.Equal("The requested resource does not exist", message);
    }

    [Fact]
    public void Query_answers_give_ids_and_done()
    {
        var one = JsonSerializer.Deserialize(Body("query-one-record"), SalesforceJson.Default.QueryResult)!;
        Assert.True(one.Done);
        Assert.Equal("0014S000007NxmlQAC", Assert.Single(one.Records!).GetProperty("Id").GetString());
        var none = JsonSerializer.Deserialize(Body("query-empty"), SalesforceJson.Default.QueryResult)!;
        Assert.Empty(none.Records!);
    }

    [Theory]
    [InlineData("describe-Account", "Name")]
    [InlineData("describe-Contact", "LastName")]
    [InlineData("describe-Lead", "Company,LastName")]
    public void Required_fields_on_create_come_from_the_describe(string file, string required)
    {
        var describe = JsonSerializer.Deserialize(Encoding.UTF8.GetBytes(Recorded(file).GetRawText()), SalesforceJson.Default.DescribeResult)!;
        var schema = ObjectSchema.From(describe, "x");
        Assert.Equal(required, string.Join(",", schema.RequiredOnCreate.Select(f => f.Name).Order(StringComparer.Ordinal)));
    }

    [Fact]
    public void The_recorded_contact_describe_checks_a_sync_and_names_both_sides_of_a_type_mismatch()
    {
        var describe = JsonSerializer.Deserialize(Encoding.UTF8.GetBytes(Recorded("describe-Contact").GetRawText()), SalesforceJson.Default.DescribeResult)!;
        var schema = ObjectSchema.From(describe, "Contact");
        Assert.Empty(SyncRules.CheckSchema(schema, Support.Contacts.Sync(SyncMode.Upsert)).Problems);

        var sync = Support.Contacts.Sync(SyncMode.Update, Support.Contacts.ById, [new("score", "Birthdate")]);
        var problem = Assert.Single(SyncRules.CheckSchema(schema, sync).Problems);
        Assert.Equal("score", problem.Column);
        Assert.Contains("'score' (DECIMAL(10,2), decimal)", problem.Message, StringComparison.Ordinal);
        Assert.Contains("Contact.Birthdate (date)", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_recorded_limit_header_is_read()
    {
        foreach (var example in Recorded("response-headers").GetProperty("Sforce-Limit-Info_examples").EnumerateArray())
        {
            Assert.True(ApiUsageGuard.TryParse(example.GetString(), out var used, out var max));
            Assert.Equal(15000, max);
            Assert.InRange(used, 1, max);
        }
        Assert.True(ApiUsageGuard.TryParse("api-usage=25/15000; api-bursts=1/750", out var u, out var m));
        Assert.Equal((25, 15000), (u, m));
    }

    [Fact]
    public void Bulk_errors_split_into_code_and_message()
    {
        Assert.Equal(("REQUIRED_FIELD_MISSING", "Required fields are missing: [LastName]"),
            BulkWriter.ParseError("REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --"));
        Assert.Equal(("INVALID_EMAIL_ADDRESS", "Email: invalid email address: bad"),
            BulkWriter.ParseError("INVALID_EMAIL_ADDRESS:Email: invalid email address: bad:Email --"));
        Assert.Equal(("ENTITY_IS_DELETED", "entity is deleted"), BulkWriter.ParseError("ENTITY_IS_DELETED:entity is deleted: --"));
    }
}

public sealed class FormatTests
{
    [Fact]
    public void Values_are_written_in_the_formats_Salesforce_reads()
    {
        Assert.Equal("2024-02-29", Values.Text(new DateOnly(2024, 2, 29), ValueShape.Date));
        Assert.Equal("2024-02-29T13:05:09.120Z", Values.Text(new DateTime(2024, 2, 29, 13, 5, 9, 120, DateTimeKind.Utc), ValueShape.DateTime));
        Assert.Equal("2024-02-29", Values.Text(new DateTime(2024, 2, 29, 23, 0, 0, DateTimeKind.Utc), ValueShape.Date));
        Assert.Equal("2024-02-29T00:00:00.000Z", Values.Text(new DateOnly(2024, 2, 29), ValueShape.DateTime));
        Assert.Equal("#N/A", Values.Csv(null, ValueShape.Text));
        Assert.Equal("#N/A", Values.Csv("", ValueShape.Text));
        Assert.Equal("12.5", Values.Csv(12.5m, ValueShape.Number));
        Assert.Equal("true", Values.Csv(true, ValueShape.Boolean));
        Assert.Equal("'O\\'Brien'", Values.Soql("O'Brien", ValueShape.Text));
        Assert.Equal("12", Values.MatchKey(12.0m, ValueShape.Number));
        Assert.Equal(Values.MatchKey(12L, ValueShape.Number), Values.MatchKey("12.00", ValueShape.Number));
    }

    [Fact]
    public void Non_finite_numbers_are_refused_before_sending()
    {
        Assert.NotNull(Values.Problem(double.NaN));
        Assert.NotNull(Values.Problem(double.PositiveInfinity));
        Assert.Null(Values.Problem(1.5));
    }

    [Fact]
    public void Csv_cells_with_commas_quotes_and_newlines_survive_a_round_trip()
    {
        string[] row = ["plain", "a,b", "say \"hi\"", "two\nlines", "", "#N/A"];
        var sb = new StringBuilder();
        Csv.AppendRow(sb, ["h1", "h2", "h3", "h4", "h5", "h6"]);
        Csv.AppendRow(sb, row);
        var parsed = Csv.Parse(sb.ToString());
        Assert.Equal(2, parsed.Count);
        Assert.Equal(row, parsed[1]);
        Assert.Equal(["sf__Id", "x"], Csv.Parse("\"sf__Id\",\"x\"\r\n")[0]);
    }
}

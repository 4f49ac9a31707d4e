using Sluice.Core.Destinations;
using Sluice.Core.Models;
using Sluice.Destinations.Salesforce.Tests.Support;
using Sluice.Destinations.Tests.Support;

namespace Sluice.Destinations.Salesforce.Tests;

/// <summary>CheckAsync against the emulated org's describes.</summary>
public sealed class CheckTests
{
    [Fact]
    public async Task A_sync_that_fits_the_contact_object_has_no_problems()
    {
        await using var org = await TestOrg.StartAsync();
        await using var destination = TestOrg.Destination(org);
        Assert.Empty(await destination.CheckAsync(Contacts.Sync(SyncMode.Upsert), TestOrg.Ct));
        Assert.Empty(await destination.CheckAsync(Contacts.Sync(SyncMode.Update, Contacts.ById), TestOrg.Ct));
        Assert.Empty(await destination.CheckAsync(Contacts.Sync(SyncMode.Update, Contacts.ByEmail), TestOrg.Ct));
        Assert.Empty(await destination.CheckAsync(Contacts.Sync(SyncMode.Insert), TestOrg.Ct));
    }

    [Fact]
    public async Task Every_schema_problem_is_reported_at_once_naming_the_column_and_the_field()
    {
        await using var org = await TestOrg.StartAsync();
        await using var destination = TestOrg.Destination(org);
        var sync = Contacts.Sync(SyncMode.Upsert, mappings:
        [
            new("first_name", "Nickname__c"),      // no such field
            new("email", "Name"),                  // compound name: not writable
            new("vip", "number_field__c"),         // boolean into a double
            new("seen_at", "checkbox_field__c"),   // timestamp into a boolean
        ]);
        var problems = await destination.CheckAsync(sync, TestOrg.Ct);

        var unknown = Assert.Single(problems, p => p.Column == "first_name");
        Assert.Contains("Contact has no field 'Nickname__c'", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("Sluice cannot create fields", unknown.Hint, StringComparison.Ordinal);

        Assert.Contains(problems, p => p.Column == "email" && p.Message.Contains("cannot be set when a record is created", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Column == "email" && p.Message.Contains("cannot be changed on an existing record", StringComparison.Ordinal));

        var mismatch = Assert.Single(problems, p => p.Column == "vip");
        Assert.Contains("'vip' (BOOLEAN, boolean)", mismatch.Message, StringComparison.Ordinal);
        Assert.Contains("Contact.number_field__c (double)", mismatch.Message, StringComparison.Ordinal);
        Assert.Single(problems, p => p.Column == "seen_at");

        var required = Assert.Single(problems, p => p.Target == ProblemTarget.Sync);
        Assert.Contains("LastName", required.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Update_mode_does_not_ask_for_fields_required_on_create()
    {
        await using var org = await TestOrg.StartAsync();
        await using var destination = TestOrg.Destination(org);
        var sync = Contacts.Sync(SyncMode.Update, Contacts.ById, [new("first_name", "FirstName")]);
        Assert.Empty(await destination.CheckAsync(sync, TestOrg.Ct));
        var insert = Contacts.Sync(SyncMode.Insert, mappings: [new("first_name", "FirstName")]);
        Assert.Contains(await destination.CheckAsync(insert, TestOrg.Ct), p => p.Message.Contains("requires LastName", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_match_must_be_an_external_id_for_upsert_and_a_lookup_field_for_update()
    {
        await using var org = await TestOrg.StartAsync();
        await using var destination = TestOrg.Destination(org);

        var upsertByEmail = await destination.CheckAsync(Contacts.Sync(SyncMode.Upsert, Contacts.ByEmail), TestOrg.Ct);
        var problem = Assert.Single(upsertByEmail);
        Assert.Equal(ProblemTarget.Match, problem.Target);
        Assert.Contains("Contact.Email is not an External ID field", problem.Message, StringComparison.Ordinal);

        var updateByLastName = await destination.CheckAsync(Contacts.Sync(SyncMode.Update, new("last_name", "LastName")), TestOrg.Ct);
        Assert.Contains(updateByLastName, p => p.Target == ProblemTarget.Match && p.Message.Contains("neither Id nor an External ID", StringComparison.Ordinal));

        var updateByNumber = await destination.CheckAsync(Contacts.Sync(SyncMode.Update, new("visits", "Id")), TestOrg.Ct);
        Assert.Contains(updateByNumber, p => p.Target == ProblemTarget.Match && p.Message.Contains("must be text", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Account_needs_its_Name_and_a_custom_field_that_is_not_an_external_id_cannot_be_the_upsert_key()
    {
        await using var org = await TestOrg.StartAsync();
        await using var destination = TestOrg.Destination(org, "Account");
        var sync = new SyncContext("accounts", SyncMode.Upsert, ModelKind.Custom, new("ext_id", "Custom_External_ID__c"),
            [new("email", "email_field__c")], Contacts.Columns);
        var problems = await destination.CheckAsync(sync, TestOrg.Ct);
        Assert.Contains(problems, p => p.Target == ProblemTarget.Match && p.Message.Contains("Account.Custom_External_ID__c is not an External ID", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Target == ProblemTarget.Sync && p.Message.Contains("Account requires Name", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Wrong_credentials_stop_with_an_authentication_error_that_hides_the_secret()
    {
        await using var org = await TestOrg.StartAsync();
        const string wrong = "not-the-right-secret-123";
        await using var destination = TestOrg.Provider.Create(
            TestOrg.Settings(org, "Contact", ("client_secret", wrong)), new DestinationServices());
        var ex = await Assert.ThrowsAsync<DeliveryException>(() => destination.CheckAsync(Contacts.Sync(SyncMode.Insert), TestOrg.Ct));
        Assert.Equal(ErrorCategory.Authentication, ex.Category);
        Assert.Contains("invalid_client", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(TestOrg.ClientSecret, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_login_url_is_a_connection_error_after_two_quick_retries()
    {
        await using var org = await TestOrg.StartAsync();
        var url = org.BaseUrl.ToString();
        await org.DisposeAsync(); // nothing listens there any more
        var time = new SimulatedTime();
        var logs = new CapturedLogs();
        // Production patience (8 retries, 500 ms to 30 s backoff): a refused connection must still fail in seconds.
        var provider = new SalesforceDestinationProvider();
        await using var destination = provider.Create(TestOrg.Settings(url), time.Services(logs));
        var start = time.GetTimestamp();

        var ex = await Assert.ThrowsAsync<DeliveryException>(() => destination.CheckAsync(Contacts.Sync(SyncMode.Insert), TestOrg.Ct));

        Assert.Equal(ErrorCategory.Connection, ex.Category);
        Assert.Contains("127.0.0.1", ex.Message, StringComparison.Ordinal);
        Assert.Contains("connection refused", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, logs.Retries.Count);
        Assert.All(logs.Retries, r => Assert.Contains("the OAuth token request failed (connection refused)", r.Message, StringComparison.Ordinal));
        Assert.True(time.GetElapsedTime(start) < TimeSpan.FromSeconds(5), $"simulated wait {time.GetElapsedTime(start)}");
    }

    [Fact]
    public async Task The_refresh_token_grant_signs_in_without_a_client_secret()
    {
        await using var org = await TestOrg.StartAsync(o => o.IssueRefreshTokens = true);
        using var http = new HttpClient();
        using var answer = await http.PostAsync(new Uri(org.BaseUrl, "/services/oauth2/token"), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = TestOrg.ClientId,
            ["client_secret"] = TestOrg.ClientSecret,
        }), TestOrg.Ct);
        using var json = System.Text.Json.JsonDocument.Parse(await answer.Content.ReadAsStringAsync(TestOrg.Ct));
        var refresh = json.RootElement.GetProperty("refresh_token").GetString()!;

        var settings = new DestinationSettings("sf", "salesforce", new Dictionary<string, string>
        {
            ["login_url"] = org.BaseUrl.ToString(),
            ["client_id"] = TestOrg.ClientId,
            ["refresh_token"] = refresh,
            ["object"] = "Contact",
        });
        Assert.Empty(TestOrg.Provider.CheckSync(settings, Contacts.Sync(SyncMode.Upsert)));
        await using var destination = TestOrg.Provider.Create(settings, new DestinationServices());
        Assert.Empty(await destination.CheckAsync(Contacts.Sync(SyncMode.Upsert), TestOrg.Ct));
    }
}

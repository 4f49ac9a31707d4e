using Sluice.Core.Destinations;
using Sluice.Core.Models;
using Sluice.Destinations.Salesforce.Tests.Support;

namespace Sluice.Destinations.Salesforce.Tests;

public sealed class ProviderTests
{
    private static readonly SalesforceDestinationProvider Provider = new();

    private static IReadOnlyList<SyncProblem> Check(SyncContext sync, string obj = "Contact", params (string, string)[] extra) =>
        Provider.CheckSync(TestOrg.Settings("https://login.salesforce.com", obj, extra), sync);

    [Fact]
    public void Declares_every_option_with_its_default_and_flags_the_secrets()
    {
        var options = Provider.Options.ToDictionary(o => o.Name);
        Assert.Equal("salesforce", Provider.Type);
        Assert.Equal(
            ["api_reserve_percent", "api_version", "bulk_threshold", "client_id", "client_secret", "login_url", "object", "refresh_token"],
            options.Keys.Order(StringComparer.Ordinal));
        Assert.True(options["client_secret"].IsSecret);
        Assert.True(options["refresh_token"].IsSecret);
        Assert.False(options["client_id"].IsSecret);
        Assert.True(options["client_id"].Required);
        Assert.True(options["object"].Required);
        Assert.Equal(["Account", "Case", "Contact", "Contract", "Lead"], options["object"].Choices);
        Assert.Equal("https://login.salesforce.com", options["login_url"].Default);
        Assert.Equal("62.0", options["api_version"].Default);
        Assert.Equal("10000", options["bulk_threshold"].Default);
        Assert.Equal("10", options["api_reserve_percent"].Default);
        Assert.Equal([SyncMode.Insert, SyncMode.Update, SyncMode.Upsert], Provider.Modes.Order());
    }

    [Fact]
    public void A_valid_contact_sync_has_no_problems()
    {
        Assert.Empty(Check(Contacts.Sync(SyncMode.Upsert)));
        Assert.Empty(Check(Contacts.Sync(SyncMode.Update, Contacts.ById)));
        Assert.Empty(Check(Contacts.Sync(SyncMode.Insert)));
    }

    [Theory]
    [InlineData("Contact")]
    [InlineData("Lead")]
    public void People_objects_need_a_user_model(string obj)
    {
        var sync = Contacts.Sync(SyncMode.Insert) with { ModelKind = ModelKind.Custom };
        var problem = Assert.Single(Check(sync, obj));
        Assert.Equal(ProblemTarget.Sync, problem.Target);
        Assert.Contains("user model", problem.Message, StringComparison.Ordinal);
        Assert.Contains(obj, problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Account")]
    [InlineData("Case")]
    [InlineData("Contract")]
    public void Other_objects_need_a_custom_model(string obj)
    {
        var sync = Contacts.Sync(SyncMode.Insert);
        var problem = Assert.Single(Check(sync, obj));
        Assert.Contains("custom model", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Upsert_cannot_match_on_Id_because_Salesforce_upserts_only_by_external_id()
    {
        var problem = Assert.Single(Check(Contacts.Sync(SyncMode.Upsert, Contacts.ById)));
        Assert.Equal(ProblemTarget.Match, problem.Target);
        Assert.Contains("External ID", problem.Message, StringComparison.Ordinal);
        Assert.Contains("update mode", problem.Hint, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(SyncMode.Update)]
    [InlineData(SyncMode.Upsert)]
    public void Update_and_upsert_need_the_object_id_match(SyncMode mode)
    {
        var problem = Assert.Single(Check(Contacts.Sync(mode, new FieldMapping("", ""))));
        Assert.Equal(ProblemTarget.Match, problem.Target);
        Assert.Contains("\"Object ID\"", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Insert_cannot_match_on_Id_since_Salesforce_sets_it()
    {
        var problem = Assert.Single(Check(Contacts.Sync(SyncMode.Insert, Contacts.ById)));
        Assert.Equal(ProblemTarget.Match, problem.Target);
    }

    [Fact]
    public void Mirror_mode_is_refused_because_Sluice_never_deletes_Salesforce_records()
    {
        var problem = Assert.Single(Check(Contacts.Sync(SyncMode.Mirror)));
        Assert.Equal(ProblemTarget.Mode, problem.Target);
    }

    [Fact]
    public void A_destination_without_secret_or_refresh_token_is_reported()
    {
        var settings = new DestinationSettings("sf", "salesforce", new Dictionary<string, string>
        {
            ["client_id"] = "id",
            ["object"] = "Contact",
        });
        var problem = Assert.Single(Provider.CheckSync(settings, Contacts.Sync(SyncMode.Insert)));
        Assert.Equal(ProblemTarget.Destination, problem.Target);
        Assert.Contains("client_secret", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Mappings_to_Id_and_fields_mapped_twice_are_reported_per_column()
    {
        var sync = Contacts.Sync(SyncMode.Insert, mappings:
        [
            new("contact_id", "Id"),
            new("last_name", "LastName"),
            new("first_name", "lastname"),
        ]);
        var problems = Check(sync);
        Assert.Equal(2, problems.Count);
        Assert.Equal(["contact_id", "first_name"], problems.Select(p => p.Column));
    }

    [Theory]
    [InlineData("login_url", "login.salesforce.com")]
    [InlineData("object", "Opportunity")]
    [InlineData("api_reserve_percent", "120")]
    [InlineData("bulk_threshold", "-1")]
    public void Bad_option_values_are_rejected_by_their_declaration(string option, string value)
    {
        // The parser checks every value against these specs; CheckSync no longer re-checks them.
        Assert.NotNull(Provider.Options.Single(o => o.Name == option).Check(value, out _));
    }

    [Fact]
    public void An_old_api_version_cannot_upsert_through_collections()
    {
        var problem = Assert.Single(Check(Contacts.Sync(SyncMode.Upsert), "Contact", ("api_version", "42.0")));
        Assert.Contains("46.0", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Creating_a_destination_makes_no_call()
    {
        // Nothing listens on this port; Create must not touch the network.
        var destination = Provider.Create(TestOrg.Settings("http://127.0.0.1:9"), new DestinationServices());
        Assert.NotNull(destination);
    }
}

using Sluice.Core.Destinations;
using Sluice.Core.Models;
using Sluice.Destinations.Iterable.Tests.Support;

namespace Sluice.Destinations.Iterable.Tests;

public sealed class CheckSyncTests
{
    private readonly IterableDestinationProvider _provider = new();

    private IReadOnlyList<SyncProblem> Check(SyncContext sync, params (string Key, string Value)[] options) =>
        _provider.CheckSync(TestSync.Settings(new Uri("http://127.0.0.1:1"), options), sync);

    [Theory]
    [InlineData(SyncMode.Upsert, "email")]
    [InlineData(SyncMode.Update, "email")]
    [InlineData(SyncMode.Upsert, "userId")]
    [InlineData(SyncMode.Update, "userId")]
    public void A_plain_sync_in_a_supported_mode_has_no_problems(SyncMode mode, string match)
    {
        var sync = TestSync.Sync(mode, match, ("firstName", ValueKind.Text), ("seats", ValueKind.Integer));

        Assert.Empty(Check(sync));
    }

    [Theory]
    [InlineData(SyncMode.Insert)]
    [InlineData(SyncMode.Mirror)]
    public void Insert_and_mirror_modes_are_refused(SyncMode mode)
    {
        var problem = Assert.Single(Check(TestSync.Sync(mode, "email", ("plan", ValueKind.Text))));

        Assert.Equal(ProblemTarget.Mode, problem.Target);
        Assert.Contains("upsert", problem.Message, StringComparison.Ordinal);
        Assert.Contains("update", problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("external_id")]
    [InlineData("Email")]
    [InlineData("userid")]
    public void A_match_field_other_than_email_or_userId_is_a_problem_naming_both(string field)
    {
        var problem = Assert.Single(Check(TestSync.Sync(SyncMode.Upsert, field, ("plan", ValueKind.Text))));

        Assert.Equal(ProblemTarget.Match, problem.Target);
        Assert.Contains("'email'", problem.Message, StringComparison.Ordinal);
        Assert.Contains("'userId'", problem.Message, StringComparison.Ordinal);
        Assert.Contains(field, problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_email_match_on_a_numeric_column_is_a_problem()
    {
        var sync = TestSync.Sync(SyncMode.Upsert, "email", ("plan", ValueKind.Text)) with
        {
            Columns = [new ModelColumn("id", ValueKind.Integer, "BIGINT"), new ModelColumn("plan", ValueKind.Text, "VARCHAR")],
        };

        var problem = Assert.Single(Check(sync));
        Assert.Equal(ProblemTarget.Match, problem.Target);
    }

    [Theory]
    [InlineData("email")]
    [InlineData("userId")]
    [InlineData("EMAIL")]
    public void Mapping_a_column_to_an_identifier_field_is_a_problem(string field)
    {
        var sync = TestSync.SyncMapped(SyncMode.Upsert, "email", ("other_email", field, ValueKind.Text));

        var problem = Assert.Single(Check(sync));
        Assert.Equal(ProblemTarget.Mapping, problem.Target);
        Assert.Equal("other_email", problem.Column);
        Assert.Contains(field, problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("emailListIds")]
    [InlineData("userListIds")]
    [InlineData("signupDate")]
    [InlineData("profileUpdatedAt")]
    [InlineData("itblInternal")]
    [InlineData("subscribedMessageTypeIds")]
    [InlineData("unsubscribedChannelIds")]
    public void Mapping_to_an_Iterable_managed_field_is_a_problem(string field)
    {
        var sync = TestSync.SyncMapped(SyncMode.Upsert, "email", ("col", field, ValueKind.Text));

        var problem = Assert.Single(Check(sync));
        Assert.Equal("col", problem.Column);
        Assert.Contains(field, problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_field_name_with_a_dot_is_a_problem_because_it_clashes_with_nested_paths()
    {
        var sync = TestSync.SyncMapped(SyncMode.Upsert, "email", ("city", "address.city", ValueKind.Text), ("plan", "plan", ValueKind.Text));

        var problem = Assert.Single(Check(sync));
        Assert.Equal("city", problem.Column);
        Assert.Contains("'.'", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_columns_mapped_to_the_same_field_is_a_problem()
    {
        var sync = TestSync.SyncMapped(SyncMode.Upsert, "email", ("a", "plan", ValueKind.Text), ("b", "plan", ValueKind.Text));

        var problem = Assert.Single(Check(sync));
        Assert.Equal("b", problem.Column);
    }

    [Fact]
    public void Every_problem_is_reported_not_just_the_first()
    {
        var sync = TestSync.SyncMapped(SyncMode.Insert, "phone", ("a", "email", ValueKind.Text), ("b", "x.y", ValueKind.Text));

        var problems = Check(sync);

        Assert.Equal(4, problems.Count);
    }

    [Theory]
    [InlineData("batch_size", "0")]
    [InlineData("batch_size", "1001")]
    [InlineData("batch_size", "many")]
    [InlineData("region", "asia")]
    [InlineData("base_url", "not a url")]
    [InlineData("create_new_fields", "maybe")]
    public void Invalid_option_values_are_rejected_by_their_declaration(string option, string value)
    {
        // The parser checks every value against these specs; CheckSync no longer re-checks them.
        var spec = _provider.Options.Single(o => o.Name == option);

        var error = spec.Check(value, out _);

        Assert.NotNull(error);
        Assert.Empty(Check(TestSync.Sync(SyncMode.Upsert, "email", ("plan", ValueKind.Text))));
    }

    [Fact]
    public void The_options_are_declared_with_the_api_key_secret_and_required()
    {
        var options = _provider.Options.ToDictionary(o => o.Name);

        Assert.True(options["api_key"].IsSecret);
        Assert.True(options["api_key"].Required);
        Assert.Equal("1000", options["batch_size"].Default);
        Assert.Equal((1, 1000), (options["batch_size"].Minimum, options["batch_size"].Maximum));
        Assert.Equal("8", options["max_retries"].Default);
        Assert.Equal("true", options["create_new_fields"].Default);
        Assert.Equal(["us", "eu"], options["region"].Choices);
        Assert.Null(options["base_url"].Default); // so that region can pick the data center
        Assert.Equal("iterable", _provider.Type);
        Assert.Equal(new HashSet<SyncMode> { SyncMode.Upsert, SyncMode.Update }, _provider.Modes.ToHashSet());
    }

    [Fact]
    public void Region_eu_picks_the_eu_data_center_when_base_url_is_not_given()
    {
        var eu = IterableSettings.From(DestinationSettings.From("it", "iterable", ("api_key", "k"), ("region", "eu")));
        var us = IterableSettings.From(DestinationSettings.From("it", "iterable", ("api_key", "k")));
        var both = IterableSettings.From(DestinationSettings.From("it", "iterable", ("api_key", "k"), ("region", "eu"),
            ("base_url", "http://127.0.0.1:9000/api/")));

        Assert.Equal("https://api.eu.iterable.com/", eu.BaseUrl.ToString());
        Assert.Equal("https://api.iterable.com/", us.BaseUrl.ToString());
        Assert.Equal("http://127.0.0.1:9000/", both.BaseUrl.ToString());
    }
}

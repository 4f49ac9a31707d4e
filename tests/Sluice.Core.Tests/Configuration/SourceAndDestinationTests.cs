using Sluice.Core.Configuration;
using static Sluice.Core.Tests.Configuration.ProjectFolder;

namespace Sluice.Core.Tests.Configuration;

public sealed class SourceAndDestinationTests
{
    [Fact]
    public void An_unknown_source_type_is_a_problem_with_did_you_mean_and_the_known_types()
    {
        var problem = SingleProblemOf("sources:\n  w:\n    type: duckbd\n    path: x\n");
        Assert.Equal(new SourceLocation("sluice.yaml", 3, 11), problem.Location);
        Assert.Equal("source 'w' has unknown source type 'duckbd'; did you mean 'duckdb'?", problem.Message);
        Assert.Equal("Use one of the source types this Sluice knows: duckdb, postgres.", problem.Hint);
    }

    [Fact]
    public void A_source_without_a_type_is_a_problem_at_its_name()
    {
        var problem = SingleProblemOf("sources:\n  w:\n    path: x\n");
        Assert.Equal(new SourceLocation("sluice.yaml", 2, 3), problem.Location);
        Assert.Equal("source 'w' has no type", problem.Message);
        Assert.Equal("Add type: with one of duckdb, postgres.", problem.Hint);
    }

    [Fact]
    public void A_missing_required_option_is_a_problem_at_the_block()
    {
        var problem = SingleProblemOf("sources:\n  w:\n    type: duckdb\n");
        Assert.Equal(new SourceLocation("sluice.yaml", 2, 3), problem.Location);
        Assert.Equal("source 'w' is missing the required option 'path'", problem.Message);
        Assert.Equal("Add path: (The DuckDB file.)", problem.Hint);
    }

    [Fact]
    public void An_unknown_option_gets_did_you_mean_and_the_valid_keys()
    {
        var problem = SingleProblemOf("sources:\n  w:\n    type: duckdb\n    path: x\n    paht2: y\n");
        Assert.Equal(new SourceLocation("sluice.yaml", 5, 5), problem.Location);
        Assert.Equal("unknown key 'paht2' in source 'w'; did you mean 'path'?", problem.Message);
        Assert.Equal("Rename it to 'path', or remove it. Valid keys here: type, path.", problem.Hint);
    }

    [Fact]
    public void An_unknown_option_far_from_every_key_lists_the_valid_keys_without_a_guess()
    {
        var problem = SingleProblemOf("sources:\n  w:\n    type: duckdb\n    path: x\n    colour: y\n");
        Assert.Equal("unknown key 'colour' in source 'w'", problem.Message);
        Assert.Equal("Remove it. Valid keys here: type, path.", problem.Hint);
    }

    [Fact]
    public void Source_defaults_are_applied()
    {
        var project = LoadOf("sources:\n  crm:\n    type: postgres\n    connection: x\n");
        Assert.Equal("4", project.Sources["crm"].Settings["pool_size"].Value);
        Assert.Equal(new SourceLocation("sluice.yaml", 2, 3), project.Sources["crm"].Settings["pool_size"].Location);
    }

    [Fact]
    public void An_unknown_destination_type_is_a_problem_with_did_you_mean()
    {
        var problem = SingleProblemOf("destinations:\n  it:\n    type: iterabel\n    api_key: x\n");
        Assert.Equal(new SourceLocation("sluice.yaml", 3, 11), problem.Location);
        Assert.Equal("destination 'it' has unknown destination type 'iterabel'; did you mean 'iterable'?", problem.Message);
        Assert.Equal("Use one of the destination types this Sluice knows: actito, iterable, salesforce.", problem.Hint);
    }

    [Fact]
    public void Destination_defaults_are_applied_at_the_destination_location()
    {
        var project = LoadOf("destinations:\n  it:\n    type: iterable\n    api_key: k\n");
        var settings = project.Destinations["it"].Settings;
        Assert.Equal("https://api.iterable.com", settings["base_url"].Value);
        Assert.Equal("us", settings["region"].Value);
        Assert.Equal(new SourceLocation("sluice.yaml", 2, 3), settings["region"].Location);
        Assert.Equal(new SourceLocation("sluice.yaml", 4, 14), settings["api_key"].Location);
        Assert.DoesNotContain("type", settings.Keys);
    }

    [Fact]
    public void A_value_written_in_the_file_wins_over_the_default()
    {
        var project = LoadOf("destinations:\n  it:\n    type: iterable\n    api_key: k\n    region: eu\n    base_url: http://127.0.0.1:5000\n");
        Assert.Equal("eu", project.Destinations["it"].Settings["region"].Value);
        Assert.Equal("http://127.0.0.1:5000", project.Destinations["it"].Settings["base_url"].Value);
    }

    private const string Actito = """
        destinations:
          ac:
            type: actito
            api_key: k
            entity: e
            table: t

        """;

    [Theory]
    [InlineData("batch_size: lots", "option 'batch_size' of destination 'ac' must be a whole number, not 'lots'")]
    [InlineData("batch_size: 2.5", "option 'batch_size' of destination 'ac' must be a whole number, not '2.5'")]
    [InlineData("rate: fast", "option 'rate' of destination 'ac' must be a number, not 'fast'")]
    [InlineData("create_attributes: maybe", "option 'create_attributes' of destination 'ac' must be true or false, not 'maybe'")]
    public void Option_values_are_checked_against_their_type(string line, string message)
    {
        var problem = SingleProblemOf(Actito.Replace("table: t\n", $"table: t\n    {line}\n"));
        Assert.Equal(message, problem.Message);
        Assert.Equal(7, problem.Location?.Line);
    }

    [Fact]
    public void Typed_option_values_are_accepted_and_booleans_normalised()
    {
        var project = LoadOf(Actito.Replace("table: t\n", "table: t\n    batch_size: 100\n    rate: 0.5\n    create_attributes: False\n"));
        var settings = ProjectValidator.ToSettings(project.Destinations["ac"]);
        Assert.Equal(100, settings.GetInt("batch_size"));
        Assert.Equal(0.5, settings.GetDouble("rate"));
        Assert.False(settings.GetBool("create_attributes"));
    }

    [Fact]
    public void A_url_option_must_be_an_absolute_http_url()
    {
        var problem = SingleProblemOf("destinations:\n  it:\n    type: iterable\n    api_key: k\n    base_url: ftp://example.com\n");
        Assert.Equal("option 'base_url' of destination 'it' must be an absolute http(s) URL, not 'ftp://example.com'", problem.Message);
        Assert.Equal(new SourceLocation("sluice.yaml", 5, 15), problem.Location);
    }

    [Fact]
    public void A_choice_option_must_be_one_of_its_choices_with_did_you_mean()
    {
        var problem = SingleProblemOf("destinations:\n  sf:\n    type: salesforce\n    client_id: i\n    client_secret: s\n    object: Contcat\n");
        Assert.Equal("option 'object' of destination 'sf' must be one of Account, Case, Contact, Contract, Lead, not 'Contcat'; did you mean 'Contact'?", problem.Message);
        Assert.Equal(new SourceLocation("sluice.yaml", 6, 13), problem.Location);
    }

    [Fact]
    public void An_option_written_as_a_list_is_a_problem()
    {
        var problem = SingleProblemOf(Actito.Replace("entity: e", "entity: [a, b]"));
        Assert.Equal("option 'entity' of destination 'ac' must be a single value, not a list", problem.Message);
        Assert.Equal(new SourceLocation("sluice.yaml", 5, 13), problem.Location);
    }

    [Fact]
    public void An_empty_required_option_is_a_problem()
    {
        var problem = SingleProblemOf(Actito.Replace("entity: e", "entity:"));
        Assert.Equal("option 'entity' of destination 'ac' is empty", problem.Message);
        Assert.Equal("Give it a value: The entity.", problem.Hint);
    }

    [Fact]
    public void Every_problem_of_a_block_is_reported_at_once()
    {
        var problems = ProblemsOf("destinations:\n  sf:\n    type: salesforce\n    login_url: nope\n    object: Lead\n    clientid: x\n");
        Assert.Equal(
            [
                "2:3 destination 'sf' is missing the required option 'client_id'",
                "2:3 destination 'sf' is missing the required option 'client_secret'",
                "4:16 option 'login_url' of destination 'sf' must be an absolute http(s) URL, not 'nope'",
                "6:5 unknown key 'clientid' in destination 'sf'; did you mean 'client_id'?",
            ],
            problems.Select(p => $"{p.Location?.Line}:{p.Location?.Column} {p.Message}"));
    }

    [Fact]
    public void To_settings_gives_the_destination_its_resolved_values()
    {
        var project = LoadOf("destinations:\n  it:\n    type: iterable\n    api_key: ${K}\n", Env(("K", "secret")));
        var settings = ProjectValidator.ToSettings(project.Destinations["it"]);
        Assert.Equal("it", settings.Name);
        Assert.Equal("iterable", settings.Type);
        Assert.Equal("secret", settings.GetRequiredString("api_key"));
        Assert.Equal("https://api.iterable.com", settings.GetString("base_url"));
    }
}

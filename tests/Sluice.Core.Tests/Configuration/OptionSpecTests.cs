using Sluice.Core.Configuration;
using Sluice.Core.Destinations;
using static Sluice.Core.Tests.Configuration.ProjectFolder;

namespace Sluice.Core.Tests.Configuration;

/// <summary>An option's type, range, rule and default live in its <see cref="OptionSpec"/>, and only there.</summary>
public sealed class OptionSpecTests
{
    private static readonly OptionSpec BatchSize =
        new("batch_size", OptionType.Integer, "Users per request.", Default: "1000") { Minimum = 1, Maximum = 1000 };

    [Theory]
    [InlineData("1", "1")]
    [InlineData(" 1000 ", "1000")]
    public void A_whole_number_in_range_fits_and_is_trimmed(string text, string expected)
    {
        Assert.Null(BatchSize.Check(text, out var normalized));
        Assert.Equal(expected, normalized);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1001")]
    [InlineData("many")]
    [InlineData("2.5")]
    [InlineData("99999999999")]
    public void A_value_outside_the_type_or_range_says_what_it_must_be_and_suggests_the_default(string text)
    {
        var error = BatchSize.Check(text, out _);
        Assert.NotNull(error);
        Assert.Equal("a whole number from 1 to 1000", error.MustBe);
        Assert.Equal("Write a number such as 1000. Users per request.", error.Hint);
    }

    [Fact]
    public void A_number_range_with_only_a_minimum_reads_at_least()
    {
        var spec = new OptionSpec("rate", OptionType.Number, "Calls per second.") { Minimum = 0.5 };
        Assert.Equal("a number of at least 0.5", spec.Check("0.1", out _)?.MustBe);
        Assert.Null(spec.Check("0.5", out _));
        Assert.Equal("a number of at least 0.5", spec.Check("NaN", out _)?.MustBe);
    }

    [Fact]
    public void Booleans_are_normalised_and_anything_else_is_refused()
    {
        var spec = new OptionSpec("flag", OptionType.Boolean, "A flag.");
        Assert.Null(spec.Check("TRUE", out var normalized));
        Assert.Equal("true", normalized);
        Assert.Equal("true or false", spec.Check("yes", out _)?.MustBe);
    }

    [Fact]
    public void A_choice_suggests_the_closest_value()
    {
        var spec = new OptionSpec("region", OptionType.Choice, "us or eu.", Choices: ["us", "eu"]);
        var error = spec.Check("ue", out _);
        Assert.NotNull(error);
        Assert.Equal("one of us, eu", error.MustBe);
        Assert.Contains("did you mean", error.Suggestion, StringComparison.Ordinal);
    }

    [Fact]
    public void A_rule_runs_once_the_value_fits_its_type()
    {
        var spec = new OptionSpec("api_version", OptionType.String, "The REST API version.")
        {
            Rule = v => v.Contains('.', StringComparison.Ordinal) ? null : "a version such as 62.0",
        };
        Assert.Null(spec.Check("62.0", out _));
        var error = spec.Check("62", out _);
        Assert.Equal(new OptionError("a version such as 62.0", "The REST API version."), error);
    }

    [Fact]
    public void Strings_and_secrets_keep_their_spaces()
    {
        var spec = new OptionSpec("api_key", OptionType.Secret, "The key.");
        Assert.Null(spec.Check(" k ", out var normalized));
        Assert.Equal(" k ", normalized);
    }

    [Fact]
    public void The_parser_reports_a_range_error_at_the_value_with_the_spec_s_wording()
    {
        var catalog = new ProjectCatalog([], [new FakeDestinationProvider("iterable", [Models.SyncMode.Upsert], BatchSize)]);
        using var folder = new ProjectFolder("destinations:\n  it:\n    type: iterable\n    batch_size: 5000\n");

        Assert.False(ProjectLoader.TryLoad(folder.Path, catalog, out _, out var problems, NoEnvironment));

        var problem = Assert.Single(problems);
        Assert.Equal(new SourceLocation("sluice.yaml", 4, 17), problem.Location);
        Assert.Equal("option 'batch_size' of destination 'it' must be a whole number from 1 to 1000, not '5000'", problem.Message);
        Assert.Equal("Write a number such as 1000. Users per request.", problem.Hint);
    }

    [Fact]
    public void The_parser_applies_the_spec_s_default_when_the_option_is_not_written()
    {
        var catalog = new ProjectCatalog([], [new FakeDestinationProvider("iterable", [Models.SyncMode.Upsert], BatchSize)]);
        using var folder = new ProjectFolder("destinations:\n  it:\n    type: iterable\n");

        var project = ProjectLoader.Load(folder.Path, catalog, NoEnvironment);

        Assert.Equal("1000", project.Destinations["it"].Settings["batch_size"].Value);
    }

    [Fact]
    public void Settings_read_through_a_spec_fall_back_to_its_default()
    {
        var settings = DestinationSettings.From("it", "iterable");
        Assert.Equal(1000, settings.GetInt(BatchSize));
        Assert.Equal(25, DestinationSettings.From("it", "iterable", ("batch_size", "25")).GetInt(BatchSize));
    }

    [Fact]
    public void Settings_that_bypassed_the_parser_fail_on_a_bad_value_without_showing_it()
    {
        var settings = DestinationSettings.From("it", "iterable", ("batch_size", "secret-looking-5000"));
        var error = Assert.Throws<InvalidOperationException>(() => settings.GetInt(BatchSize));
        Assert.Equal("Destination 'it': option 'batch_size' must be a whole number from 1 to 1000.", error.Message);
    }

    [Fact]
    public void Reading_an_option_whose_variable_is_not_set_throws_every_variable_problem_of_the_block()
    {
        var project = LoadOf("destinations:\n  it:\n    type: iterable\n    api_key: ${API_KEY}\n    base_url: ${BASE_URL}\n");
        var settings = ProjectValidator.ToSettings(project.Destinations["it"]);

        Assert.True(settings.IsSet("api_key"));
        Assert.Equal("us", settings.GetString("region"));
        var error = Assert.Throws<ConfigException>(() => settings.GetString("api_key"));
        Assert.Equal(
            ["sluice.yaml:4:14: variable ${API_KEY} used by option 'api_key' of destination 'it' is not set",
             "sluice.yaml:5:15: variable ${BASE_URL} used by option 'base_url' of destination 'it' is not set"],
            error.Problems.Select(p => $"{p.Location}: {p.Message}"));
        // An unresolved option does not silently take its default.
        Assert.Throws<ConfigException>(() => settings.GetString("base_url"));
    }
}

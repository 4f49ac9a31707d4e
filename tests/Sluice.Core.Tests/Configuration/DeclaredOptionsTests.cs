using System.Globalization;
using Sluice.Core.Configuration;
using Sluice.Core.Destinations;
using Sluice.Destinations.Actito;
using Sluice.Destinations.Iterable;
using Sluice.Destinations.Salesforce;

namespace Sluice.Core.Tests.Configuration;

/// <summary>
/// Every option of the real destinations: its default and its validation come from its <see cref="OptionSpec"/>,
/// through the real parser, and the destination reads it without a default or a check of its own.
/// </summary>
public sealed class DeclaredOptionsTests
{
    private static readonly IDestinationProvider[] Providers =
        [new IterableDestinationProvider(), new ActitoDestinationProvider(), new SalesforceDestinationProvider()];

    private static readonly ProjectCatalog Catalog = new([], Providers);

    public static TheoryData<string, string> Options()
    {
        var data = new TheoryData<string, string>();
        foreach (var provider in Providers)
        {
            foreach (var option in provider.Options)
            {
                data.Add(provider.Type, option.Name);
            }
        }

        return data;
    }

    private static OptionSpec Spec(string type, string option) =>
        Providers.Single(p => p.Type == type).Options.Single(o => o.Name == option);

    /// <summary>A destination block with only the required options (Salesforce also needs one of its secrets).</summary>
    private static string Block(string type, params string[] extra)
    {
        var lines = Providers.Single(p => p.Type == type).Options.Where(o => o.Required)
            .Select(o => $"    {o.Name}: {(o.Choices is { } choices ? choices[0] : "x")}")
            .Concat(type == "salesforce" ? ["    client_secret: ${SECRET}"] : [])
            .Concat(extra.Select(e => "    " + e));
        return $"destinations:\n  d:\n    type: {type}\n{string.Join("\n", lines)}\n";
    }

    private static IReadOnlyDictionary<string, string?> Secrets { get; } = new Dictionary<string, string?>
    {
        ["SECRET"] = "s",
    };

    private static (ProjectConfig? Project, IReadOnlyList<ConfigProblem> Problems) Load(string yaml)
    {
        using var folder = new ProjectFolder(yaml.Replace("api_key: x", "api_key: ${SECRET}", StringComparison.Ordinal));
        ProjectLoader.TryLoad(folder.Path, Catalog, out var project, out var problems, Secrets);
        return (project, problems);
    }

    [Theory]
    [MemberData(nameof(Options))]
    public void Each_option_has_one_line_of_documentation_and_a_default_that_fits_its_own_declaration(string type, string option)
    {
        var spec = Spec(type, option);
        Assert.False(string.IsNullOrWhiteSpace(spec.Description));
        Assert.DoesNotContain('\n', spec.Description);
        if (spec.Default is { } value)
        {
            Assert.False(spec.Required, "a required option has no use for a default");
            Assert.Null(spec.Check(value, out _));
        }
    }

    [Theory]
    [MemberData(nameof(Options))]
    public void An_option_left_out_takes_the_default_of_its_declaration(string type, string option)
    {
        var spec = Spec(type, option);
        if (spec.Required || Block(type).Contains($"    {option}:", StringComparison.Ordinal))
        {
            return;
        }

        var (project, problems) = Load(Block(type));
        Assert.Empty(problems);
        var settings = ProjectValidator.ToSettings(project!.Destinations["d"]);
        Assert.Equal(spec.Default, settings.GetString(spec));
    }

    [Theory]
    [MemberData(nameof(Options))]
    public void A_value_outside_the_declared_range_is_refused_by_the_parser_in_the_declaration_s_words(string type, string option)
    {
        var spec = Spec(type, option);
        if (spec.Minimum is not { } min)
        {
            return;
        }

        var below = (min - 1).ToString(CultureInfo.InvariantCulture);
        var (_, problems) = Load(Block(type, $"{option}: {below}"));
        var problem = Assert.Single(problems);
        var error = spec.Check(below, out _)!;
        Assert.Equal($"option '{option}' of destination 'd' must be {error.MustBe}, not '{below}'", problem.Message);
        Assert.Equal(error.Hint, problem.Hint);
    }

    [Theory]
    [InlineData("iterable")]
    [InlineData("actito")]
    [InlineData("salesforce")]
    public async Task A_destination_reads_a_block_of_only_required_options_through_the_declarations(string type)
    {
        // Creating reads every option: with only the required ones written, each other one comes from its spec's default.
        var (project, problems) = Load(Block(type));
        Assert.Empty(problems);
        var provider = Providers.Single(p => p.Type == type);
        var settings = ProjectValidator.ToSettings(project!.Destinations["d"]);
        await using var destination = provider.Create(settings, DestinationServices.Default);
        Assert.NotNull(destination);
    }
}

using Sluice.Core.Configuration;
using static Sluice.Core.Tests.Configuration.ProjectFolder;

namespace Sluice.Core.Tests.Configuration;

public sealed class SecretTests
{
    private const string Secret = "s3cr3t-Iterable-Ω-7f9e";

    private static string Project(string apiKeyLine, string after = "") => $$"""
        sources:
          warehouse:
            type: duckdb
            path: warehouse.duckdb
        models:
          customers:
            source: warehouse
            primary_key: customer_id
            sql: select customer_id, email from customers
        destinations:
          iterable:
            type: iterable
        {{apiKeyLine}}
        {{after}}
        syncs:
          to-iterable:
            model: customers
            destination: iterable
            mode: upsert
            match: { column: email, field: email }
            mappings:
              email: email
        """;

    private static readonly SecretRedactor Redactor = SecretRedactor.For(FakeCatalog.Instance);

    [Theory]
    [InlineData("    api_key: s3cr3t-Iterable-Ω-7f9e", "    api_key: ***")]
    [InlineData("    api_key: \"s3cr3t-Iterable-Ω-7f9e: #x\"  # the key", "    api_key: ***  # the key")]
    [InlineData("    api_key: 's3cr3t-Iterable-Ω-7f9e ''q'''", "    api_key: ***")]
    [InlineData("    api_key: \"s3cr3t-Iterable-Ω-7f9e", "    api_key: ***")]
    [InlineData("  iterable: { type: iterable, api_key: s3cr3t-Iterable-Ω-7f9e, base_url: https://x }", "  iterable: { type: iterable, api_key: ***, base_url: https://x }")]
    [InlineData("    client_secret: s3cr3t-Iterable-Ω-7f9e: more", "    client_secret: ***")]
    [InlineData("    - connection: s3cr3t-Iterable-Ω-7f9e", "    - connection: ***")]
    [InlineData("    api_kye: s3cr3t-Iterable-Ω-7f9e", "    api_kye: ***")]
    [InlineData("    API_KEY: s3cr3t-Iterable-Ω-7f9e", "    API_KEY: ***")]
    [InlineData("    my_password: s3cr3t-Iterable-Ω-7f9e", "    my_password: ***")]
    [InlineData("    api_key: ${ITERABLE_API_KEY}", "    api_key: ${ITERABLE_API_KEY}")]
    [InlineData("    api_key: \"${ITERABLE_API_KEY}\"", "    api_key: \"${ITERABLE_API_KEY}\"")]
    [InlineData("    primary_key: customer_id", "    primary_key: customer_id")]
    [InlineData("    sql: select api_key: from t", "    sql: select api_key: from t")]
    [InlineData("    api_key:", "    api_key:")]
    public void A_secret_value_is_masked_in_a_line_and_nothing_else_is(string line, string expected) =>
        Assert.Equal(expected, Redactor.RedactLine(line, out _));

    [Fact]
    public void A_block_scalar_secret_is_masked_on_every_line()
    {
        var lines = Redactor.Redact(["    api_key: |", "      s3cr3t-Iterable-Ω-7f9e", "      more", "    base_url: https://x"]);

        Assert.Equal(["    api_key: |", "      ***", "      ***", "    base_url: https://x"], lines);
    }

    [Fact]
    public void A_syntax_error_next_to_a_literal_secret_shows_the_excerpt_without_it()
    {
        var problem = SingleProblemOf(Project($"    api_key: \"{Secret}\"", "    : broken ["));

        Assert.Contains("invalid YAML", problem.Message, StringComparison.Ordinal);
        Assert.Contains("api_key: ***", problem.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, problem.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_syntax_error_in_the_secret_line_itself_does_not_show_it()
    {
        var problem = SingleProblemOf(Project($"    api_key: [{Secret}"));

        Assert.Contains("invalid YAML", problem.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, problem.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void An_unclosed_flow_collection_is_a_located_syntax_error()
    {
        var problem = SingleProblemOf(Project($"    api_key: ${{KEY}}", "    region us: ["));

        Assert.Equal(14, problem.Location!.Value.Line);
        Assert.Contains("invalid YAML", problem.Message, StringComparison.Ordinal);
        Assert.NotNull(problem.Hint);
    }

    [Fact]
    public void A_literal_secret_loads_with_a_warning_that_names_the_place_and_the_variable_to_use()
    {
        var project = LoadOf(Project($"    api_key: \"{Secret}\""));

        var warning = Assert.Single(project.Warnings);
        Assert.Equal(13, warning.Location!.Value.Line);
        Assert.Contains("option 'api_key' of destination 'iterable' is a secret written literally", warning.Message, StringComparison.Ordinal);
        Assert.Contains("${ITERABLE_API_KEY}", warning.Hint, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, warning.ToString(), StringComparison.Ordinal);
        Assert.Equal(Secret, project.Destinations["iterable"].Settings["api_key"].Value);
    }

    [Fact]
    public void A_secret_from_a_variable_loads_without_a_warning()
    {
        var project = LoadOf(Project("    api_key: ${KEY}"), Env(("KEY", Secret)));

        Assert.Empty(project.Warnings);
    }

    [Fact]
    public void Config_errors_carry_the_literal_secret_warning_too()
    {
        using var folder = new ProjectFolder(Project($"    api_key: \"{Secret}\"", "    regoin: us"));

        var error = Assert.Throws<ConfigException>(() => folder.Load());

        Assert.Contains(error.Problems, p => p.Message.Contains("unknown key 'regoin'", StringComparison.Ordinal));
        Assert.Single(error.Warnings);
        Assert.DoesNotContain(Secret, error.Message, StringComparison.Ordinal);
    }
}

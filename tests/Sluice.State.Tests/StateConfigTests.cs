using Sluice.Core.Configuration;

namespace Sluice.State.Tests;

/// <summary>The <c>state:</c> key of sluice.yaml: a secret URL (or connection string) and an optional schema.</summary>
public sealed class StateConfigTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "sluice-state-config", Guid.NewGuid().ToString("N"));

    public StateConfigTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private ProjectConfig Load(string yaml, Dictionary<string, string?>? environment = null)
    {
        File.WriteAllText(Path.Combine(_folder, "sluice.yaml"), yaml);
        return ProjectLoader.Load(_folder, new ProjectCatalog([], []), environment ?? []);
    }

    [Fact]
    public void A_variable_gives_the_connection_and_the_default_schema_and_no_state_means_the_embedded_store()
    {
        var project = Load("state: ${DATABASE_URL}\n", new() { ["DATABASE_URL"] = "postgres://u:secret-pw@db/x" });
        Assert.Equal(new StateConfig("postgres://u:secret-pw@db/x", "sluice", new SourceLocation("sluice.yaml", 1, 8)), project.State);
        Assert.Empty(project.Warnings);
        Assert.DoesNotContain("secret-pw", project.State!.ToString());
        Assert.Null(Load("sources: {}\n").State);
    }

    [Fact]
    public void The_mapping_form_sets_the_schema_and_a_bad_schema_name_is_a_problem_at_its_line()
    {
        var project = Load("state:\n  connection: ${DATABASE_URL}\n  schema: sluice_prod\n", new() { ["DATABASE_URL"] = "postgres://db/x" });
        Assert.Equal("sluice_prod", project.State!.Schema);
        var e = Assert.Throws<ConfigException>(() => Load("state:\n  connection: ${DATABASE_URL}\n  schema: Bad-Name\n",
            new() { ["DATABASE_URL"] = "postgres://db/x" }));
        Assert.Equal("sluice.yaml:3:11", Assert.Single(e.Problems).Location.ToString());
    }

    [Fact]
    public void An_unset_or_empty_variable_is_a_problem_naming_it_and_a_literal_password_is_warned_of()
    {
        var unset = Assert.Throws<ConfigException>(() => Load("state: ${DATABASE_URL}\n"));
        Assert.Contains("DATABASE_URL", Assert.Single(unset.Problems).ToString());
        var empty = Assert.Throws<ConfigException>(() => Load("state: ${DATABASE_URL}\n", new() { ["DATABASE_URL"] = "" }));
        Assert.Contains("state is empty", Assert.Single(empty.Problems).Message);
        var literal = Load("state: postgres://u:pw-literal@db/x\n");
        Assert.Contains("state is a secret written literally", Assert.Single(literal.Warnings).Message);
        Assert.DoesNotContain("pw-literal", Assert.Single(literal.Warnings).ToString());
    }
}

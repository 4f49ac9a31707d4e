using Sluice.Core.Configuration;
using Sluice.Core.Models;
using static Sluice.Core.Tests.Configuration.ProjectFolder;

namespace Sluice.Core.Tests.Configuration;

public sealed class LoadingTests
{
    private const string DesignExample = """
        # sluice.yaml
        sources:
          warehouse:
            type: duckdb                  # embedded default
            path: warehouse.duckdb        # relative to this file
          crm_db:
            type: postgres
            connection: ${CRM_DB_URL}     # ${VAR}: from the environment or .env

        models:
          customers:
            source: warehouse
            kind: user                    # user | custom
            primary_key: customer_id
            sql: select customer_id, email, first_name, plan, ltv from customers
          pro_customers:                  # a segment: a model plus a filter
            model: customers
            filter: plan = 'pro'

        destinations:
          iterable:
            type: iterable
            api_key: ${ITERABLE_API_KEY}
            base_url: https://api.iterable.com        # tests and demo point this at an emulator
          actito:
            type: actito
            api_key: ${ACTITO_API_KEY}
            entity: my_entity
            table: profiles
          sf_contacts:
            type: salesforce
            login_url: https://login.salesforce.com
            client_id: ${SF_CLIENT_ID}
            client_secret: ${SF_CLIENT_SECRET}
            object: Contact

        syncs:
          customers-to-iterable:
            model: customers
            destination: iterable
            mode: upsert                  # insert | update | upsert | mirror
            match: { column: email, field: email }
            mappings:                     # model column: destination attribute
              first_name: firstName
              plan: plan
              ltv: lifetimeValue
            schedule: every 30m           # manual | every <n>m/h | a cron expression | after <sync>
            warnings:
              on_failure: true
              rejected_rows_percent: 5
              on_empty_model: true
              notify: [data-team]

        notifications:
          data-team:
            webhook: ${SLACK_WEBHOOK_URL}
            email: data-team@example.com
        """;

    internal static readonly IReadOnlyDictionary<string, string?> DesignEnvironment = Env(
        ("CRM_DB_URL", "Host=db;Password=pg-secret"),
        ("ITERABLE_API_KEY", "it-secret"),
        ("ACTITO_API_KEY", "ac-secret"),
        ("SF_CLIENT_ID", "sf-id"),
        ("SF_CLIENT_SECRET", "sf-secret"),
        ("SLACK_WEBHOOK_URL", "https://hooks.slack.example/T000/B000/XXXX"));

    [Fact]
    public void The_example_project_of_the_design_loads()
    {
        using var folder = new ProjectFolder(DesignExample);
        var project = folder.Load(DesignEnvironment);

        Assert.Equal(folder.Path, project.Directory);
        Assert.Equal(Path.Combine(folder.Path, "sluice.yaml"), project.FilePath);
        Assert.Equal(["warehouse", "crm_db"], project.Sources.Keys);
        Assert.Equal("Host=db;Password=pg-secret", project.Sources["crm_db"].Settings["connection"].Value);
        Assert.Equal(new SourceLocation("sluice.yaml", 8, 17), project.Sources["crm_db"].Settings["connection"].Location);

        var customers = project.Models["customers"];
        Assert.Equal(ModelKind.User, customers.Kind);
        Assert.Equal("customer_id", customers.PrimaryKey);
        Assert.Equal(new SourceLocation("sluice.yaml", 14, 18), customers.PrimaryKeyLocation);
        Assert.Equal(new SourceLocation("sluice.yaml", 11, 3), customers.Location);

        var pro = project.Models["pro_customers"];
        Assert.Equal("customers", pro.BaseModel);
        Assert.Equal("warehouse", pro.Source);
        Assert.Equal("select * from (select customer_id, email, first_name, plan, ltv from customers) as sluice_base where plan = 'pro'", pro.Sql);

        Assert.Equal("https://api.iterable.com", project.Destinations["iterable"].Settings["base_url"].Value);
        Assert.Equal("Contact", project.Destinations["sf_contacts"].Settings["object"].Value);

        var sync = project.Syncs["customers-to-iterable"];
        Assert.Equal(SyncMode.Upsert, sync.Mode);
        Assert.Equal(new MappingConfig("email", "email", new SourceLocation("sluice.yaml", 42, 12)), sync.Match);
        Assert.Equal(["first_name:firstName", "plan:plan", "ltv:lifetimeValue"], sync.Mappings.Select(m => $"{m.Column}:{m.Field}"));
        Assert.Equal(44, sync.Mappings[0].Location.Line);
        Assert.Equal(new IntervalSchedule(TimeSpan.FromMinutes(30)), sync.Schedule);
        Assert.Equal(new SourceLocation("sluice.yaml", 41, 11), sync.ModeLocation);
        Assert.Equal(5, sync.Warnings.RejectedRowsPercent);
        Assert.Equal(["data-team"], sync.Warnings.Notify);
        Assert.True(sync.Warnings.OnMirrorGuard);
        Assert.Equal(DeleteLimit.Default, sync.MaxDeletes);

        var team = project.Notifications["data-team"];
        Assert.Equal("https://hooks.slack.example/T000/B000/XXXX", team.Webhook);
        Assert.Equal("data-team@example.com", team.Email);
    }

    [Fact]
    public void A_missing_project_file_says_to_run_sluice_init()
    {
        using var folder = new ProjectFolder(null);
        var problem = Assert.Single(folder.Problems());
        Assert.Equal($"no sluice.yaml in {folder.Path}", problem.Message);
        Assert.Contains("sluice init", problem.Hint);
        Assert.Equal("sluice.yaml", problem.Location?.ToString());
    }

    [Fact]
    public void A_missing_project_folder_is_a_problem()
    {
        var missing = Path.Combine(Path.GetTempPath(), "sluice-missing-" + Guid.NewGuid().ToString("N"));
        Assert.False(ProjectLoader.TryLoad(missing, FakeCatalog.Instance, out _, out var problems, NoEnvironment));
        Assert.Equal($"the project folder {missing} does not exist", Assert.Single(problems).Message);
    }

    [Fact]
    public void A_project_file_named_sluice_yml_is_accepted_and_named_in_locations()
    {
        using var folder = new ProjectFolder("""
            sources:
              warehouse: { type: duckdb, path: w.duckdb }
              other: { type: duckdb, pth: w.duckdb }
            """, fileName: "sluice.yml");
        var problems = folder.Problems();
        Assert.All(problems, p => Assert.Equal("sluice.yml", p.Location?.File));
        Assert.Contains(problems, p => p.Location == new SourceLocation("sluice.yml", 3, 26));
    }

    [Fact]
    public void Both_sluice_yaml_and_sluice_yml_in_one_folder_is_a_problem()
    {
        using var folder = new ProjectFolder("sources:\n");
        File.WriteAllText(Path.Combine(folder.Path, "sluice.yml"), "sources:\n");
        Assert.StartsWith("both sluice.yaml and sluice.yml are in", Assert.Single(folder.Problems()).Message);
    }

    [Fact]
    public void An_empty_project_file_is_an_empty_project()
    {
        var project = LoadOf("# nothing yet\n");
        Assert.Empty(project.Sources);
        Assert.Empty(project.Syncs);
    }

    [Fact]
    public void Empty_sections_are_allowed()
    {
        var project = LoadOf("sources:\nmodels:\ndestinations:\nsyncs:\nnotifications:\n");
        Assert.Empty(project.Models);
    }

    [Fact]
    public void A_syntax_error_shows_file_line_column_and_a_numbered_excerpt()
    {
        var problem = SingleProblemOf("""
            sources:
              warehouse:
                type: duckdb
                path: "warehouse.duckdb
            models:
              customers:
                source: warehouse
            """);
        Assert.Equal("sluice.yaml", problem.Location?.File);
        Assert.Equal(4, problem.Location?.Line);
        Assert.Equal(11, problem.Location?.Column);
        Assert.StartsWith("invalid YAML: ", problem.Message);
        Assert.EndsWith(
            """
            
                2 |   warehouse:
                3 |     type: duckdb
              > 4 |     path: "warehouse.duckdb
                  |           ^
                5 | models:
                6 |   customers:
            """.ReplaceLineEndings("\n"),
            problem.Message);
    }

    [Fact]
    public void A_key_written_twice_is_a_syntax_error_at_the_second_one()
    {
        var problem = SingleProblemOf("""
            sources:
              warehouse:
                type: duckdb
                path: a.duckdb
              warehouse:
                type: duckdb
            """);
        Assert.Equal(new SourceLocation("sluice.yaml", 5, 3), problem.Location);
        Assert.Contains("Duplicate key", problem.Message);
        Assert.Contains("> 5 |   warehouse:", problem.Message);
    }

    [Fact]
    public void A_project_file_that_is_not_a_mapping_is_a_problem()
    {
        var problem = SingleProblemOf("- sources\n- models\n");
        Assert.Equal("the project file must be a mapping of keys to values, not a list", problem.Message);
        Assert.Equal(new SourceLocation("sluice.yaml", 1, 1), problem.Location);
    }

    [Fact]
    public void A_section_that_is_not_a_mapping_is_a_problem()
    {
        var problem = SingleProblemOf("sources: [a, b]\n");
        Assert.Equal("the sources section must be a mapping of keys to values, not a list", problem.Message);
        Assert.Equal(new SourceLocation("sluice.yaml", 1, 10), problem.Location);
    }

    [Fact]
    public void Two_yaml_documents_are_a_problem()
    {
        var problem = SingleProblemOf("sources:\n---\nmodels:\n");
        Assert.Equal("sluice.yaml holds more than one YAML document", problem.Message);
    }

    [Fact]
    public void Load_throws_a_config_exception_with_every_problem_in_file_order()
    {
        using var folder = new ProjectFolder("""
            sorces:
              warehouse: { type: duckdb, path: w.duckdb }
            models:
              customers:
                source: warehouse
                sql: select 1
            synks:
            """);
        var e = Assert.Throws<ConfigException>(() => folder.Load());
        Assert.Equal(
            [
                "sluice.yaml:1:1: unknown key 'sorces' in the project file (top level); did you mean 'sources'?",
                "sluice.yaml:4:3: model 'customers' has no primary_key",
                "sluice.yaml:5:13: model 'customers' reads source 'warehouse', which does not exist",
                "sluice.yaml:7:1: unknown key 'synks' in the project file (top level); did you mean 'syncs'?",
            ],
            e.Problems.Select(p => $"{p.Location}: {p.Message}"));
        Assert.Contains("sluice.yaml:7:1: unknown key 'synks'", e.Message);
        Assert.Equal("Rename it to 'syncs', or remove it. Valid keys here: sources, models, destinations, syncs, notifications, smtp, state.", e.Problems[3].Hint);
    }
}

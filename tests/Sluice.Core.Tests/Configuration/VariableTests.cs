using Sluice.Core.Configuration;
using static Sluice.Core.Tests.Configuration.ProjectFolder;

namespace Sluice.Core.Tests.Configuration;

public sealed class VariableTests
{
    private const string Postgres = """
        sources:
          crm:
            type: postgres
            connection: ${CRM_DB_URL}
        """;

    private static string ConnectionOf(ProjectConfig project) => project.Sources["crm"].Settings["connection"].Value;

    [Fact]
    public void A_variable_is_replaced_by_its_value_from_the_environment()
    {
        var project = LoadOf(Postgres, Env(("CRM_DB_URL", "Host=db")));
        Assert.Equal("Host=db", ConnectionOf(project));
    }

    [Fact]
    public void A_variable_inside_a_longer_value_is_replaced()
    {
        var project = LoadOf(Postgres.Replace("${CRM_DB_URL}", "Host=${HOST};Port=${PORT}"), Env(("HOST", "db"), ("PORT", "5433")));
        Assert.Equal("Host=db;Port=5433", ConnectionOf(project));
    }

    [Fact]
    public void A_variable_is_read_from_the_dot_env_file_beside_the_project()
    {
        var project = LoadOf(Postgres, dotEnv: "CRM_DB_URL=Host=from-file\n");
        Assert.Equal("Host=from-file", ConnectionOf(project));
    }

    [Fact]
    public void The_real_environment_wins_over_the_dot_env_file()
    {
        var project = LoadOf(Postgres, Env(("CRM_DB_URL", "Host=real")), "CRM_DB_URL=Host=from-file\n");
        Assert.Equal("Host=real", ConnectionOf(project));
    }

    [Fact]
    public void A_variable_set_to_null_in_the_environment_falls_back_to_the_dot_env_file()
    {
        var project = LoadOf(Postgres, Env(("CRM_DB_URL", null)), "CRM_DB_URL=Host=from-file\n");
        Assert.Equal("Host=from-file", ConnectionOf(project));
    }

    [Fact]
    public void The_process_environment_is_used_when_no_environment_is_given()
    {
        var name = "SLUICE_TEST_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(name, "Host=process");
        try
        {
            using var folder = new ProjectFolder(Postgres.Replace("CRM_DB_URL", name));
            var project = ProjectLoader.Load(folder.Path, FakeCatalog.Instance);
            Assert.Equal("Host=process", ConnectionOf(project));
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public void A_missing_variable_names_the_variable_and_the_line_and_says_to_set_it_or_add_it_to_dot_env()
    {
        // The project loads: only what reads the source fails, with this problem.
        var project = LoadOf(Postgres);
        var problem = Assert.Single(project.UnresolvedProblems);
        Assert.Equal(new SourceLocation("sluice.yaml", 4, 17), problem.Location);
        Assert.Equal("variable ${CRM_DB_URL} used by option 'connection' of source 'crm' is not set", problem.Message);
        Assert.Equal("Set CRM_DB_URL in the environment, or add a line CRM_DB_URL=... to the .env file beside sluice.yaml.", problem.Hint);
        var setting = Assert.Single(project.Sources["crm"].Unresolved);
        Assert.Equal("connection", setting.Key);
        Assert.DoesNotContain("connection", project.Sources["crm"].Settings.Keys);
        Assert.Equal("4", project.Sources["crm"].Settings["pool_size"].Value);
    }

    [Fact]
    public void Every_missing_variable_is_reported()
    {
        var project = LoadOf(Postgres.Replace("${CRM_DB_URL}", "${A}:${B}"));
        Assert.Equal(["variable ${A} used by option 'connection' of source 'crm' is not set", "variable ${B} used by option 'connection' of source 'crm' is not set"],
            project.UnresolvedProblems.Select(p => p.Message));
    }

    [Fact]
    public void A_missing_variable_outside_sources_destinations_and_notifications_still_stops_the_load()
    {
        // A model or a sync is read by every command that touches it; only blocks with options are deferred.
        var problem = SingleProblemOf(Postgres + "\nmodels:\n  m:\n    source: crm\n    primary_key: id\n    sql: select * from ${SCHEMA}.t\n",
            Env(("CRM_DB_URL", "Host=db")));
        Assert.Equal("variable ${SCHEMA} used by the sql of model 'm' is not set", problem.Message);
    }

    [Fact]
    public void A_double_dollar_escapes_a_reference()
    {
        var project = LoadOf(Postgres.Replace("${CRM_DB_URL}", "pa$${NOT_A_VAR}ss"));
        Assert.Equal("pa${NOT_A_VAR}ss", ConnectionOf(project));
    }

    [Fact]
    public void A_dollar_without_braces_is_kept_as_written()
    {
        var project = LoadOf(Postgres.Replace("${CRM_DB_URL}", "pa$s$"));
        Assert.Equal("pa$s$", ConnectionOf(project));
    }

    [Fact]
    public void A_malformed_reference_is_a_problem()
    {
        var problem = SingleProblemOf(Postgres.Replace("${CRM_DB_URL}", "${CRM DB}"));
        Assert.Equal("'${CRM DB}' in option 'connection' of source 'crm' is not a valid variable reference", problem.Message);
        Assert.Equal(4, problem.Location?.Line);
    }

    [Fact]
    public void The_dot_env_file_takes_comments_export_quotes_and_blank_lines()
    {
        const string yaml = """
            sources:
              a: { type: postgres, connection: "${A}|${B}|${C}|${D}|${E}|${F}" }
            """;
        const string dotEnv = """
            # a comment

            export A=plain
            B="double quoted # not a comment"
            C='single $quoted'
            D=value # a comment
              E = spaced
            F="line\nbreak"
            """;
        var project = LoadOf(yaml, dotEnv: dotEnv);
        Assert.Equal("plain|double quoted # not a comment|single $quoted|value|spaced|line\nbreak", project.Sources["a"].Settings["connection"].Value);
    }

    [Fact]
    public void A_dot_env_line_that_is_not_an_assignment_is_a_problem_that_does_not_show_the_line()
    {
        var problems = ProblemsOf("sources:\n", dotEnv: "OK=1\nthis-is-a-secret-token\nX='unclosed\n");
        Assert.Equal(2, problems.Count);
        Assert.Equal(new SourceLocation(".env", 2, 1), problems[0].Location);
        Assert.Equal("this line is not a KEY=VALUE assignment", problems[0].Message);
        Assert.Equal(new SourceLocation(".env", 3, 1), problems[1].Location);
        Assert.Equal("the value of X has an opening quote but no closing quote", problems[1].Message);
        Assert.All(problems, p => Assert.DoesNotContain("secret-token", p.ToString()));
    }

    [Fact]
    public void A_variable_in_a_key_is_not_substituted()
    {
        var problem = SingleProblemOf("sources:\n  a:\n    type: duckdb\n    path: x\n    ${X}: 1\n", Env(("X", "path")));
        Assert.Equal("unknown key '${X}' in source 'a'", problem.Message);
    }

    [Fact]
    public void A_value_from_a_variable_is_never_shown_in_a_message()
    {
        var problems = ProblemsOf("""
            destinations:
              it:
                type: iterable
                api_key: ${KEY}
                base_url: ${URL}
                region: ${REGION}
            """, Env(("KEY", "sk-live-123"), ("URL", "not a url sk-live-456"), ("REGION", "mars-sk-live-789")));
        Assert.Equal(
            [
                "option 'base_url' of destination 'it' must be an absolute http(s) URL, not the value of ${URL}",
                "option 'region' of destination 'it' must be one of us, eu, not the value of ${REGION}",
            ],
            problems.Select(p => p.Message));
        Assert.All(problems, p => Assert.DoesNotContain("sk-live", p.ToString()));
    }

    [Fact]
    public void A_secret_option_that_is_empty_names_the_variable_not_the_value()
    {
        var problem = SingleProblemOf("""
            destinations:
              it:
                type: iterable
                api_key: ${KEY}
            """, Env(("KEY", "")));
        Assert.Equal("option 'api_key' of destination 'it' is empty", problem.Message);
        Assert.Equal("Give KEY a value.", problem.Hint);
        Assert.Equal(new SourceLocation("sluice.yaml", 4, 14), problem.Location);
    }

    [Fact]
    public void A_webhook_from_a_variable_is_never_shown_even_when_invalid()
    {
        var problem = SingleProblemOf("""
            notifications:
              team:
                webhook: ${HOOK}
            """, Env(("HOOK", "hooks.slack.com/services/T0/B0/SECRETTOKEN")));
        Assert.Equal("the webhook of notification 'team' is not an absolute http(s) URL", problem.Message);
        Assert.DoesNotContain("SECRETTOKEN", problem.ToString());
    }
}

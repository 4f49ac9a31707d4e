using Sluice.Core.Configuration;
using static Sluice.Core.Tests.Configuration.ProjectFolder;

namespace Sluice.Core.Tests.Configuration;

/// <summary>A <c>${VAR}</c> that is not set fails only what uses it: the project loads, and each sync knows what it lacks.</summary>
public sealed class UnresolvedVariableTests
{
    private const string Yaml = """
        sources:
          w:
            type: duckdb
            path: w.duckdb
          crm:
            type: postgres
            connection: ${CRM_URL}
        models:
          people:
            source: w
            primary_key: id
            sql: select 1 as id
          leads:
            source: crm
            primary_key: id
            sql: select 1 as id
        destinations:
          it:
            type: iterable
            api_key: ${IT_KEY}
          sf:
            type: salesforce
            client_id: app
            client_secret: ${SF_SECRET}
            object: Contact
        notifications:
          slack:
            webhook: ${SLACK_URL}
        syncs:
          to-iterable:
            model: people
            destination: it
            mode: upsert
            match: { column: id, field: email }
          to-salesforce:
            model: people
            destination: sf
            mode: upsert
            match: { column: id, field: Ext__c }
            warnings: { notify: slack }
          leads-to-iterable:
            model: leads
            destination: it
            mode: upsert
            match: { column: id, field: email }
        """;

    private static readonly IReadOnlyDictionary<string, string?> OnlyIterable = Env(("IT_KEY", "k"));

    private static IReadOnlyList<string> Needed(ProjectConfig project, string sync, bool delivery) =>
        ProjectValidator.UnresolvedVariables(project, project.Syncs[sync], delivery)
            .Select(p => p.Message[(p.Message.IndexOf('$', StringComparison.Ordinal) + 2)..p.Message.IndexOf('}', StringComparison.Ordinal)])
            .ToList();

    [Fact]
    public void The_project_loads_and_lists_every_variable_that_is_not_set_in_file_order()
    {
        var project = LoadOf(Yaml, OnlyIterable);
        Assert.Equal(
            ["7:17 variable ${CRM_URL} used by option 'connection' of source 'crm' is not set",
             "24:20 variable ${SF_SECRET} used by option 'client_secret' of destination 'sf' is not set",
             "28:14 variable ${SLACK_URL} used by the webhook of notification 'slack' is not set"],
            project.UnresolvedProblems.Select(p => $"{p.Location?.Line}:{p.Location?.Column} {p.Message}"));
        Assert.Null(project.Notifications["slack"].Webhook);
    }

    [Fact]
    public void A_sync_whose_blocks_have_their_variables_needs_nothing()
    {
        var project = LoadOf(Yaml, OnlyIterable);
        Assert.Empty(Needed(project, "to-iterable", delivery: true));
    }

    [Fact]
    public void Planning_needs_the_source_s_variables_and_delivery_also_the_destination_s_and_the_notifications()
    {
        var project = LoadOf(Yaml, OnlyIterable);
        Assert.Empty(Needed(project, "to-salesforce", delivery: false));
        Assert.Equal(["SF_SECRET", "SLACK_URL"], Needed(project, "to-salesforce", delivery: true));
        Assert.Equal(["CRM_URL"], Needed(project, "leads-to-iterable", delivery: false));
    }

    [Fact]
    public void The_unresolved_problem_keeps_the_location_the_variable_name_and_the_dot_env_hint()
    {
        var project = LoadOf(Yaml, OnlyIterable);
        var problem = ProjectValidator.UnresolvedVariables(project, project.Syncs["to-salesforce"], delivery: true)[0];
        Assert.Equal(new SourceLocation("sluice.yaml", 24, 20), problem.Location);
        Assert.Equal("Set SF_SECRET in the environment, or add a line SF_SECRET=... to the .env file beside sluice.yaml.", problem.Hint);
    }

    [Fact]
    public void A_malformed_reference_is_still_a_problem_at_load()
    {
        var problem = SingleProblemOf(Yaml.Replace("${SF_SECRET}", "${1SECRET}", StringComparison.Ordinal), Env(("IT_KEY", "k"), ("CRM_URL", "x"), ("SLACK_URL", "https://h.example.com/x")));
        Assert.Contains("not a valid variable reference", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_required_option_set_from_an_unset_variable_is_not_also_reported_as_missing()
    {
        var project = LoadOf("destinations:\n  it:\n    type: iterable\n    api_key: ${IT_KEY}\n");
        Assert.Equal("api_key", Assert.Single(project.Destinations["it"].Unresolved).Key);
        Assert.DoesNotContain("api_key", project.Destinations["it"].Settings.Keys);
    }
}

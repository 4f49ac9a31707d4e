using Sluice.Core.Configuration;
using Sluice.Core.Destinations;
using Sluice.Core.Models;

namespace Sluice.Core.Tests.Configuration;

public sealed class ProjectValidatorTests
{
    private const string Sync = """
          s:
            model: customers
            destination: actito
            mode: upsert
            match: { column: Email, field: email }
            mappings:
              first_name: firstName
              plann: plan

        """;

    private static readonly ModelColumn[] Columns =
    [
        new("customer_id", ValueKind.Integer, "BIGINT"),
        new("email", ValueKind.Text, "VARCHAR"),
        new("first_name", ValueKind.Text, "VARCHAR"),
        new("plan", ValueKind.Text, "VARCHAR"),
    ];

    private static (ProjectConfig Project, SyncConfig Sync) Load(string sync = Sync)
    {
        var project = SyncTests.LoadSyncs(sync);
        return (project, project.Syncs["s"]);
    }

    [Fact]
    public void Columns_that_exist_in_any_case_pass()
    {
        var (project, sync) = Load(Sync.Replace("plann", "PLAN"));
        Assert.Empty(ProjectValidator.CheckColumns(project, sync, Columns));
    }

    [Fact]
    public void A_mapped_column_missing_from_the_model_is_a_problem_at_its_line_with_did_you_mean()
    {
        var (project, sync) = Load();
        var problem = Assert.Single(ProjectValidator.CheckColumns(project, sync, Columns));
        Assert.Equal(new SourceLocation("sluice.yaml", 30, 7), problem.Location);
        Assert.Equal("the mapped column 'plann' of sync 's' is not a column of model 'customers'; did you mean 'plan'?", problem.Message);
        Assert.Equal("Model 'customers' has the columns customer_id, email, first_name, plan.", problem.Hint);
    }

    [Fact]
    public void A_missing_match_column_and_primary_key_are_problems_at_their_lines()
    {
        var (project, sync) = Load(Sync.Replace("plann", "plan"));
        var problems = ProjectValidator.CheckColumns(project, sync, [Columns[2], Columns[3]]);
        Assert.Equal(
            [
                "8:18 the primary_key 'customer_id' of model 'customers' is not one of its columns",
                "27:12 the match column 'Email' of sync 's' is not a column of model 'customers'",
            ],
            problems.Select(p => $"{p.Location?.Line}:{p.Location?.Column} {p.Message}"));
    }

    [Theory]
    [InlineData(ProblemTarget.Mapping, "first_name", 29, 7)]
    [InlineData(ProblemTarget.Mapping, "FIRST_NAME", 29, 7)]
    [InlineData(ProblemTarget.Mapping, "email", 27, 12)]
    [InlineData(ProblemTarget.Mapping, "nowhere", 23, 3)]
    [InlineData(ProblemTarget.Match, null, 27, 12)]
    [InlineData(ProblemTarget.Mode, null, 26, 11)]
    [InlineData(ProblemTarget.Sync, null, 23, 3)]
    [InlineData(ProblemTarget.Destination, null, 25, 18)]
    public void A_destination_problem_is_located_at_the_line_it_is_about(ProblemTarget target, string? column, int line, int col)
    {
        var (_, sync) = Load();
        var problem = ProjectValidator.Locate(sync, "actito", new SyncProblem(target, "is wrong", "Fix it.", column));
        Assert.Equal(new SourceLocation("sluice.yaml", line, col), problem.Location);
        Assert.Equal("sync 's' (destination 'actito'): is wrong", problem.Message);
        Assert.Equal("Fix it.", problem.Hint);
    }

    [Fact]
    public void With_the_project_a_destination_problem_points_at_the_destination_block()
    {
        var (project, sync) = Load();
        var problem = ProjectValidator.Locate(project, sync, new SyncProblem(ProblemTarget.Destination, "bad table"));
        Assert.Equal(new SourceLocation("sluice.yaml", 11, 3), problem.Location);
        Assert.Equal("sync 's' (destination 'actito'): bad table", problem.Message);
    }

    [Fact]
    public void The_sync_context_carries_mode_kind_match_mappings_and_columns_in_the_models_spelling()
    {
        var (project, sync) = Load(Sync.Replace("plann", "PLAN"));
        var context = ProjectValidator.ToSyncContext(project, sync, Columns);
        Assert.Equal("s", context.SyncName);
        Assert.Equal(SyncMode.Upsert, context.Mode);
        Assert.Equal(ModelKind.User, context.ModelKind);
        Assert.Equal(new FieldMapping("email", "email"), context.Match);
        Assert.Equal([new FieldMapping("first_name", "firstName"), new FieldMapping("plan", "plan")], context.Mappings);
        Assert.Same(Columns, context.Columns);
        Assert.Equal(ValueKind.Text, context.ColumnOf(context.Mappings[1]).Kind);
    }
}

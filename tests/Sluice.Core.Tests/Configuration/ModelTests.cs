using Sluice.Core.Configuration;
using Sluice.Core.Models;
using static Sluice.Core.Tests.Configuration.ProjectFolder;

namespace Sluice.Core.Tests.Configuration;

public sealed class ModelTests
{
    // Lines 1-4; models start at line 5.
    private const string Source = """
        sources:
          w:
            type: duckdb
            path: w.duckdb

        """;

    private static ProjectConfig Models(string models) => LoadOf(Source + models);

    private static ConfigProblem Problem(string models) => SingleProblemOf(Source + models);

    [Fact]
    public void A_model_defaults_to_kind_user_and_keeps_its_sql_without_trailing_semicolons()
    {
        var model = Models("models:\n  m:\n    source: w\n    primary_key: id\n    sql: select id from t;\n").Models["m"];
        Assert.Equal(ModelKind.User, model.Kind);
        Assert.Equal("select id from t", model.Sql);
        Assert.Equal("w", model.Source);
        Assert.Null(model.BaseModel);
        Assert.Equal(new SourceLocation("sluice.yaml", 8, 18), model.PrimaryKeyLocation);
    }

    [Fact]
    public void A_custom_model_is_read()
    {
        var model = Models("models:\n  m:\n    source: w\n    kind: custom\n    primary_key: id\n    sql: select 1 as id\n").Models["m"];
        Assert.Equal(ModelKind.Custom, model.Kind);
    }

    [Fact]
    public void An_unknown_kind_is_a_problem_with_did_you_mean()
    {
        var problem = Problem("models:\n  m:\n    source: w\n    kind: users\n    primary_key: id\n    sql: select 1\n");
        Assert.Equal(new SourceLocation("sluice.yaml", 8, 11), problem.Location);
        Assert.Equal("model 'm' has kind 'users', which is neither user nor custom; did you mean 'user'?", problem.Message);
    }

    [Theory]
    [InlineData("customers", "select * from customers")]
    [InlineData("analytics.customers", "select * from analytics.customers")]
    [InlineData("my-table", "select * from \"my-table\"")]
    [InlineData("order", "select * from \"order\"")]
    [InlineData("sales.Big Table", "select * from sales.\"Big Table\"")]
    [InlineData("\"Already Quoted\"", "select * from \"Already Quoted\"")]
    public void A_table_model_selects_everything_from_the_table_quoting_when_needed(string table, string sql)
    {
        var model = Models($"models:\n  m:\n    source: w\n    primary_key: id\n    table: '{table}'\n").Models["m"];
        Assert.Equal(sql, model.Sql);
    }

    [Fact]
    public void A_model_with_both_sql_and_table_is_a_problem()
    {
        var problem = Problem("models:\n  m:\n    source: w\n    primary_key: id\n    sql: select 1\n    table: t\n");
        Assert.Equal(new SourceLocation("sluice.yaml", 10, 12), problem.Location);
        Assert.Equal("model 'm' has both sql and table", problem.Message);
    }

    [Fact]
    public void A_model_with_neither_sql_nor_table_is_a_problem_at_its_name()
    {
        var problem = Problem("models:\n  m:\n    source: w\n    primary_key: id\n");
        Assert.Equal(new SourceLocation("sluice.yaml", 6, 3), problem.Location);
        Assert.Equal("model 'm' has neither sql nor table", problem.Message);
    }

    [Fact]
    public void A_model_without_a_primary_key_is_a_problem()
    {
        var problem = Problem("models:\n  m:\n    source: w\n    sql: select 1\n");
        Assert.Equal(new SourceLocation("sluice.yaml", 6, 3), problem.Location);
        Assert.Equal("model 'm' has no primary_key", problem.Message);
        Assert.Equal("Add primary_key: with the column that identifies each row uniquely.", problem.Hint);
    }

    [Fact]
    public void A_model_reading_an_unknown_source_gets_did_you_mean()
    {
        var problem = Problem("models:\n  m:\n    source: ww\n    primary_key: id\n    sql: select 1\n");
        Assert.Equal(new SourceLocation("sluice.yaml", 7, 13), problem.Location);
        Assert.Equal("model 'm' reads source 'ww', which does not exist; did you mean 'w'?", problem.Message);
        Assert.Equal("Use one of the sources of this project: w.", problem.Hint);
    }

    [Fact]
    public void An_unknown_key_in_a_model_gets_did_you_mean()
    {
        var problem = Problem("models:\n  m:\n    source: w\n    primary-key: id\n    primary_key: id\n    sql: select 1\n");
        Assert.Equal(new SourceLocation("sluice.yaml", 8, 5), problem.Location);
        Assert.Equal("unknown key 'primary-key' in model 'm'; did you mean 'primary_key'?", problem.Message);
        Assert.Equal("Rename it to 'primary_key', or remove it. Valid keys here: source, kind, primary_key, sql, table.", problem.Hint);
    }

    private const string Customers = """
        models:
          customers:
            source: w
            kind: custom
            primary_key: customer_id
            sql: select * from customers

        """;

    [Fact]
    public void A_segment_wraps_its_base_query_with_its_filter_and_inherits_source_kind_and_primary_key()
    {
        var project = Models(Customers + "  pro:\n    model: customers\n    filter: plan = 'pro'\n");
        var pro = project.Models["pro"];
        Assert.Equal("select * from (select * from customers) as sluice_base where plan = 'pro'", pro.Sql);
        Assert.Equal("customers", pro.BaseModel);
        Assert.Equal("plan = 'pro'", pro.Filter);
        Assert.Equal("w", pro.Source);
        Assert.Equal(ModelKind.Custom, pro.Kind);
        Assert.Equal("customer_id", pro.PrimaryKey);
        Assert.Equal(project.Models["customers"].PrimaryKeyLocation, pro.PrimaryKeyLocation);
        Assert.Equal(new SourceLocation("sluice.yaml", 11, 3), pro.Location);
    }

    [Fact]
    public void A_segment_of_a_segment_wraps_twice_even_when_declared_first()
    {
        var project = Models("models:\n  big_pro:\n    model: pro\n    filter: ltv > 100\n" + Customers[8..] + "  pro:\n    model: customers\n    filter: plan = 'pro'\n");
        Assert.Equal(
            "select * from (select * from (select * from customers) as sluice_base where plan = 'pro') as sluice_base where ltv > 100",
            project.Models["big_pro"].Sql);
        Assert.Equal("customer_id", project.Models["big_pro"].PrimaryKey);
    }

    [Fact]
    public void A_base_query_ending_in_a_line_comment_keeps_the_segment_valid()
    {
        var project = Models("models:\n  m:\n    source: w\n    primary_key: id\n    sql: select 1 as id -- one row\n  s:\n    model: m\n    filter: id = 1\n");
        Assert.Equal("select * from (\nselect 1 as id -- one row\n) as sluice_base where id = 1", project.Models["s"].Sql);
    }

    [Fact]
    public void A_segment_may_not_set_source_sql_table_kind_or_primary_key()
    {
        var problems = ProblemsOf(Source + Customers + "  pro:\n    model: customers\n    filter: x\n    primary_key: id\n    sql: select 1\n");
        Assert.Equal(
            [
                "14:5 segment 'pro' cannot set 'primary_key': a segment inherits its primary_key from model 'customers'",
                "15:5 segment 'pro' cannot set 'sql': a segment takes its rows from model 'customers'",
            ],
            problems.Select(p => $"{p.Location?.Line}:{p.Location?.Column} {p.Message}"));
        Assert.Equal("Remove 'primary_key' from the segment.", problems[0].Hint);
    }

    [Fact]
    public void A_segment_of_an_unknown_model_gets_did_you_mean()
    {
        var problem = Problem(Customers + "  pro:\n    model: customer\n    filter: x\n");
        Assert.Equal(new SourceLocation("sluice.yaml", 12, 12), problem.Location);
        Assert.Equal("segment 'pro' filters model 'customer', which does not exist; did you mean 'customers'?", problem.Message);
    }

    [Fact]
    public void A_segment_without_a_filter_is_a_problem()
    {
        var problem = Problem(Customers + "  pro:\n    model: customers\n");
        Assert.Equal(new SourceLocation("sluice.yaml", 11, 3), problem.Location);
        Assert.Equal("segment 'pro' has no filter", problem.Message);
    }

    [Fact]
    public void A_filter_without_a_model_is_a_problem()
    {
        var problem = Problem("models:\n  m:\n    source: w\n    primary_key: id\n    sql: select 1\n    filter: x\n");
        Assert.Equal(new SourceLocation("sluice.yaml", 10, 5), problem.Location);
        Assert.Equal("model 'm' has a filter but no 'model:' to filter", problem.Message);
    }

    [Fact]
    public void Segments_based_on_each_other_are_a_cycle_reported_once()
    {
        var problems = ProblemsOf(Source + "models:\n  a:\n    model: b\n    filter: x\n  b:\n    model: c\n    filter: y\n  c:\n    model: a\n    filter: z\n");
        var problem = Assert.Single(problems);
        Assert.Equal("segment 'a' is based on itself: a -> b -> c -> a", problem.Message);
        Assert.Equal(new SourceLocation("sluice.yaml", 7, 12), problem.Location);
    }

    [Fact]
    public void A_segment_based_on_itself_is_a_cycle()
    {
        var problem = Problem("models:\n  a:\n    model: a\n    filter: x\n");
        Assert.Equal("segment 'a' is based on itself: a -> a", problem.Message);
    }

    [Fact]
    public void A_segment_of_an_invalid_model_adds_no_problem_of_its_own()
    {
        var problem = Problem("models:\n  m:\n    source: w\n    sql: select 1\n  s:\n    model: m\n    filter: x\n");
        Assert.Equal("model 'm' has no primary_key", problem.Message);
    }
}

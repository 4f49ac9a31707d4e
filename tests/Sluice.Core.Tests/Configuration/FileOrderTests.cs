using static Sluice.Core.Tests.Configuration.ProjectFolder;

namespace Sluice.Core.Tests.Configuration;

/// <summary>The parser reads section by section; problems are printed in the order of the file.</summary>
public sealed class FileOrderTests
{
    [Fact]
    public void Problems_from_every_section_print_by_line_then_column_whatever_order_the_sections_are_written_in()
    {
        // Syncs first, sources last: the opposite of the order the parser reads them.
        const string Yaml = """
            syncs:
              s:
                model: m
                destination: d
                mode: upsrt
                match: { column: id, field: email }
            notifications:
              n:
                email: not-an-email
            destinations:
              d:
                type: iterable
                api_key: k
                regoin: eu
            models:
              m:
                source: w
                primary_key: id
                sql: select 1 as id
                colour: blue
            sources:
              w:
                type: duckdb
                path: w.duckdb
                paht: x
            """;

        var problems = ProblemsOf(Yaml);

        var where = problems.Select(p => (p.Location!.Value.Line, p.Location!.Value.Column)).ToList();
        Assert.Equal(where.OrderBy(w => w.Line).ThenBy(w => w.Column), where);
        Assert.Equal([5, 9, 14, 20, 25], where.Select(w => w.Line));
        Assert.Contains("mode", problems[0].Message, StringComparison.Ordinal);
        Assert.Contains("paht", problems[^1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_problems_on_one_line_print_by_column()
    {
        var problems = ProblemsOf("sources:\n  w:\n    type: duckdb\n    path: x\nmodels:\n  m: { source: nowhere, kind: robot, primary_key: id, sql: select 1 }\n");
        Assert.Equal(2, problems.Count);
        Assert.All(problems, p => Assert.Equal(6, p.Location!.Value.Line));
        Assert.True(problems[0].Location!.Value.Column < problems[1].Location!.Value.Column);
    }
}

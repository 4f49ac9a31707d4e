using Sluice.Cli.Commands;
using Sluice.Core.State;
using Sluice.Engine;
using Spectre.Console;

namespace Sluice.Cli.Tests;

/// <summary>The run table as users see it at 80 columns, in a terminal (bordered) and without one (plain text).</summary>
public sealed class OutputTests
{
    private static readonly DateTime Start = new(2026, 1, 5, 9, 30, 0, DateTimeKind.Utc);

    private static (Output Output, StringWriter Text) Create(bool terminal, int? width)
    {
        var text = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(text),
        });
        console.Profile.Width = width ?? 500;
        return (new Output(console, plain: !terminal, width, text), text);
    }

    private static SyncResult Run(string sync, long planned, long sent, long rejected, long notFound, double seconds, RunStatus status = RunStatus.Succeeded) =>
        new(sync, new RunOutcome(new RunRecord(1, sync, Start, Start.AddSeconds(seconds), status, false,
            new RunCounts { ModelRows = planned, Added = planned, Planned = planned, Sent = sent, Rejected = rejected, NotFound = notFound, Delivered = sent },
            [], null), null));

    private static readonly SyncResult[] Runs =
    [
        Run("customers-update-existing", 1_999_999, 1_999_999, 123_456, 7, 1234.5),
        Run("customers-to-iterable", 50_025, 50_025, 0, 0, 12.25),
        Run("a-sync-with-a-rather-long-name-for-its-table", 1_000_000_000, 999_999_999, 1, 123_456_789, 3.5, RunStatus.Interrupted),
        new("accounts-to-salesforce", null, "another process holds it."),
    ];

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TheRunTableAt80ColumnsSplitsNoNameAndNoNumber(bool terminal)
    {
        var (output, text) = Create(terminal, 80);
        RunCommand.WriteSummary(Runs, output);
        var lines = text.ToString().Split(Environment.NewLine);
        // The table: borders, the header and one line per sync (plain text: the header and the rows).
        var table = lines.Take(terminal ? Runs.Length + 4 : Runs.Length + 1).ToList();
        Assert.All(table, line => Assert.True(line.GetCellWidth() <= 80, $"{line.GetCellWidth()} columns: {line}"));
        var rows = table.Where(l => Runs.Any(r => l.Contains(r.Sync, StringComparison.Ordinal))).ToList();
        Assert.Equal(Runs.Length, rows.Count);
        foreach (var (run, row) in Runs.Zip(rows))
        {
            Assert.Contains(run.Sync, row, StringComparison.Ordinal);
            if (run.Outcome?.Record.Counts is { } c)
                Assert.Contains(Formats.Count(c.Planned), row, StringComparison.Ordinal);
        }
        // What did not fit is named, never cut.
        Assert.Contains(lines, l => l.StartsWith("(not shown at this width:", StringComparison.Ordinal));
        Assert.DoesNotContain("…", text.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void AWideTerminalShowsEveryColumn()
    {
        var (output, text) = Create(terminal: true, 200);
        RunCommand.WriteSummary(Runs, output);
        Assert.Contains("123,456,789", text.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("not shown", text.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void PlainTextIsAlignedNumbersToTheRight()
    {
        var (output, text) = Create(terminal: false, null);
        output.Table([new Column("name"), new Column("rows", Numeric: true)], [["a", "1"], ["bbbb", "1,000"]]);
        Assert.Equal(["name   rows", "a         1", "bbbb  1,000", ""], text.ToString().Split(Environment.NewLine));
    }

    [Fact]
    public void ProseWrapsAtSpacesUnderItself()
    {
        var (output, text) = Create(terminal: false, 30);
        output.Table([new Column("key"), new Column("reason", Prose: true)], [["10", "the destination refused this email address as invalid"]]);
        var lines = text.ToString().Split(Environment.NewLine).Where(l => l.Length > 0).ToList();
        Assert.All(lines, l => Assert.True(l.Length <= 30, l));
        Assert.Equal("the destination refused this email address as invalid",
            string.Join(" ", lines.Skip(1).Select(l => l.Trim()).Select(l => l.StartsWith("10 ", StringComparison.Ordinal) ? l[3..].Trim() : l)));
    }

    [Fact]
    public void AHeadingTooLongForTheTerminalIsPrintedWhole()
    {
        var (output, text) = Create(terminal: true, 40);
        output.Heading("5. Actito mirror: creates the missing attributes, then keeps the Profiles table equal to the model");
        Assert.Contains("Profiles", text.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("…", text.ToString(), StringComparison.Ordinal);
    }
}

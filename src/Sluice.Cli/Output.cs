using System.Globalization;
using Spectre.Console;

namespace Sluice.Cli;

/// <summary>A table column: its header, how its cells align, and when it is dropped to fit the width.</summary>
/// <param name="Header">The header text (plain, never wrapped).</param>
/// <param name="Numeric">Right-aligned.</param>
/// <param name="DropOrder">0: always shown; otherwise the columns with the highest value are dropped first.</param>
/// <param name="Prose">Free text (a reason): may wrap at spaces in a terminal, and is shown last.</param>
/// <param name="Style">The markup a terminal shows for a cell (e.g. a coloured status); plain text stays as is.</param>
internal sealed record Column(string Header, bool Numeric = false, int DropOrder = 0, bool Prose = false, Func<string, string>? Style = null);

/// <summary>
/// Where the commands write what they show. In a terminal: Spectre tables and markup, fitted to its width. Without one
/// (a log file, a CI job, a pipe): plain aligned text, never wrapped. Either way a number or a name is never split:
/// columns are dropped (least useful first) to fit the width, and the output says which.
/// </summary>
internal sealed class Output
{
    private const int MinimumProseWidth = 20;

    private readonly IAnsiConsole _console;
    private readonly TextWriter _plain;

    /// <param name="console">The terminal to draw on.</param>
    /// <param name="plain">Plain text instead of the terminal's tables and colours.</param>
    /// <param name="width">The width to fit; null: no limit (plain text to a file).</param>
    /// <param name="plainWriter">Where plain text goes (default: standard output).</param>
    public Output(IAnsiConsole console, bool plain, int? width, TextWriter? plainWriter = null)
    {
        _console = console;
        Plain = plain;
        Width = width;
        _plain = plainWriter ?? Console.Out;
    }

    public bool Plain { get; }

    public int? Width { get; }

    /// <summary>
    /// The process's output: a terminal when standard output is one; otherwise plain text, fitted to <c>COLUMNS</c>
    /// when it is set (a CI job that says how wide its log is), else never cut.
    /// </summary>
    public static Output ForConsole()
    {
        var columns = int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), CultureInfo.InvariantCulture, out var c) && c > 0 ? c : (int?)null;
        if (Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
            return new Output(AnsiConsole.Console, plain: true, columns);
        return new Output(AnsiConsole.Console, plain: false, columns ?? AnsiConsole.Profile.Width);
    }

    /// <summary>A line of markup; plain output shows its text only, unwrapped.</summary>
    public void Line(string markup)
    {
        if (Plain)
            _plain.WriteLine(Markup.Remove(markup));
        else
            _console.MarkupLine(markup);
    }

    /// <summary>A section heading: a rule in a terminal (when it fits), a plain line otherwise. Never cut.</summary>
    public void Heading(string text)
    {
        if (Plain)
        {
            _plain.WriteLine();
            _plain.WriteLine($"== {text}");
        }
        else if (Width is { } w && text.GetCellWidth() + 6 > w)
        {
            _console.WriteLine();
            _console.MarkupLine($"[bold]{Markup.Escape(text)}[/]");
        }
        else
        {
            _console.Write(new Rule($"[bold]{Markup.Escape(text)}[/]").LeftJustified());
        }
    }

    /// <summary>Writes a table of plain-text cells, dropping columns that do not fit the width.</summary>
    public void Table(IReadOnlyList<Column> columns, IReadOnlyList<string[]> rows, string? title = null)
    {
        var shown = Fit(columns, rows, Plain);
        var plain = Plain;
        if (shown is null)
        {
            // Even the columns that are never dropped are too wide for a bordered table: plain text, unsplit.
            shown = Fit(columns, rows, plain: true) ?? Enumerable.Range(0, columns.Count).Where(i => columns[i].DropOrder == 0).ToList();
            plain = true;
        }
        if (title is not null)
            Line($"[bold]{Markup.Escape(title)}[/]");
        if (plain)
            WritePlain(columns, rows, shown);
        else
            WriteTable(columns, rows, shown);
        var dropped = Enumerable.Range(0, columns.Count).Where(i => !shown.Contains(i)).Select(i => columns[i].Header).ToList();
        if (dropped.Count > 0)
            Line(Markup.Escape($"(not shown at this width: {string.Join(", ", dropped)}; widen the window or use --json)"));
    }

    /// <summary>The indexes of the columns shown, in order, or null when the fixed ones alone do not fit.</summary>
    internal List<int>? Fit(IReadOnlyList<Column> columns, IReadOnlyList<string[]> rows, bool plain)
    {
        var widths = columns.Select((c, i) => rows.Select(r => r[i].GetCellWidth()).Append(c.Header.GetCellWidth()).Max()).ToArray();
        var shown = Enumerable.Range(0, columns.Count).ToList();
        if (Width is not { } limit)
            return shown;
        int Total() => shown.Sum(i => columns[i].Prose ? Math.Min(widths[i], MinimumProseWidth) : widths[i]) +
            (plain ? 2 * (shown.Count - 1) : 3 * shown.Count + 1);
        while (Total() > limit)
        {
            var drop = shown.Where(i => columns[i].DropOrder > 0).OrderByDescending(i => columns[i].DropOrder).ThenByDescending(i => i)
                .Cast<int?>().FirstOrDefault();
            if (drop is null)
                return null;
            shown.Remove(drop.Value);
        }
        return shown;
    }

    private void WritePlain(IReadOnlyList<Column> columns, IReadOnlyList<string[]> rows, List<int> shown)
    {
        var widths = shown.ToDictionary(i => i, i => rows.Select(r => r[i].GetCellWidth()).Append(columns[i].Header.GetCellWidth()).Max());
        // Prose in the last column wraps at spaces, under itself, when the width is known; everything else stays whole.
        var last = shown[^1];
        var indent = shown.Take(shown.Count - 1).Sum(i => widths[i] + 2);
        var proseWidth = columns[last].Prose && Width is { } w ? Math.Max(MinimumProseWidth, w - indent) : int.MaxValue;
        string Cells(Func<int, string> text) => string.Join("  ", shown.Select((i, n) =>
        {
            var value = text(i);
            var pad = widths[i] - value.GetCellWidth();
            if (n == shown.Count - 1)
                return columns[i].Numeric ? new string(' ', pad) + value : Wrap(value, proseWidth, indent); // no trailing blanks
            return columns[i].Numeric ? new string(' ', pad) + value : value + new string(' ', pad);
        }));
        _plain.WriteLine(Cells(i => columns[i].Header));
        foreach (var row in rows)
            _plain.WriteLine(Cells(i => row[i]));
    }

    /// <summary>Text broken at spaces into lines of at most <paramref name="width"/> (a longer word stays whole).</summary>
    internal static string Wrap(string text, int width, int indent)
    {
        if (text.GetCellWidth() <= width)
            return text;
        var lines = new List<string>();
        var line = "";
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length > 0 && (line + " " + word).GetCellWidth() > width)
            {
                lines.Add(line);
                line = word;
            }
            else
            {
                line = line.Length == 0 ? word : line + " " + word;
            }
        }
        lines.Add(line);
        return string.Join(Environment.NewLine + new string(' ', indent), lines);
    }

    private void WriteTable(IReadOnlyList<Column> columns, IReadOnlyList<string[]> rows, List<int> shown)
    {
        var table = new Table();
        foreach (var i in shown)
        {
            var column = new TableColumn(Markup.Escape(columns[i].Header));
            if (!columns[i].Prose)
                column.NoWrap();
            if (columns[i].Numeric)
                column.RightAligned();
            table.AddColumn(column);
        }
        foreach (var row in rows)
            table.AddRow(shown.Select(i => columns[i].Style is { } style ? style(row[i]) : Markup.Escape(row[i])).ToArray());
        if (Width is { } w)
            table.Width = Math.Min(w, shown.Sum(i => rows.Select(r => r[i].GetCellWidth()).Append(columns[i].Header.GetCellWidth()).Max()) + 3 * shown.Count + 1);
        _console.Write(table);
    }
}

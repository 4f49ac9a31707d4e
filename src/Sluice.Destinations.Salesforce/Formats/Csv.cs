using System.Text;

namespace Sluice.Destinations.Salesforce.Formats;

/// <summary>RFC 4180 CSV as Bulk API 2.0 reads and writes it (comma, LF line endings, quotes doubled).</summary>
internal static class Csv
{
    public static void AppendRow(StringBuilder sb, IReadOnlyList<string> cells)
    {
        for (var i = 0; i < cells.Count; i++)
        {
            if (i > 0)
                sb.Append(',');
            AppendCell(sb, cells[i]);
        }
        sb.Append('\n');
    }

    public static void AppendCell(StringBuilder sb, string cell)
    {
        if (cell.AsSpan().IndexOfAny(",\"\r\n") < 0)
        {
            sb.Append(cell);
            return;
        }
        sb.Append('"');
        foreach (var c in cell)
        {
            if (c == '"')
                sb.Append('"');
            sb.Append(c);
        }
        sb.Append('"');
    }

    /// <summary>Parses a whole CSV document into rows (the first is the header). Quoted cells may hold newlines.</summary>
    public static List<string[]> Parse(string text)
    {
        var rows = new List<string[]>();
        var row = new List<string>();
        var cell = new StringBuilder();
        var quoted = false;
        var atCellStart = true;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"')
                    {
                        cell.Append('"');
                        i++;
                    }
                    else
                    {
                        quoted = false;
                    }
                }
                else
                {
                    cell.Append(c);
                }
                continue;
            }
            switch (c)
            {
                case '"' when atCellStart:
                    quoted = true;
                    atCellStart = false;
                    break;
                case ',':
                    row.Add(cell.ToString());
                    cell.Clear();
                    atCellStart = true;
                    break;
                case '\r':
                    break;
                case '\n':
                    row.Add(cell.ToString());
                    cell.Clear();
                    rows.Add([.. row]);
                    row.Clear();
                    atCellStart = true;
                    break;
                default:
                    cell.Append(c);
                    atCellStart = false;
                    break;
            }
        }
        if (cell.Length > 0 || row.Count > 0 || !atCellStart)
        {
            row.Add(cell.ToString());
            rows.Add([.. row]);
        }
        return rows;
    }
}

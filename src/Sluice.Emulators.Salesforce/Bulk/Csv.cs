using System.Text;

namespace Sluice.Emulators.Salesforce.Bulk;

/// <summary>RFC 4180 CSV with a configurable delimiter; LF and CRLF line endings are both accepted.</summary>
internal static class Csv
{
    public static char Delimiter(string name) => name switch
    {
        "TAB" => '\t',
        "PIPE" => '|',
        "SEMICOLON" => ';',
        "CARET" => '^',
        "BACKQUOTE" => '`',
        _ => ',',
    };

    /// <summary>Parses all rows; false when a quoted cell is never closed.</summary>
    public static bool TryParse(string text, char delimiter, out List<string[]> rows)
    {
        rows = [];
        var row = new List<string>();
        var cell = new StringBuilder();
        var i = 0;
        var inQuotes = false;
        var rowHasContent = false;
        while (i < text.Length)
        {
            var c = text[i];
            if (inQuotes)
            {
                if (c == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"')
                    {
                        cell.Append('"');
                        i += 2;
                        continue;
                    }
                    inQuotes = false;
                    i++;
                    continue;
                }
                cell.Append(c);
                i++;
                continue;
            }
            if (c == '"')
            {
                inQuotes = true;
                rowHasContent = true;
                i++;
            }
            else if (c == delimiter)
            {
                row.Add(cell.ToString());
                cell.Clear();
                rowHasContent = true;
                i++;
            }
            else if (c is '\r' or '\n')
            {
                if (rowHasContent || cell.Length > 0)
                {
                    row.Add(cell.ToString());
                    rows.Add([.. row]);
                }
                row.Clear();
                cell.Clear();
                rowHasContent = false;
                i += c == '\r' && i + 1 < text.Length && text[i + 1] == '\n' ? 2 : 1;
            }
            else
            {
                cell.Append(c);
                rowHasContent = true;
                i++;
            }
        }
        if (inQuotes)
            return false;
        if (rowHasContent || cell.Length > 0)
        {
            row.Add(cell.ToString());
            rows.Add([.. row]);
        }
        return true;
    }

    /// <summary>
    /// Whether every line break outside quoted cells is the job's <c>lineEnding</c>: LF alone for LF (a CR before it
    /// is foreign), CR LF for CRLF (a bare LF or CR is foreign).
    /// </summary>
    public static bool LineEndingsMatch(string text, char delimiter, string lineEnding)
    {
        var crlf = lineEnding == "CRLF";
        var inQuotes = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '"')
            {
                inQuotes = !inQuotes;
                continue;
            }
            if (inQuotes || c == delimiter)
                continue;
            if (c == '\r')
            {
                if (!crlf || i + 1 >= text.Length || text[i + 1] != '\n')
                    return false;
                i++;
            }
            else if (c == '\n' && crlf)
            {
                return false;
            }
        }
        return true;
    }

    public static void AppendCell(StringBuilder sb, string value, char delimiter, bool forceQuotes = false)
    {
        if (forceQuotes || value.Contains(delimiter) || value.Contains('"') || value.Contains('\n') || value.Contains('\r'))
        {
            sb.Append('"').Append(value.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
        }
        else
        {
            sb.Append(value);
        }
    }

    public static void AppendRow(StringBuilder sb, IReadOnlyList<string> cells, char delimiter)
    {
        for (var i = 0; i < cells.Count; i++)
        {
            if (i > 0)
                sb.Append(delimiter);
            AppendCell(sb, cells[i], delimiter);
        }
    }
}

using System.Text;

namespace Sluice.Emulators.Actito;

/// <summary>A streaming RFC 4180 reader: any single-char separator, quoted fields with "" escapes and line breaks.</summary>
internal sealed class CsvReader(TextReader reader, char separator)
{
    private readonly StringBuilder _field = new();
    private int _line = 1;

    /// <summary>The next record and the file line it starts on (1-based; the header is line 1); null at the end.</summary>
    public (int Line, List<string> Fields)? Next()
    {
        var start = _line;
        var c = reader.Read();
        if (c < 0) return null;
        var fields = new List<string>();
        _field.Clear();
        var quoted = false;
        var fieldStart = true;
        while (true)
        {
            if (c < 0)
            {
                fields.Add(_field.ToString());
                return (start, fields);
            }
            var ch = (char)c;
            if (quoted)
            {
                if (ch == '"')
                {
                    if (reader.Peek() == '"')
                    {
                        reader.Read();
                        _field.Append('"');
                    }
                    else quoted = false;
                }
                else
                {
                    if (ch == '\n') _line++;
                    _field.Append(ch);
                }
            }
            else if (ch == '"' && fieldStart)
            {
                quoted = true;
                fieldStart = false;
            }
            else if (ch == separator)
            {
                fields.Add(_field.ToString());
                _field.Clear();
                fieldStart = true;
                c = reader.Read();
                continue;
            }
            else if (ch is '\r' or '\n')
            {
                if (ch == '\r' && reader.Peek() == '\n') reader.Read();
                _line++;
                fields.Add(_field.ToString());
                return (start, fields);
            }
            else
            {
                _field.Append(ch);
                fieldStart = false;
            }
            c = reader.Read();
        }
    }

    public static string Escape(string value, char separator) =>
        value.IndexOfAny([separator, '"', '\r', '\n']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
}

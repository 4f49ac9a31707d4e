using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace Sluice.Destinations.Actito;

/// <summary>The data loading modes Actito documents for imports. There is no documented deletion mode.</summary>
internal enum ImportMode
{
    CreateOnly,
    UpdateOnly,
    CreateUpdate,
}

/// <summary>
/// Writes an import file: a ZIP holding one UTF-8 CSV without BOM (semicolon separated, RFC 4180 quoting, CRLF),
/// header = attribute technical names. Remembers the file line each data row starts on, to map result lines back.
/// </summary>
internal sealed class ImportFileWriter : IDisposable
{
    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);
    public const char Separator = ';';
    private static readonly System.Buffers.SearchValues<char> Special = System.Buffers.SearchValues.Create(";\"\r\n");

    private readonly MemoryStream _buffer = new();
    private readonly ZipArchive _zip;
    private readonly Stream _entry;
    private readonly StreamWriter _writer;
    private readonly List<int> _startLines = [];
    private int _nextLine = 1;

    public ImportFileWriter(IReadOnlyList<string> header)
    {
        _zip = new ZipArchive(_buffer, ZipArchiveMode.Create, leaveOpen: true);
        _entry = _zip.CreateEntry("profiles.csv", CompressionLevel.Fastest).Open();
        _writer = new StreamWriter(_entry, Utf8NoBom, 1 << 16) { NewLine = "\r\n" };
        for (var i = 0; i < header.Count; i++)
        {
            if (i > 0) _writer.Write(Separator);
            _nextLine += WriteField(header[i]);
        }
        _writer.Write("\r\n");
        _nextLine++;
    }

    /// <summary>The file line (header = 1) each data row starts on, by row index.</summary>
    public IReadOnlyList<int> StartLines => _startLines;

    public void WriteRow(ReadOnlySpan<string?> fields)
    {
        _startLines.Add(_nextLine);
        var breaks = 0;
        for (var i = 0; i < fields.Length; i++)
        {
            if (i > 0) _writer.Write(Separator);
            breaks += WriteField(fields[i]);
        }
        _writer.Write("\r\n");
        _nextLine += 1 + breaks;
    }

    /// <summary>Closes the archive and returns its bytes.</summary>
    public byte[] Finish()
    {
        _writer.Flush();
        _writer.Dispose();
        _zip.Dispose();
        return _buffer.ToArray();
    }

    // Returns the number of line breaks written inside a quoted value.
    private int WriteField(string? value)
    {
        if (string.IsNullOrEmpty(value)) return 0;
        if (value.AsSpan().IndexOfAny(Special) < 0)
        {
            _writer.Write(value);
            return 0;
        }
        _writer.Write('"');
        _writer.Write(value.Replace("\"", "\"\"", StringComparison.Ordinal));
        _writer.Write('"');
        return value.AsSpan().Count('\n');
    }

    public void Dispose()
    {
        _writer.Dispose();
        _zip.Dispose();
        _buffer.Dispose();
    }

    /// <summary>
    /// The one-shot ETL definition: the file's format (ZIP, ';', '"', UTF-8), the target table, the mode, the key
    /// attribute and a mapping of every header to the attribute of the same name; no report recipients.
    /// </summary>
    public static byte[] Definition(ImportMode mode, string table, string keyColumn, IReadOnlyList<string> header)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("file");
            json.WriteString("compression", "ZIP");
            json.WriteStartObject("format");
            json.WriteString("separator", Separator.ToString());
            json.WriteString("enclosing", "\"");
            json.WriteString("escaping", "\"");
            json.WriteString("encoding", "UTF-8");
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteStartObject("load");
            json.WriteString("table", table);
            json.WriteString("mode", ModeName(mode));
            json.WriteString("keyAttribute", keyColumn);
            json.WriteStartArray("mapping");
            foreach (var column in header)
            {
                json.WriteStartObject();
                json.WriteString("header", column);
                json.WriteString("attribute", column);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteStartArray("reportRecipients");
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    public static string ModeName(ImportMode mode) => mode switch
    {
        ImportMode.CreateOnly => "CREATE_ONLY",
        ImportMode.UpdateOnly => "UPDATE_ONLY",
        _ => "CREATE_UPDATE",
    };
}

/// <summary>The state of an ETL execution as read from <c>GET .../etl-executions/{id}</c>.</summary>
internal sealed record ImportState(bool Finished, bool Failed, bool? WithErrors, string? Status, string? Message)
{
    private static readonly HashSet<string> Failures = new(StringComparer.OrdinalIgnoreCase)
    {
        "FAILED", "FAILURE", "ERROR", "ABORTED", "CANCELLED", "CANCELED", "REJECTED",
    };

    /// <summary>
    /// Reads the execution. SUCCESS and WITH_ERROR are the documented finished statuses (the finished-execution
    /// webhook); a body without a status, one that is not JSON, and an unknown status count as still running (the wait
    /// is bounded): only a status Actito documents ends it.
    /// </summary>
    public static ImportState Parse(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            var status = Json.String(root, "status") ?? Json.String(root, "executionStatus") ?? Json.String(root, "state");
            var message = Json.String(root, "message") ?? Json.String(root, "errorMessage");
            if (status is null) return new(false, false, null, null, message);
            if (status.Equals("SUCCESS", StringComparison.OrdinalIgnoreCase)) return new(true, false, false, status, message);
            if (status.Equals("WITH_ERROR", StringComparison.OrdinalIgnoreCase) || status.Equals("WITH_ERRORS", StringComparison.OrdinalIgnoreCase))
                return new(true, false, true, status, message);
            if (Failures.Contains(status)) return new(true, true, null, status, message);
            return new(false, false, null, status, message);
        }
        catch (JsonException)
        {
            return new(false, false, null, null, null);
        }
    }
}

/// <summary>One rejected line of an import, as read from its result file.</summary>
internal sealed record ImportLineError(int? Line, string? Key, string? Code, string Message);

/// <summary>
/// Reads an import's result (error) file. Its format is not documented, so it is read by its header: a CSV
/// (separator guessed from the header) or a ZIP holding one, with columns for the line number, the key value,
/// an error code and message, and optionally a success flag (Y/N) for report files that list every line.
/// </summary>
internal static class ImportResultFile
{
    public static List<ImportLineError> Parse(byte[] content, string keyColumn)
    {
        var text = Decode(content);
        var errors = new List<ImportLineError>();
        if (string.IsNullOrWhiteSpace(text)) return errors;
        var firstLineEnd = text.IndexOfAny(['\r', '\n']);
        var headerLine = firstLineEnd < 0 ? text : text[..firstLineEnd];
        var separator = GuessSeparator(headerLine);
        var rows = ReadCsv(text, separator);
        if (rows.Count == 0) return errors;
        var header = rows[0].Select(h => h.Trim()).ToList();

        int Find(Func<string, bool> predicate) => header.FindIndex(h => predicate(h.ToLowerInvariant()));
        var lineIndex = Find(h => h is "line" or "linenumber" or "line_number" or "lineno" or "row" or "rownumber" or "row_number");
        if (lineIndex < 0) lineIndex = Find(h => h.Contains("line", StringComparison.Ordinal));
        var keyIndex = header.FindIndex(h => h.Equals(keyColumn, StringComparison.OrdinalIgnoreCase));
        if (keyIndex < 0) keyIndex = Find(h => h is "key" or "keyvalue" or "key_value" or "headerkeyvalue");
        var codeIndex = Find(h => h.Contains("code", StringComparison.Ordinal));
        var messageIndex = Find(h => h.Contains("message", StringComparison.Ordinal) || h is "error" or "reason" or "description" or "cause" or "explanation");
        var successIndex = Find(h => h is "success" or "succeeded" or "ok");

        for (var r = 1; r < rows.Count; r++)
        {
            var row = rows[r];
            if (row.Count == 1 && row[0].Length == 0) continue;
            string? Cell(int i) => i >= 0 && i < row.Count ? row[i] : null;
            if (Cell(successIndex) is { } success && success.Trim().ToUpperInvariant() is "Y" or "YES" or "TRUE" or "1" or "OK") continue;
            int? line = int.TryParse(Cell(lineIndex), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : null;
            var message = Cell(messageIndex);
            var code = Cell(codeIndex);
            errors.Add(new ImportLineError(line, Cell(keyIndex), string.IsNullOrWhiteSpace(code) ? null : code.Trim(),
                string.IsNullOrWhiteSpace(message) ? code ?? "The line was rejected by the import." : message.Trim()));
        }
        return errors;
    }

    private static string Decode(byte[] content)
    {
        if (content.Length >= 4 && content[0] == 'P' && content[1] == 'K' && content[2] == 3 && content[3] == 4)
        {
            using var zip = new ZipArchive(new MemoryStream(content), ZipArchiveMode.Read);
            var entry = zip.Entries.FirstOrDefault(e => !e.FullName.EndsWith('/'));
            if (entry is null) return "";
            using var reader = new StreamReader(entry.Open(), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            return reader.ReadToEnd();
        }
        using var plain = new StreamReader(new MemoryStream(content), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return plain.ReadToEnd();
    }

    private static char GuessSeparator(string headerLine)
    {
        var best = ',';
        var bestCount = 0;
        foreach (var candidate in new[] { ';', ',', '\t', '|' })
        {
            var count = headerLine.AsSpan().Count(candidate);
            if (count > bestCount)
            {
                best = candidate;
                bestCount = count;
            }
        }
        return best;
    }

    private static List<List<string>> ReadCsv(string text, char separator)
    {
        var rows = new List<List<string>>();
        var row = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        var fieldStart = true;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"')
                    {
                        field.Append('"');
                        i++;
                    }
                    else quoted = false;
                }
                else field.Append(c);
            }
            else if (c == '"' && fieldStart)
            {
                quoted = true;
                fieldStart = false;
            }
            else if (c == separator)
            {
                row.Add(field.ToString());
                field.Clear();
                fieldStart = true;
            }
            else if (c is '\r' or '\n')
            {
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
                row.Add(field.ToString());
                rows.Add(row);
                row = [];
                field.Clear();
                fieldStart = true;
            }
            else
            {
                field.Append(c);
                fieldStart = false;
            }
        }
        if (field.Length > 0 || row.Count > 0)
        {
            row.Add(field.ToString());
            rows.Add(row);
        }
        return rows;
    }
}

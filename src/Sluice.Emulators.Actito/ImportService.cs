using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Sluice.Emulators.Actito;

/// <summary>The documented data loading modes of an ETL; there is no deletion mode in the API.</summary>
internal enum ImportMode
{
    CreateOnly,
    UpdateOnly,
    CreateUpdate,
}

internal sealed record ImportError(int Line, string Key, string Code, string Message);

internal sealed class ImportJob
{
    public required long Id { get; init; }

    public required string Entity { get; init; }

    public required string Table { get; init; }

    public required ImportMode Mode { get; init; }

    public required string Started { get; init; }

    public int PollsUntilFinished;
    public int RowsRead;
    public int RowsCreated;
    public int RowsUpdated;
    public int RowsDeleted;
    public List<ImportError> Errors { get; } = [];
}

/// <summary>
/// One-shot ETL executions (the v5 mass-imports API): <c>POST .../etl-executions</c> with a multipart body of the data
/// file (<c>inputFile</c>) and the ETL definition (<c>definition</c>, JSON), then <c>GET .../etl-executions/{id}</c> and
/// <c>.../error-file</c>. The data is applied when the execution is accepted; the execution reports RUNNING for the
/// first <see cref="ActitoEmulatorOptions.ImportRunningPolls"/> polls.
/// </summary>
internal sealed class ImportService(ActitoEmulatorOptions options, ActitoStore store, Limits limits, Counters counters)
{
    private readonly ConcurrentDictionary<long, ImportJob> _jobs = new();
    private long _nextId = 1_000_000;

    public void Reset() => _jobs.Clear();

    public async Task SubmitAsync(HttpContext context, EntityState entity)
    {
        var request = context.Request;
        if (request.ContentLength > options.MaxImportBytes + 1024 * 1024)
        {
            await ActitoApi.ErrorAsync(context, 400, $"The data file is larger than {options.MaxImportBytes} bytes.", "FILE_TOO_LARGE");
            return;
        }
        if (!request.HasFormContentType)
        {
            await ActitoApi.ErrorAsync(context, 400, "A one-shot ETL execution is a multipart/form-data request with the data file and the ETL definition.");
            return;
        }
        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(context.RequestAborted);
        }
        catch (InvalidDataException)
        {
            await ActitoApi.ErrorAsync(context, 400, "The multipart body could not be read or is too large.");
            return;
        }
        var file = form.Files.GetFile("inputFile") ?? form.Files.GetFile("file") ?? form.Files.GetFile("dataFile");
        if (file is null)
        {
            await ActitoApi.ErrorAsync(context, 400, "Missing the data file part ('inputFile').");
            return;
        }
        if (file.Length > options.MaxImportBytes)
        {
            await ActitoApi.ErrorAsync(context, 400, $"The data file is larger than {options.MaxImportBytes} bytes.", "FILE_TOO_LARGE");
            return;
        }

        string? definitionText = null;
        foreach (var name in new[] { "definition", "etlDefinition", "oneShotEtlDefinition" })
        {
            if (form.Files.GetFile(name) is { } definitionFile)
            {
                using var r = new StreamReader(definitionFile.OpenReadStream(), Encoding.UTF8);
                definitionText = await r.ReadToEndAsync(context.RequestAborted);
                break;
            }
            if (form.TryGetValue(name, out var field))
            {
                definitionText = field.ToString();
                break;
            }
        }
        if (definitionText is null)
        {
            await ActitoApi.ErrorAsync(context, 400, "Missing the ETL definition part ('definition').");
            return;
        }
        var (parameters, paramError) = ImportParameters.Parse(definitionText, entity);
        if (parameters is null)
        {
            await ActitoApi.ErrorAsync(context, 400, paramError!, "INVALID_DEFINITION");
            return;
        }
        var table = parameters.Table;

        byte[] content;
        using (var buffer = new MemoryStream((int)Math.Min(file.Length, int.MaxValue)))
        {
            await file.CopyToAsync(buffer, context.RequestAborted);
            content = buffer.ToArray();
        }
        var (csv, fileError) = Unpack(content);
        if (csv is null)
        {
            await ActitoApi.ErrorAsync(context, 400, fileError!);
            return;
        }
        var bom = csv.Length >= 3 && csv[0] == 0xEF && csv[1] == 0xBB && csv[2] == 0xBF;
        if (bom && options.RejectByteOrderMark)
        {
            await ActitoApi.ErrorAsync(context, 400, "Files starting with a byte order mark (BOM) are rejected.", "BOM_NOT_SUPPORTED");
            return;
        }

        var data = new MemoryStream(csv, bom ? 3 : 0, bom ? csv.Length - 3 : csv.Length);
        var reader = new CsvReader(new StreamReader(data, parameters.Encoding, detectEncodingFromByteOrderMarks: false), parameters.Separator);
        var header = reader.Next();
        if (header is null || header.Value.Fields.All(string.IsNullOrWhiteSpace))
        {
            await ActitoApi.ErrorAsync(context, 400, "The file has no header line.");
            return;
        }
        var (columns, headerError) = MapHeader(header.Value.Fields, table, parameters);
        if (columns is null)
        {
            await ActitoApi.ErrorAsync(context, 400, headerError!);
            return;
        }

        // Only a well-formed request uses up one of the table's daily imports.
        if (!limits.TryTakeImport(entity.Name, table.Name) && CountViolation())
        {
            Interlocked.Increment(ref counters.TooManyRequests);
            await ActitoApi.ErrorAsync(context, 429, $"More than {options.MaxImportsPerTablePerDay} imports in table '{table.Name}' today.", "TOO_MANY_IMPORTS");
            return;
        }

        var job = new ImportJob
        {
            Id = Interlocked.Increment(ref _nextId),
            Entity = entity.Name,
            Table = table.Name,
            Mode = parameters.Mode,
            Started = Now(),
            PollsUntilFinished = options.ImportRunningPolls,
        };
        Run(job, reader, columns, table, parameters);
        _jobs[job.Id] = job;
        Interlocked.Increment(ref counters.ImportsRun);
        Interlocked.Add(ref counters.ImportRowsRead, job.RowsRead);
        Interlocked.Add(ref counters.ImportRowsInError, job.Errors.Count);
        Interlocked.Add(ref counters.ProfilesCreated, job.RowsCreated);
        Interlocked.Add(ref counters.ProfilesUpdated, job.RowsUpdated);
        Interlocked.Add(ref counters.ProfilesDeleted, job.RowsDeleted);
        context.Response.Headers.Location = $"{context.Request.Path.Value?.TrimEnd('/')}/{job.Id.ToString(CultureInfo.InvariantCulture)}";
        await ActitoApi.JsonAsync(context, 201, new JsonObject { ["id"] = job.Id });
    }

    /// <summary>The CSV bytes from a ZIP holding one file, a GZIP file, or a plain file.</summary>
    /// <summary>Counts an import past the daily quota; true when the quota is enforced (the import is refused).</summary>
    private bool CountViolation()
    {
        Interlocked.Increment(ref counters.RateLimitViolations);
        return options.RateLimits;
    }

    private static (byte[]? Csv, string? Error) Unpack(byte[] content)
    {
        if (content.Length >= 4 && content[0] == 'P' && content[1] == 'K' && content[2] == 3 && content[3] == 4)
        {
            try
            {
                using var zip = new ZipArchive(new MemoryStream(content), ZipArchiveMode.Read);
                var entries = zip.Entries.Where(e => !e.FullName.EndsWith('/')).ToList();
                if (entries.Count != 1)
                    return (null, $"The ZIP file must contain exactly one CSV file (found {entries.Count}).");
                using var stream = entries[0].Open();
                using var output = new MemoryStream();
                stream.CopyTo(output);
                return (output.ToArray(), null);
            }
            catch (InvalidDataException)
            {
                return (null, "The ZIP file is corrupt.");
            }
        }
        if (content.Length >= 2 && content[0] == 0x1F && content[1] == 0x8B)
        {
            try
            {
                using var gzip = new GZipStream(new MemoryStream(content), CompressionMode.Decompress);
                using var output = new MemoryStream();
                gzip.CopyTo(output);
                return (output.ToArray(), null);
            }
            catch (InvalidDataException)
            {
                return (null, "The GZIP file is corrupt.");
            }
        }
        return (content, null);
    }

    /// <summary>
    /// Column i maps to an attribute or a subscription (Y/N values): through the definition's mapping when it has one,
    /// else by the header's own name. Columns a mapping leaves out are ignored.
    /// </summary>
    private static (List<(AttributeSpec? Spec, string? Subscription)>? Columns, string? Error) MapHeader(
        List<string> header, TableState table, ImportParameters parameters)
    {
        var columns = new List<(AttributeSpec?, string?)>(header.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var mapped = new HashSet<string>(StringComparer.Ordinal);
        foreach (var raw in header)
        {
            var name = raw.Trim();
            if (!seen.Add(name)) return (null, $"Column '{name}' appears twice in the header.");
            string target;
            if (parameters.Mapping is { } mapping)
            {
                if (!mapping.TryGetValue(name, out var attribute))
                {
                    columns.Add((null, null));
                    continue;
                }
                target = attribute;
            }
            else target = name;
            if (!mapped.Add(target)) return (null, $"Attribute '{target}' is mapped from more than one column.");
            if (table.Attributes.ByName.TryGetValue(target, out var spec))
            {
                if (spec.IsTechnical && target != parameters.KeyColumn)
                    return (null, $"Column '{name}' maps to '{target}', a technical attribute managed by the system.");
                columns.Add((spec, null));
            }
            else if (table.HasSubscription(target)) columns.Add((null, target));
            else return (null, $"Unknown attribute '{target}' (column '{name}'): not an attribute or subscription of table '{table.Name}'.");
        }
        if (parameters.Mapping is { } m && m.Keys.FirstOrDefault(k => !seen.Contains(k)) is { } missing)
            return (null, $"The mapping names column '{missing}', which is not in the file's header.");
        if (!mapped.Contains(parameters.KeyColumn))
            return (null, $"The key attribute '{parameters.KeyColumn}' is not mapped from any column of the file.");
        return (columns, null);
    }

    private void Run(ImportJob job, CsvReader reader, List<(AttributeSpec? Spec, string? Subscription)> columns, TableState table, ImportParameters parameters)
    {
        var keyIndex = columns.FindIndex(c => c.Spec?.Name == parameters.KeyColumn);
        var keySpec = columns[keyIndex].Spec!;
        var now = job.Started;
        var mode = parameters.Mode switch
        {
            ImportMode.CreateOnly => WriteMode.CreateOnly,
            ImportMode.UpdateOnly => WriteMode.UpdateOnly,
            _ => WriteMode.CreateOrUpdate,
        };
        while (reader.Next() is { } record)
        {
            var (line, fields) = record;
            if (fields.Count == 1 && fields[0].Length == 0) continue; // blank line, e.g. at the end
            job.RowsRead++;
            var key = keyIndex < fields.Count ? fields[keyIndex] : "";
            if (fields.Count != columns.Count)
            {
                job.Errors.Add(new(line, key, "INVALID_LINE", $"The line has {fields.Count} columns; the header has {columns.Count}."));
                continue;
            }
            if (key.Length == 0)
            {
                job.Errors.Add(new(line, key, "MISSING_KEY", $"The key column '{keySpec.Name}' is empty."));
                continue;
            }
            var keyCheck = keySpec.IsTechnical ? ValueCheck.Valid(key) : AttributeRules.CheckValue(keySpec, key);
            if (!keyCheck.Ok)
            {
                job.Errors.Add(new(line, key, keyCheck.ErrorCode!, keyCheck.Message!));
                continue;
            }

            var change = new ProfileChange();
            ImportError? error = null;
            for (var i = 0; i < columns.Count && error is null; i++)
            {
                var (spec, subscription) = columns[i];
                var value = fields[i];
                if (subscription is not null)
                {
                    if (value.Length == 0) continue;
                    var flag = AttributeRules.CheckValue(new AttributeSpec(subscription, "CUSTOM", "BOOLEAN", false, false, false, null, null), value);
                    if (!flag.Ok) error = new(line, key, "INVALID_SUBSCRIPTION", $"Subscription '{subscription}' takes Y or N.");
                    else change.Subscriptions[subscription] = flag.Value == "true";
                    continue;
                }
                if (spec is null) continue; // a column the mapping leaves out
                if (spec.IsTechnical) continue; // profileId as key column
                if (value.Length == 0)
                {
                    if (options.EmptyCsvValueClears) change.Values.Add((spec, null));
                    continue;
                }
                var check = i == keyIndex ? keyCheck : AttributeRules.CheckValue(spec, value);
                if (!check.Ok) error = new(line, key, check.ErrorCode!, check.Message!);
                else change.Values.Add((spec, check.Value));
            }
            if (error is not null)
            {
                job.Errors.Add(error);
                continue;
            }

            WriteOutcome outcome;
            if (keySpec.IsTechnical)
            {
                // profileId as key: only existing profiles can be addressed.
                if (parameters.Mode == ImportMode.CreateOnly)
                    outcome = new(WriteStatus.Invalid, 0, "INVALID_KEY", "Profiles cannot be created with a given profileId.");
                else if (long.TryParse(keyCheck.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                    outcome = table.Write(change, WriteMode.UpdateOnly, id, null, store.NextProfileId, now);
                else
                    outcome = new(WriteStatus.NotFound, 0, "PROFILE_NOT_FOUND", "No profile matches the key.");
            }
            else
            {
                outcome = table.Write(change, mode, null, keySpec.Name, store.NextProfileId, now);
            }
            switch (outcome.Status)
            {
                case WriteStatus.Created: job.RowsCreated++; break;
                case WriteStatus.Updated: job.RowsUpdated++; break;
                default: job.Errors.Add(new(line, key, outcome.Code ?? "ERROR", outcome.Message ?? "The line was rejected.")); break;
            }
        }
    }

    /// <summary>
    /// The execution: <c>status</c> RUNNING, then SUCCESS or WITH_ERROR (the statuses of Actito's finished-execution
    /// webhook), with a report of the lines read, created, updated and rejected.
    /// </summary>
    public async Task WriteExecutionAsync(HttpContext context, EntityState entity, long id)
    {
        if (!_jobs.TryGetValue(id, out var job) || job.Entity != entity.Name)
        {
            await ActitoApi.ErrorAsync(context, 404, "Unknown ETL execution.");
            return;
        }
        var running = Interlocked.Decrement(ref job.PollsUntilFinished) >= 0;
        var body = new JsonObject
        {
            ["id"] = job.Id,
            ["type"] = "ONE_SHOT",
            ["status"] = running ? "RUNNING" : job.Errors.Count > 0 ? "WITH_ERROR" : "SUCCESS",
            ["startMoment"] = job.Started,
            ["endMoment"] = running ? null : job.Started,
            ["report"] = running
                ? null
                : new JsonObject
                {
                    ["table"] = job.Table,
                    ["mode"] = ModeName(job.Mode),
                    ["processedLines"] = job.RowsRead,
                    ["createdRecords"] = job.RowsCreated,
                    ["updatedRecords"] = job.RowsUpdated,
                    ["rejectedLines"] = job.Errors.Count,
                },
        };
        await ActitoApi.JsonAsync(context, 200, body);
    }

    /// <summary>
    /// The error file: CSV (comma, RFC 4180, UTF-8 without BOM, CRLF) with header
    /// <c>lineNumber,keyValue,errorCode,errorMessage</c>, one line per rejected file line (the header is line 1).
    /// </summary>
    public async Task WriteErrorFileAsync(HttpContext context, EntityState entity, long id)
    {
        if (!_jobs.TryGetValue(id, out var job) || job.Entity != entity.Name)
        {
            await ActitoApi.ErrorAsync(context, 404, "Unknown ETL execution.");
            return;
        }
        if (Volatile.Read(ref job.PollsUntilFinished) > 0)
        {
            await ActitoApi.ErrorAsync(context, 404, "The execution is still running; its error file is not available yet.");
            return;
        }
        var csv = new StringBuilder("lineNumber,keyValue,errorCode,errorMessage\r\n");
        foreach (var error in job.Errors)
        {
            csv.Append(error.Line.ToString(CultureInfo.InvariantCulture)).Append(',')
               .Append(CsvReader.Escape(error.Key, ',')).Append(',')
               .Append(error.Code).Append(',')
               .Append(CsvReader.Escape(error.Message, ',')).Append("\r\n");
        }
        var bytes = new UTF8Encoding(false).GetBytes(csv.ToString());
        var name = $"etl-execution-{job.Id}-errors.csv";
        if (options.ZipResultFile)
        {
            using var buffer = new MemoryStream();
            using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
            {
                await using var entry = await zip.CreateEntry(name).OpenAsync(context.RequestAborted);
                await entry.WriteAsync(bytes, context.RequestAborted);
            }
            bytes = buffer.ToArray();
            name = $"etl-execution-{job.Id}-errors.zip";
            context.Response.ContentType = "application/zip";
        }
        else
        {
            context.Response.ContentType = "text/csv; charset=utf-8";
        }
        context.Response.Headers.ContentDisposition = $"attachment; filename=\"{name}\"";
        context.Response.StatusCode = 200;
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
    }

    private static string ModeName(ImportMode mode) => mode switch
    {
        ImportMode.CreateOnly => "CREATE_ONLY",
        ImportMode.UpdateOnly => "UPDATE_ONLY",
        _ => "CREATE_UPDATE",
    };

    private string Now() => options.TimeProvider.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}

/// <summary>
/// The one-shot ETL definition (JSON), as far as the emulator reads it:
/// <c>{"file":{"compression","format":{"separator","enclosing","escaping","encoding"}},
/// "load":{"table","mode","keyAttribute","mapping":[{"header","attribute"}]},"reportRecipients":[...]}</c>.
/// Modes are the documented CREATE_ONLY, UPDATE_ONLY and CREATE_UPDATE only.
/// </summary>
internal sealed record ImportParameters(char Separator, Encoding Encoding, ImportMode Mode, string KeyColumn, TableState Table,
    IReadOnlyDictionary<string, string>? Mapping)
{
    public static (ImportParameters? Parameters, string? Error) Parse(string json, EntityState entity)
    {
        JsonObject? obj;
        try
        {
            obj = JsonNode.Parse(json) as JsonObject;
        }
        catch (JsonException)
        {
            obj = null;
        }
        if (obj is null) return (null, "The ETL definition must be a JSON object.");
        var file = obj["file"] as JsonObject;
        var format = file?["format"] as JsonObject;
        var load = obj["load"] as JsonObject;
        if (load is null) return (null, "The ETL definition has no 'load' object (table, mode, keyAttribute, mapping).");

        var separatorText = Text(format, "separator") ?? ",";
        if (separatorText.Length != 1) return (null, $"The separator must be a single character, not '{separatorText}'.");
        var separator = separatorText[0];
        if (separator is '"' or '\r' or '\n') return (null, "The separator cannot be a quote or a line break.");

        var charset = (Text(format, "encoding") ?? "UTF-8").ToUpperInvariant();
        Encoding? encoding = charset switch
        {
            "UTF-8" or "UTF8" => new UTF8Encoding(false),
            "ISO-8859-1" or "ISO_8859_1" or "LATIN1" or "LATIN-1" => Encoding.Latin1,
            _ => null,
        };
        if (encoding is null) return (null, $"Unsupported encoding '{charset}': use UTF-8 or ISO-8859-1.");

        var tableName = Text(load, "table");
        if (string.IsNullOrWhiteSpace(tableName)) return (null, "'load.table' is required.");
        var table = entity.Find(tableName);
        if (table is null) return (null, $"Unknown profile table '{tableName}'.");

        var modeText = (Text(load, "mode") ?? "").ToUpperInvariant();
        ImportMode? mode = modeText switch
        {
            "CREATE_ONLY" => ImportMode.CreateOnly,
            "UPDATE_ONLY" => ImportMode.UpdateOnly,
            "CREATE_UPDATE" => ImportMode.CreateUpdate,
            _ => null,
        };
        if (mode is null)
            return (null, $"Unknown mode '{modeText}': use CREATE_ONLY, UPDATE_ONLY or CREATE_UPDATE.");

        var key = Text(load, "keyAttribute");
        if (string.IsNullOrWhiteSpace(key)) return (null, "'load.keyAttribute' is required.");
        if (!table.Attributes.ByName.TryGetValue(key, out var spec) || !spec.Unique)
            return (null, $"The key attribute '{key}' must be a unique attribute of table '{table.Name}'.");

        Dictionary<string, string>? mapping = null;
        if (load["mapping"] is JsonArray items)
        {
            mapping = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var item in items)
            {
                var header = Text(item as JsonObject, "header");
                var attribute = Text(item as JsonObject, "attribute");
                if (string.IsNullOrWhiteSpace(header) || string.IsNullOrWhiteSpace(attribute))
                    return (null, "Every mapping entry needs 'header' and 'attribute'.");
                if (!mapping.TryAdd(header, attribute)) return (null, $"Column '{header}' is mapped twice.");
            }
        }
        return (new ImportParameters(separator, encoding, mode.Value, key, table, mapping), null);
    }

    private static string? Text(JsonObject? obj, string name) =>
        obj?[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}

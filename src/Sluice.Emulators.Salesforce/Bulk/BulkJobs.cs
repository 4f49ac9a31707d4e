using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Sluice.Emulators.Salesforce.Http;
using Sluice.Emulators.Salesforce.Schema;
using Sluice.Emulators.Salesforce.Store;

namespace Sluice.Emulators.Salesforce.Bulk;

/// <summary>A Bulk API 2.0 ingest job and its results.</summary>
internal sealed class BulkJob
{
    public readonly Lock Gate = new();
    public required string Id { get; init; }
    public required SObjectSchema Schema { get; init; }
    public required string Operation { get; init; }
    public string? ExternalIdFieldName { get; init; }
    public required string ColumnDelimiter { get; init; }
    public required string LineEnding { get; init; }
    public required string ApiVersion { get; init; }
    public required string CreatedDate { get; init; }
    public string SystemModstamp { get; set; } = "";
    public string State { get; set; } = "Open";
    public string? Data { get; set; }
    public string? ErrorMessage { get; set; }
    public int PollsBeforeDone { get; set; }

    /// <summary>When a closed job held back by the <c>bulkJobDelay</c> fault is due; null when not held.</summary>
    public DateTimeOffset? ProcessAt { get; set; }

    public ITimer? Timer { get; set; }
    public long Processed { get; set; }
    public long Failed { get; set; }
    public long ProcessingMillis { get; set; }
    public string[] Header { get; set; } = [];
    public List<(string Id, bool Created, string[] Row)> Successes { get; } = [];
    public List<(string Id, string Error, string[] Row)> Failures { get; } = [];
    public List<string[]> Unprocessed { get; } = [];
    public char Delimiter => Csv.Delimiter(ColumnDelimiter);
}

/// <summary>
/// The org's Bulk API 2.0 ingest jobs. A closed job is processed at once, or, under the <c>bulkJobDelay</c> fault,
/// stays <c>InProgress</c> (nothing applied) until the emulator's clock reaches its due time.
/// </summary>
internal sealed class BulkJobs(SfState state)
{
    private const int ChunkSize = 200;

    private readonly ConcurrentDictionary<string, BulkJob> _jobs = new(StringComparer.Ordinal);
    private long _next;

    public IEnumerable<BulkJob> All =>
        _jobs.Values.OrderBy(j => j.CreatedDate, StringComparer.Ordinal).ThenBy(j => j.Id, StringComparer.Ordinal);

    /// <summary>Closed jobs held back by the <c>bulkJobDelay</c> fault and not processed yet.</summary>
    public int InProgressCount => _jobs.Values.Count(j => j.ProcessAt is not null);

    /// <summary>Processes a job just closed, now or, when <c>bulkJobDelay</c> is set, once the delay has passed.</summary>
    public void Enqueue(BulkJob job)
    {
        var delay = state.Faults.Options.BulkJobDelay;
        lock (job.Gate)
        {
            if (delay <= TimeSpan.Zero)
            {
                Process(job);
                return;
            }
            job.State = "InProgress";
            job.ProcessAt = state.Clock.GetUtcNow() + delay;
            job.SystemModstamp = Values.FormatDateTime(state.Clock.GetUtcNow());
            job.Timer = state.Clock.CreateTimer(_ => Settle(job, force: true), null, delay, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>
    /// Processes a held job whose time has come. Called by its timer and before any read of the job, so a clock
    /// without timers (tests) works too.
    /// </summary>
    public void Settle(BulkJob job, bool force = false)
    {
        lock (job.Gate)
        {
            if (job.ProcessAt is not { } due || (!force && state.Clock.GetUtcNow() < due) || !_jobs.ContainsKey(job.Id))
                return;
            Release(job);
            try
            {
                Process(job);
            }
            catch (Exception e) when (force)
            {
                // On a timer thread an escaping exception would end the process: the job fails instead, visibly.
                Fail(job, "UnknownException : " + e.Message);
            }
        }
    }

    /// <summary>Aborts a held job before it ran: nothing of it is applied.</summary>
    public static void CancelHeld(BulkJob job) => Release(job);

    /// <summary>After a fault change: with <c>bulkJobDelay</c> back at zero, held jobs run now.</summary>
    public void FaultsChanged()
    {
        if (state.Faults.Options.BulkJobDelay > TimeSpan.Zero)
            return;
        foreach (var job in All)
            Settle(job, force: true);
    }

    private static void Release(BulkJob job)
    {
        job.ProcessAt = null;
        job.Timer?.Dispose();
        job.Timer = null;
    }

    public BulkJob Create(SObjectSchema schema, string operation, string? externalIdField, string delimiter, string lineEnding, string version)
    {
        var now = Values.FormatDateTime(state.Clock.GetUtcNow());
        var job = new BulkJob
        {
            Id = SalesforceId.Create("750", Interlocked.Increment(ref _next)),
            Schema = schema,
            Operation = operation,
            ExternalIdFieldName = externalIdField,
            ColumnDelimiter = delimiter,
            LineEnding = lineEnding,
            ApiVersion = version,
            CreatedDate = now,
            SystemModstamp = now,
        };
        _jobs[job.Id] = job;
        return job;
    }

    public bool TryGet(string id, out BulkJob job)
    {
        job = null!;
        return SalesforceId.TryNormalize(id, out var normalized) && _jobs.TryGetValue(normalized, out job!);
    }

    public bool Remove(string id) => _jobs.TryRemove(id, out _);

    public void Reset()
    {
        foreach (var job in _jobs.Values)
        {
            lock (job.Gate)
                Release(job);
        }
        _jobs.Clear();
    }

    /// <summary>Processes the uploaded CSV: every row becomes a success, a failure or (on a job failure) unprocessed.</summary>
    public void Process(BulkJob job)
    {
        var started = state.Clock.GetTimestamp();
        if (job.Data is null || !Csv.TryParse(job.Data, job.Delimiter, out var rows) || rows.Count == 0)
        {
            Fail(job, job.Data is null ? "InvalidBatch : No data uploaded for this job" : "InvalidBatch : Failed to parse CSV. Found unescaped quote or no header row");
            return;
        }
        job.Header = rows[0];
        var data = rows.Skip(1).ToList();
        // Rows must end as the job says; line breaks inside quoted cells are data and may be anything.
        if (!Csv.LineEndingsMatch(job.Data, job.Delimiter, job.LineEnding))
        {
            job.Unprocessed.AddRange(data);
            Fail(job, $"ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is {job.LineEnding}");
            return;
        }
        var fields = new List<FieldSchema>(job.Header.Length);
        foreach (var name in job.Header)
        {
            if (!job.Schema.FieldsByName.TryGetValue(name.Trim(), out var field))
            {
                job.Unprocessed.AddRange(data);
                Fail(job, $"InvalidBatch : Field name not found : {name.Trim()}");
                return;
            }
            fields.Add(field);
        }
        var kind = job.Operation switch
        {
            "insert" => WriteKind.Create,
            "update" => WriteKind.Update,
            "upsert" => WriteKind.Upsert,
            _ => WriteKind.Delete,
        };
        FieldSchema? externalField = null;
        var externalColumn = -1;
        if (kind == WriteKind.Upsert)
        {
            externalField = job.Schema.FieldsByName[job.ExternalIdFieldName!];
            externalColumn = fields.IndexOf(externalField);
            if (externalColumn < 0 && externalField.Name != "Id")
            {
                job.Unprocessed.AddRange(data);
                Fail(job, $"InvalidBatch : Field name not found : {externalField.Name}");
                return;
            }
            if (externalField.Name == "Id")
                externalColumn = fields.FindIndex(f => f.Name == "Id");
        }
        if (kind is WriteKind.Update or WriteKind.Delete && !fields.Any(f => f.Name == "Id"))
        {
            job.Unprocessed.AddRange(data);
            Fail(job, "InvalidBatch : Field name not found : Id");
            return;
        }

        // Salesforce processes a job's internal batches in parallel; rows are read and checked in parallel here too,
        // then applied in order.
        var ops = new WriteOp[data.Count];
        Parallel.For(0, data.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, r =>
        {
            var row = data[r];
            var op = new WriteOp(kind, job.Schema) { ExternalField = externalField };
            if (kind == WriteKind.Upsert)
            {
                var key = externalColumn >= 0 && externalColumn < row.Length ? row[externalColumn] : "";
                if (key.Length == 0 || key == "#N/A")
                {
                    if (externalField!.Name != "Id")
                        op.Errors.Add(new RecordError("MISSING_ARGUMENT", $"{externalField.Name} not specified", [externalField.Name]));
                }
                else if (Values.FromText(externalField!, key, out var keyValue) is { } bad)
                {
                    op.Errors.Add(bad);
                }
                else
                {
                    op.ExternalValue = OrgStore.KeyOf(keyValue!);
                }
            }
            if (!op.Failed)
                RecordValidator.FromCsv(op, fields, row);
            ops[r] = op;
        });
        var all = new List<WriteOp>(ops);
        // Salesforce checks duplicate keys within the data it processes together (see docs/destinations/salesforce.md).
        DuplicateKeys.Reject(all);
        for (var start = 0; start < data.Count; start += ChunkSize)
        {
            var chunk = data.GetRange(start, Math.Min(ChunkSize, data.Count - start));
            var applied = all.GetRange(start, chunk.Count);
            state.Store.Apply(applied, allOrNone: false);
            state.Count(applied);
            for (var i = 0; i < applied.Count; i++)
            {
                var op = applied[i];
                if (op.Failed)
                {
                    var e = op.Errors[0];
                    job.Failures.Add((kind == WriteKind.Create ? "" : op.Id ?? op.ResultId ?? "", $"{e.StatusCode}:{e.Message}:{string.Join(",", e.Fields)} --", chunk[i]));
                }
                else
                {
                    job.Successes.Add((op.ResultId!, op.Created, Rendered(fields, chunk[i], op)));
                }
            }
        }
        job.Processed = data.Count;
        job.Failed = job.Failures.Count;
        job.ProcessingMillis = (long)state.Clock.GetElapsedTime(started).TotalMilliseconds;
        job.State = "JobComplete";
        job.PollsBeforeDone = state.Options.BulkInProgressPolls;
        job.SystemModstamp = Values.FormatDateTime(state.Clock.GetUtcNow());
    }

    /// <summary>
    /// A saved row as the results show it: each value as Salesforce stores and prints it (12.50 as 12.5, TRUE as
    /// true, a datetime with +0000), not as it was sent. Cells left empty or nulled stay as sent.
    /// </summary>
    private static string[] Rendered(List<FieldSchema> fields, string[] row, WriteOp op)
    {
        var cells = (string[])row.Clone();
        for (var i = 0; i < fields.Count && i < cells.Length; i++)
        {
            if (op.Values.TryGetValue(fields[i].Name, out var value) && value is not null)
                cells[i] = value switch
                {
                    bool b => b ? "true" : "false",
                    double d => d.ToString("R", CultureInfo.InvariantCulture),
                    IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                    _ => value.ToString() ?? "",
                };
        }
        return cells;
    }

    private void Fail(BulkJob job, string message)
    {
        job.State = "Failed";
        job.ErrorMessage = message;
        job.PollsBeforeDone = state.Options.BulkInProgressPolls;
        job.SystemModstamp = Values.FormatDateTime(state.Clock.GetUtcNow());
    }

    public static string SuccessCsv(BulkJob job)
    {
        var sb = new StringBuilder();
        var d = job.Delimiter;
        sb.Append("\"sf__Id\"").Append(d).Append("\"sf__Created\"");
        AppendHeader(sb, job, d);
        foreach (var (id, created, row) in job.Successes)
        {
            sb.Append('"').Append(id).Append('"').Append(d).Append('"').Append(created ? "true" : "false").Append('"');
            AppendCells(sb, job, row, d);
        }
        return sb.ToString();
    }

    public static string FailureCsv(BulkJob job)
    {
        var sb = new StringBuilder();
        var d = job.Delimiter;
        sb.Append("\"sf__Id\"").Append(d).Append("\"sf__Error\"");
        AppendHeader(sb, job, d);
        foreach (var (id, error, row) in job.Failures)
        {
            sb.Append('"').Append(id).Append('"').Append(d);
            Csv.AppendCell(sb, error, d, forceQuotes: true);
            AppendCells(sb, job, row, d);
        }
        return sb.ToString();
    }

    public static string UnprocessedCsv(BulkJob job)
    {
        var sb = new StringBuilder();
        var d = job.Delimiter;
        if (job.Header.Length > 0)
        {
            Csv.AppendRow(sb, job.Header, d);
            sb.Append('\n');
        }
        foreach (var row in job.Unprocessed)
        {
            Csv.AppendRow(sb, row, d);
            sb.Append('\n');
        }
        return sb.ToString();
    }

    private static void AppendHeader(StringBuilder sb, BulkJob job, char d)
    {
        foreach (var h in job.Header)
            sb.Append(d).Append(h);
        sb.Append('\n');
    }

    private static void AppendCells(StringBuilder sb, BulkJob job, string[] row, char d)
    {
        for (var i = 0; i < job.Header.Length; i++)
        {
            sb.Append(d);
            Csv.AppendCell(sb, i < row.Length ? row[i] : "", d);
        }
        sb.Append('\n');
    }

    public static string Number(long n) => n.ToString(CultureInfo.InvariantCulture);
}

using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Sluice.Core.Destinations;
using Sluice.Destinations.Salesforce.Formats;
using Sluice.Destinations.Salesforce.Http;
using Sluice.Destinations.Salesforce.Schema;

namespace Sluice.Destinations.Salesforce.Writing;

/// <summary>
/// Writes through Bulk API 2.0. A run's records come as one batch (up to <see cref="SalesforceTuning.BulkMaxRowsPerJob"/>),
/// sent as one ingest job per operation (create, upload, close, poll), split only when the CSV would pass the upload
/// limit. Results are read back only when the job reports rows of that kind, and mapped to the sent rows by identity:
/// the record Id for updates, the match value for upserts and inserts, as Salesforce renders them. Inserts without a
/// match value of their own have no identity in the results, so they go through sObject Collections (answers in
/// request order).
/// </summary>
internal sealed class BulkWriter : IDestinationWriter
{
    private readonly SalesforceApi _api;
    private readonly WritePlan _plan;
    private readonly SalesforceTuning _tuning;
    private readonly RecordLookup _lookup;
    private readonly PendingJobs _pendingJobs;
    private readonly CollectionsWriter _collections;
    private readonly RunMatches _matches = new();
    private readonly ILogger _log;

    public BulkWriter(SalesforceApi api, WritePlan plan, SalesforceTuning tuning, ILogger log, long planned)
    {
        _api = api;
        _plan = plan;
        _tuning = tuning;
        _log = log;
        _lookup = new RecordLookup(api, plan, tuning);
        _pendingJobs = new PendingJobs(api, plan, tuning, log);
        _collections = new CollectionsWriter(api, plan, tuning, log);
        // The whole run in one batch, so one job: Salesforce counts calls, not rows.
        BatchSize = (int)Math.Clamp(planned, 1, tuning.BulkMaxRowsPerJob);
        // Batches above the row cap go one after the other: each holds up to a million rows in memory.
        MaxConcurrency = 1;
    }

    public int BatchSize { get; }

    public int MaxConcurrency { get; }

    public async Task<IReadOnlyList<RecordResult>> WriteAsync(DeliveryBatch batch, CancellationToken cancellationToken)
    {
        var results = new RecordResult?[batch.Records.Count];
        var prepared = await BatchPrep.PrepareAsync(batch, results, _plan, _lookup, _matches, cancellationToken);
        var jobs = new List<Task>();
        if (prepared.Creates.Count > 0)
        {
            var columns = _plan.ColumnsFor(RecordOperation.Create, batch.Fields);
            var (identified, anonymous) = SplitByIdentity(prepared.Creates, columns);
            if (identified.Count > 0)
                jobs.Add(RunJobsAsync(RecordOperation.Create, identified, columns, results, cancellationToken));
            if (anonymous.Count > 0)
                jobs.Add(_collections.CreateAllAsync(anonymous, columns, results, cancellationToken));
        }
        if (prepared.Updates.Count > 0)
            jobs.Add(RunJobsAsync(RecordOperation.Update, prepared.Updates, _plan.ColumnsFor(RecordOperation.Update, batch.Fields), results, cancellationToken));
        if (prepared.Upserts.Count > 0)
            jobs.Add(RunJobsAsync(RecordOperation.Upsert, prepared.Upserts, _plan.ColumnsFor(RecordOperation.Upsert, batch.Fields), results, cancellationToken));
        await Task.WhenAll(jobs);
        return BatchPrep.Complete(batch, results, "Bulk API job");
    }

    public async Task<IReadOnlyList<RecordResult>> ReconcileAsync(DeliveryBatch batch, CancellationToken cancellationToken) =>
        await Reconcile.RunAsync(batch, _lookup, _pendingJobs, cancellationToken);

    public Task SettleInFlightAsync(CancellationToken cancellationToken) => _pendingJobs.SettleAsync(cancellationToken);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>Inserts whose match value is theirs alone in this batch can be found in the results; the others cannot.</summary>
    private (List<Item> Identified, List<Item> Anonymous) SplitByIdentity(List<Item> creates, OutColumn[] columns)
    {
        var keyColumn = Array.FindIndex(columns, c => c.Source is ColumnSource.Match or ColumnSource.MatchWhenNew);
        if (keyColumn < 0)
            return ([], creates);
        var identities = creates.Select(i => BatchPrep.ValueOf(columns[keyColumn], i) is { } v and not "" ? RunMatches.Identity(v, _plan) : null).ToList();
        var counts = identities.Where(k => k is not null).CountBy(k => k!).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        var identified = new List<Item>();
        var anonymous = new List<Item>();
        for (var i = 0; i < creates.Count; i++)
            (identities[i] is { } k && counts[k] == 1 ? identified : anonymous).Add(creates[i]);
        return (identified, anonymous);
    }

    /// <summary>One job for the items, or several when their CSV would pass the upload limit.</summary>
    private async Task RunJobsAsync(RecordOperation operation, List<Item> items, OutColumn[] columns, RecordResult?[] results, CancellationToken cancellationToken)
    {
        var parts = BuildCsv(items, columns);
        if (parts.Count > 1)
            _log.LogInformation("Salesforce Bulk API: {Count} {Object} rows make {Parts} uploads of at most {Limit:N0} bytes, one job each",
                items.Count, _plan.ObjectName, parts.Count, _tuning.BulkMaxUploadBytes);
        foreach (var (csv, rows) in parts)
            await RunJobAsync(operation, csv, rows, results, cancellationToken);
    }

    private async Task RunJobAsync(RecordOperation operation, byte[] csv, RowIndex rows, RecordResult?[] results, CancellationToken cancellationToken)
    {
        var jobId = await CreateAndUploadAsync(operation, csv, cancellationToken);
        _log.LogInformation("Salesforce Bulk API job {JobId}: {Operation} of {Count} {Object} records", jobId, OperationName(operation), rows.Count, _plan.ObjectName);
        await CloseAsync(jobId, cancellationToken);
        var info = await WaitAsync(jobId, rows.Count, cancellationToken);

        var outcome = new JobOutcome(jobId, info.State ?? "unknown", _api.Safe(info.ErrorMessage));
        // Each result list costs a call; a completed job's counters say which lists have rows.
        var complete = info.State == "JobComplete";
        if (!complete || info.NumberRecordsProcessed > info.NumberRecordsFailed)
            Map(await ResultsAsync(jobId, "successfulResults/", cancellationToken), rows, operation, results, ResultKind.Success, outcome);
        if (!complete || info.NumberRecordsFailed > 0)
            Map(await ResultsAsync(jobId, "failedResults/", cancellationToken), rows, operation, results, ResultKind.Failed, outcome);
        if (rows.Unanswered > 0)
            Map(await ResultsAsync(jobId, "unprocessedrecords/", cancellationToken), rows, operation, results, ResultKind.Unprocessed, outcome);
        if (rows.Unanswered > 0)
            _log.LogWarning("Salesforce Bulk API job {JobId} gave no result for {Count} rows", jobId, rows.Unanswered);
    }

    /// <summary>
    /// The CSV of the items, in parts of at most <see cref="SalesforceTuning.BulkMaxUploadBytes"/>, each with its
    /// header. Cells holding CR or LF are quoted, so the job's LF line ending is true of every row end.
    /// </summary>
    private List<(byte[] Csv, RowIndex Rows)> BuildCsv(List<Item> items, OutColumn[] columns)
    {
        var parts = new List<(byte[], RowIndex)>();
        var header = new StringBuilder();
        Csv.AppendRow(header, [.. columns.Select(c => c.Name)]);
        var headerBytes = Encoding.UTF8.GetByteCount(header.ToString());
        var sb = new StringBuilder(header.ToString(), 64 * Math.Min(items.Count, 200_000) * Math.Max(1, columns.Length));
        var bytes = headerBytes;
        var rows = new RowIndex(columns, _plan);
        var line = new StringBuilder(256);
        var cells = new string[columns.Length];
        foreach (var item in items)
        {
            for (var c = 0; c < columns.Length; c++)
                cells[c] = Values.Csv(BatchPrep.ValueOf(columns[c], item), columns[c].Shape);
            line.Clear();
            Csv.AppendRow(line, cells);
            var lineBytes = Encoding.UTF8.GetByteCount(line.ToString());
            if (rows.Count > 0 && bytes + lineBytes > _tuning.BulkMaxUploadBytes)
            {
                parts.Add((Encoding.UTF8.GetBytes(sb.ToString()), rows));
                sb.Clear().Append(header);
                bytes = headerBytes;
                rows = new RowIndex(columns, _plan);
            }
            sb.Append(line);
            bytes += lineBytes;
            rows.Add(cells, item);
        }
        parts.Add((Encoding.UTF8.GetBytes(sb.ToString()), rows));
        return parts;
    }

    /// <summary>
    /// Creates a job and uploads its data. When the upload's outcome is unknown, the job is aborted and a new
    /// one made: an aborted job never processes anything, so no row is applied twice.
    /// </summary>
    private async Task<string> CreateAndUploadAsync(RecordOperation operation, byte[] csv, CancellationToken cancellationToken)
    {
        try
        {
            string? uploaded = null;
            await _api.RetryUncertainAsync($"the upload of a Bulk API {OperationName(operation)} job", async ct =>
            {
                var job = await _api.SendJsonAsync(
                    new ApiRequest(HttpMethod.Post, "jobs/ingest", $"the creation of a Bulk API {OperationName(operation)} job", JobBody(operation)),
                    SalesforceJson.Default.JobInfo, ct);
                var id = job.Id ?? throw new DeliveryException(ErrorCategory.Destination, "Salesforce created a Bulk API job without an id.");
                ApiResponse upload;
                try
                {
                    upload = await _api.SendAsync(
                        new ApiRequest(HttpMethod.Put, $"jobs/ingest/{id}/batches", $"the upload of Bulk API job {id}", csv,
                            ContentType: "text/csv", Idempotent: false), ct);
                }
                catch (AmbiguousOutcomeException)
                {
                    await AbortAsync(id, ct);
                    throw;
                }
                if (!upload.IsSuccess)
                {
                    await AbortAsync(id, ct);
                    throw _api.Fail($"the upload of Bulk API job {id}", upload);
                }
                uploaded = id;
            }, cancellationToken);
            return uploaded!;
        }
        catch (AmbiguousOutcomeException ex)
        {
            throw new DeliveryException(ErrorCategory.Connection,
                $"Salesforce did not confirm the upload of Bulk API job data after several attempts ({ex.Message}); nothing of this batch was processed. Run again later.", ex);
        }
    }

    private async Task CloseAsync(string jobId, CancellationToken cancellationToken)
    {
        var what = $"the closing of Bulk API job {jobId}";
        var response = await _api.SendAsync(new ApiRequest(HttpMethod.Patch, $"jobs/ingest/{jobId}", what, State("UploadComplete")), cancellationToken);
        if (response.IsSuccess)
            return;
        // A retried close after a lost answer finds the job already closed: that is fine.
        var info = await GetJobAsync(jobId, cancellationToken);
        if (info.State is "Open" or null)
            throw _api.Fail(what, response);
    }

    /// <summary>
    /// Polls until the job ends. Once Salesforce reports rows processed, the next poll is timed for when the rest
    /// should be done at the rate seen so far, so a large job costs a few polls, not one per backoff step.
    /// </summary>
    private async Task<JobInfo> WaitAsync(string jobId, long rowCount, CancellationToken cancellationToken)
    {
        var started = _api.Time.GetTimestamp();
        var delay = _tuning.BulkPollInitial;
        while (true)
        {
            var info = await GetJobAsync(jobId, cancellationToken);
            if (info.State is "JobComplete" or "Failed" or "Aborted")
                return info;
            var waited = _api.Time.GetElapsedTime(started);
            if (waited > _tuning.BulkJobTimeout)
                throw new DeliveryException(ErrorCategory.Timeout, Messages.BulkJobTimedOut(jobId, waited));
            var next = TimeSpan.FromTicks(Math.Min(_tuning.BulkPollMax.Ticks, (long)(delay.Ticks * 1.5)));
            if (info.NumberRecordsProcessed > 0 && info.NumberRecordsProcessed < rowCount)
            {
                var remaining = waited * ((double)(rowCount - info.NumberRecordsProcessed) / info.NumberRecordsProcessed);
                next = TimeSpan.FromTicks(Math.Clamp(remaining.Ticks, _tuning.BulkPollInitial.Ticks, _tuning.BulkPollMax.Ticks));
            }
            await Task.Delay(delay, _api.Time, cancellationToken);
            delay = next;
        }
    }

    private Task<JobInfo> GetJobAsync(string jobId, CancellationToken cancellationToken) =>
        _api.SendJsonAsync(new ApiRequest(HttpMethod.Get, $"jobs/ingest/{jobId}", $"the status of Bulk API job {jobId}"),
            SalesforceJson.Default.JobInfo, cancellationToken);

    private async Task AbortAsync(string jobId, CancellationToken cancellationToken)
    {
        try
        {
            await _api.SendAsync(new ApiRequest(HttpMethod.Patch, $"jobs/ingest/{jobId}", $"the abort of Bulk API job {jobId}", State("Aborted")), cancellationToken);
        }
        catch (DeliveryException ex)
        {
            // An open job that was never closed processes nothing; it only clutters the job list.
            _log.LogWarning("Could not abort Salesforce Bulk API job {JobId}: {Reason}", jobId, ex.Message);
        }
    }

    private async Task<List<string[]>> ResultsAsync(string jobId, string resource, CancellationToken cancellationToken)
    {
        var what = $"the {resource.TrimEnd('/')} of Bulk API job {jobId}";
        var response = await _api.SendAsync(new ApiRequest(HttpMethod.Get, $"jobs/ingest/{jobId}/{resource}", what, Accept: "text/csv"), cancellationToken);
        if (!response.IsSuccess)
            throw _api.Fail(what, response);
        return Csv.Parse(Encoding.UTF8.GetString(response.Body));
    }

    private static void Map(List<string[]> table, RowIndex rows, RecordOperation operation, RecordResult?[] results, ResultKind kind, JobOutcome job)
    {
        if (table.Count == 0)
            return;
        var header = table[0];
        var idColumn = Array.FindIndex(header, h => h == "sf__Id");
        var errorColumn = Array.FindIndex(header, h => h == "sf__Error");
        var keyColumn = rows.KeyColumnIn(header);
        for (var r = 1; r < table.Count; r++)
        {
            var row = table[r];
            if (row.Length == 1 && row[0].Length == 0)
                continue;
            string? Cell(int c) => c >= 0 && c < row.Length && row[c].Length > 0 ? row[c] : null;
            // A successful update's sf__Id is the record's Id, the same identity as the sent Id column.
            var identity = Cell(keyColumn) ?? (kind == ResultKind.Success && operation == RecordOperation.Update ? Cell(idColumn) : null);
            if (identity is null || rows.Take(identity) is not { } item)
                continue;
            var key = item.Record.Key;
            results[item.Index] = kind switch
            {
                ResultKind.Success => RecordResult.Delivered(key, Cell(idColumn) ?? item.Id),
                ResultKind.Failed => Failed(operation, key, Cell(errorColumn)),
                _ => RecordResult.Rejected(key, Messages.Unprocessed(job.Id, job.State, job.Error), "UNPROCESSED"),
            };
        }
    }

    private static RecordResult Failed(RecordOperation operation, string key, string? error)
    {
        var (code, message) = ParseError(error);
        return operation == RecordOperation.Update && BatchPrep.IsNotFoundCode(code)
            ? RecordResult.NotFound(key, $"{code}: {message}")
            : RecordResult.Rejected(key, message, code);
    }

    /// <summary>Splits <c>REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --</c> into code and message.</summary>
    internal static (string Code, string Message) ParseError(string? error)
    {
        if (string.IsNullOrWhiteSpace(error))
            return ("UNKNOWN_ERROR", "Salesforce did not save the row and gave no reason");
        var text = error.Trim();
        if (text.EndsWith("--", StringComparison.Ordinal))
            text = text[..^2].TrimEnd();
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var code = colon > 0 && text[..colon].All(c => char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c) || c == '_') ? text[..colon] : "UNKNOWN_ERROR";
        var message = code == "UNKNOWN_ERROR" ? text : text[(colon + 1)..];
        // A trailing ":Field1,Field2" lists the fields; the message already names them.
        var last = message.LastIndexOf(':');
        if (last > 0 && message[(last + 1)..].All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or ',' or '.'))
            message = message[..last];
        return (code, message.Trim());
    }

    private ReadOnlyMemory<byte> JobBody(RecordOperation operation)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("object", _plan.ObjectName);
            json.WriteString("operation", OperationName(operation));
            if (operation == RecordOperation.Upsert)
                json.WriteString("externalIdFieldName", _plan.MatchField!.Name);
            json.WriteString("contentType", "CSV");
            json.WriteString("lineEnding", "LF");
            json.WriteString("columnDelimiter", "COMMA");
            json.WriteEndObject();
        }
        return buffer.WrittenMemory;
    }

    private static ReadOnlyMemory<byte> State(string state) => Encoding.UTF8.GetBytes($"{{\"state\":\"{state}\"}}");

    private static string OperationName(RecordOperation operation) => operation switch
    {
        RecordOperation.Create => "insert",
        RecordOperation.Update => "update",
        _ => "upsert",
    };

    private enum ResultKind
    {
        Success,
        Failed,
        Unprocessed,
    }

    private sealed record JobOutcome(string Id, string State, string? Error);

    /// <summary>
    /// Finds the row a result line belongs to by its identity: the Id column for updates, the match column for
    /// upserts and inserts, compared as Salesforce compares them (numbers by value, Ids by their 15-character form,
    /// text as the field does), never by the other cells, which Salesforce may render differently.
    /// </summary>
    private sealed class RowIndex(OutColumn[] columns, WritePlan plan)
    {
        private readonly int _keyColumn = Array.FindIndex(columns, c => c.Source is ColumnSource.RecordId or ColumnSource.Match or ColumnSource.MatchWhenNew);
        private readonly Dictionary<string, Item> _byIdentity = new(StringComparer.Ordinal);
        private int _answered;

        public int Count { get; private set; }

        public int Unanswered => Count - _answered;

        public void Add(string[] cells, Item item)
        {
            Count++;
            if (_keyColumn >= 0 && cells[_keyColumn] is { Length: > 0 } cell && cell != Values.CsvNull)
                _byIdentity.TryAdd(Identity(cell), item);
        }

        public int KeyColumnIn(string[] header) =>
            _keyColumn < 0 ? -1 : Array.FindIndex(header, h => string.Equals(h, columns[_keyColumn].Name, StringComparison.OrdinalIgnoreCase));

        public Item? Take(string cell)
        {
            if (!_byIdentity.Remove(Identity(cell), out var item))
                return null;
            _answered++;
            return item;
        }

        private string Identity(string cell)
        {
            if (columns[_keyColumn].Source == ColumnSource.RecordId)
                return cell.Length >= 15 ? cell[..15] : cell;
            return RunMatches.Identity(cell, plan);
        }
    }
}

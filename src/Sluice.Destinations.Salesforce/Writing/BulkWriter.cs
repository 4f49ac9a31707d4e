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
/// Writes through Bulk API 2.0: one ingest job per operation per batch (CSV upload, close, poll with backoff),
/// then maps the successful, failed and unprocessed results back to keys by the rows' content, since Salesforce
/// does not keep the input order.
/// </summary>
internal sealed class BulkWriter : IDestinationWriter
{
    private const char Separator = '\u001f';

    private readonly SalesforceApi _api;
    private readonly WritePlan _plan;
    private readonly SalesforceTuning _tuning;
    private readonly RecordLookup _lookup;
    private readonly PendingJobs _pendingJobs;
    private readonly ILogger _log;

    public BulkWriter(SalesforceApi api, WritePlan plan, SalesforceTuning tuning, ILogger log)
    {
        _api = api;
        _plan = plan;
        _tuning = tuning;
        _log = log;
        _lookup = new RecordLookup(api, plan, tuning);
        _pendingJobs = new PendingJobs(api, plan, tuning, log);
    }

    public int BatchSize => _tuning.BulkBatchSize;

    public int MaxConcurrency => _tuning.BulkConcurrency;

    public async Task<IReadOnlyList<RecordResult>> WriteAsync(DeliveryBatch batch, CancellationToken cancellationToken)
    {
        var results = new RecordResult?[batch.Records.Count];
        var prepared = await BatchPrep.PrepareAsync(batch, results, _plan, _lookup, cancellationToken);
        var jobs = new List<Task>();
        if (prepared.Creates.Count > 0)
            jobs.Add(RunJobAsync(RecordOperation.Create, prepared.Creates, _plan.ColumnsFor(RecordOperation.Create, batch.Fields), results, cancellationToken));
        if (prepared.Updates.Count > 0)
            jobs.Add(RunJobAsync(RecordOperation.Update, prepared.Updates, _plan.ColumnsFor(RecordOperation.Update, batch.Fields), results, cancellationToken));
        if (prepared.Upserts.Count > 0)
            jobs.Add(RunJobAsync(RecordOperation.Upsert, prepared.Upserts, _plan.ColumnsFor(RecordOperation.Upsert, batch.Fields), results, cancellationToken));
        await Task.WhenAll(jobs);
        return BatchPrep.Complete(batch, results, "Bulk API job");
    }

    public async Task<IReadOnlyList<RecordResult>> ReconcileAsync(DeliveryBatch batch, CancellationToken cancellationToken) =>
        await Reconcile.RunAsync(batch, _lookup, _pendingJobs, cancellationToken);

    public Task SettleInFlightAsync(CancellationToken cancellationToken) => _pendingJobs.SettleAsync(cancellationToken);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task RunJobAsync(RecordOperation operation, List<Item> items, OutColumn[] columns, RecordResult?[] results, CancellationToken cancellationToken)
    {
        var rows = new RowIndex(columns);
        var csv = BuildCsv(items, columns, rows);
        var jobId = await CreateAndUploadAsync(operation, csv, cancellationToken);
        _log.LogInformation("Salesforce Bulk API job {JobId}: {Operation} of {Count} {Object} records", jobId, OperationName(operation), items.Count, _plan.ObjectName);
        await CloseAsync(jobId, cancellationToken);
        var info = await WaitAsync(jobId, cancellationToken);

        var outcome = new JobOutcome(jobId, info.State ?? "unknown", _api.Safe(info.ErrorMessage));
        Map(await ResultsAsync(jobId, "successfulResults/", cancellationToken), rows, operation, results, ResultKind.Success, outcome);
        Map(await ResultsAsync(jobId, "failedResults/", cancellationToken), rows, operation, results, ResultKind.Failed, outcome);
        if (rows.Unanswered > 0)
            Map(await ResultsAsync(jobId, "unprocessedrecords/", cancellationToken), rows, operation, results, ResultKind.Unprocessed, outcome);
        if (rows.Unanswered > 0)
            _log.LogWarning("Salesforce Bulk API job {JobId} gave no result for {Count} rows", jobId, rows.Unanswered);
    }

    private byte[] BuildCsv(List<Item> items, OutColumn[] columns, RowIndex rows)
    {
        var sb = new StringBuilder(64 * items.Count * Math.Max(1, columns.Length));
        Csv.AppendRow(sb, [.. columns.Select(c => c.Name)]);
        var cells = new string[columns.Length];
        foreach (var item in items)
        {
            for (var c = 0; c < columns.Length; c++)
                cells[c] = Values.Csv(BatchPrep.ValueOf(columns[c], item), columns[c].Shape);
            Csv.AppendRow(sb, cells);
            rows.Add(cells, item);
        }
        return Encoding.UTF8.GetBytes(sb.ToString());
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

    private async Task<JobInfo> WaitAsync(string jobId, CancellationToken cancellationToken)
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
            await Task.Delay(delay, _api.Time, cancellationToken);
            delay = TimeSpan.FromTicks(Math.Min(_tuning.BulkPollMax.Ticks, (long)(delay.Ticks * 1.5)));
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
        var positions = rows.PositionsIn(header);
        for (var r = 1; r < table.Count; r++)
        {
            var row = table[r];
            if (row.Length == 1 && row[0].Length == 0)
                continue;
            if (rows.Take(row, positions) is not { } item)
                continue;
            var key = item.Record.Key;
            string? Cell(int c) => c >= 0 && c < row.Length && row[c].Length > 0 ? row[c] : null;
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
    /// Finds the row a result line belongs to: by the full content of the sent columns (identical rows are
    /// interchangeable), else by the first column (Id, external id or match value).
    /// </summary>
    private sealed class RowIndex(OutColumn[] columns)
    {
        private readonly Dictionary<string, Queue<Item>> _byContent = new(StringComparer.Ordinal);
        private readonly Dictionary<string, Queue<Item>> _byFirst = new(StringComparer.OrdinalIgnoreCase);
        private readonly HashSet<int> _answered = [];
        private int _count;

        public int Unanswered => _count - _answered.Count;

        public void Add(string[] cells, Item item)
        {
            Enqueue(_byContent, string.Join(Separator, cells), item);
            if (cells.Length > 0)
                Enqueue(_byFirst, cells[0], item);
            _count++;
        }

        public int[] PositionsIn(string[] header) =>
            [.. columns.Select(c => Array.FindIndex(header, h => string.Equals(h, c.Name, StringComparison.OrdinalIgnoreCase)))];

        public Item? Take(string[] row, int[] positions)
        {
            var cells = positions.Select(p => p >= 0 && p < row.Length ? row[p] : "").ToArray();
            // Only an Id or external id identifies a row on its own; an insert's first column may not.
            var firstIsKey = columns.Length > 0 && columns[0].Source != ColumnSource.Value;
            return Dequeue(_byContent, string.Join(Separator, cells))
                ?? (firstIsKey && cells[0].Length > 0 && cells[0] != Values.CsvNull ? Dequeue(_byFirst, cells[0]) : null);
        }

        private Item? Dequeue(Dictionary<string, Queue<Item>> index, string key)
        {
            if (!index.TryGetValue(key, out var queue))
                return null;
            while (queue.TryDequeue(out var item))
            {
                if (_answered.Add(item.Index))
                    return item;
            }
            return null;
        }

        private static void Enqueue(Dictionary<string, Queue<Item>> index, string key, Item item)
        {
            if (!index.TryGetValue(key, out var queue))
                index[key] = queue = new Queue<Item>();
            queue.Enqueue(item);
        }
    }
}

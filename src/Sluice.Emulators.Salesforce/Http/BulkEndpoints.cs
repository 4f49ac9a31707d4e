using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Sluice.Emulators.Salesforce.Bulk;
using Sluice.Emulators.Salesforce.Store;

namespace Sluice.Emulators.Salesforce.Http;

/// <summary>Bulk API 2.0 ingest: create, upload once, close or abort, poll, results, delete.</summary>
internal static class BulkEndpoints
{
    private static readonly string[] Operations = ["insert", "update", "upsert", "delete", "hardDelete"];
    private static readonly string[] Delimiters = ["COMMA", "TAB", "PIPE", "SEMICOLON", "CARET", "BACKQUOTE"];

    public static void Map(WebApplication app, SfState state)
    {
        var p = Routes.Data + "/jobs/ingest";
        app.MapPost(p, (HttpContext c) => CreateAsync(c, state));
        app.MapGet(p, (HttpContext c) => ListAsync(c, state));
        app.MapGet(p + "/{jobId}", (HttpContext c) => WithJob(c, state, j => InfoAsync(c, state, j, poll: true)));
        app.MapMethods(p + "/{jobId}", ["PATCH"], (HttpContext c) => WithJob(c, state, j => PatchAsync(c, state, j)));
        app.MapDelete(p + "/{jobId}", (HttpContext c) => WithJob(c, state, j => DeleteAsync(c, state, j)));
        app.MapPut(p + "/{jobId}/batches", (HttpContext c) => WithJob(c, state, j => UploadAsync(c, j)));
        app.MapGet(p + "/{jobId}/successfulResults", (HttpContext c) => WithJob(c, state, j => CsvAsync(c, j, BulkJobs.SuccessCsv)));
        app.MapGet(p + "/{jobId}/failedResults", (HttpContext c) => WithJob(c, state, j => CsvAsync(c, j, BulkJobs.FailureCsv)));
        app.MapGet(p + "/{jobId}/unprocessedrecords", (HttpContext c) => WithJob(c, state, j => CsvAsync(c, j, BulkJobs.UnprocessedCsv)));
    }

    private static Task WithJob(HttpContext context, SfState state, Func<BulkJob, Task> handler)
    {
        if (!state.Bulk.TryGet((string)context.Request.RouteValues["jobId"]!, out var job))
            return JsonOut.ErrorAsync(context, Errors.NotFound);
        state.Bulk.Settle(job);
        return handler(job);
    }

    private static async Task CreateAsync(HttpContext context, SfState state)
    {
        using var doc = await Routes.ReadJsonAsync(context);
        if (doc is null)
            return;
        var root = doc.RootElement;
        string? Text(string name) =>
            root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

        var objectName = Text("object");
        var operation = Text("operation");
        var contentType = Text("contentType") ?? "CSV";
        var delimiter = Text("columnDelimiter") ?? "COMMA";
        var lineEnding = Text("lineEnding") ?? "LF";
        var externalId = Text("externalIdFieldName");
        if (objectName is null || !state.Catalog.TryGet(objectName, out var schema))
        {
            await JsonOut.ErrorAsync(context, new ApiError(400, "INVALIDENTITY", $"Entity '{objectName}' is not supported by the Bulk API."));
            return;
        }
        if (operation is null || !Operations.Contains(operation))
        {
            await JsonOut.ErrorAsync(context, new ApiError(400, "INVALIDJOB", $"InvalidJob : Invalid operation: {operation}"));
            return;
        }
        if (contentType != "CSV" || !Delimiters.Contains(delimiter) || lineEnding is not ("LF" or "CRLF"))
        {
            await JsonOut.ErrorAsync(context, new ApiError(400, "INVALIDJOB", "InvalidJob : Invalid contentType, columnDelimiter or lineEnding"));
            return;
        }
        if (operation == "upsert")
        {
            if (externalId is null || !schema.FieldsByName.TryGetValue(externalId, out var field) || !SObjectEndpoints.IsUpsertKey(field))
            {
                await JsonOut.ErrorAsync(context, new ApiError(400, "INVALIDJOB",
                    externalId is null ? "InvalidJob : External ID was blank for " + schema.Name + ". An External ID must be specified for upsert."
                        : $"InvalidJob : Field name provided, {externalId} is not an External ID or indexed field for {schema.Name}"));
                return;
            }
            externalId = field.Name;
        }
        var job = state.Bulk.Create(schema, operation, operation == "upsert" ? externalId : null, delimiter, lineEnding, Routes.Version(context));
        await InfoAsync(context, state, job, poll: false);
    }

    /// <summary>
    /// Get All Jobs: filtered by <c>jobType</c>, <c>isPkChunkingEnabled</c> and <c>concurrencyMode</c>, at most
    /// <see cref="SalesforceEmulatorOptions.JobListPageSize"/> jobs a page, the rest behind <c>nextRecordsUrl</c>
    /// (<c>?queryLocator=</c>).
    /// </summary>
    private static Task ListAsync(HttpContext context, SfState state)
    {
        var query = context.Request.Query;
        var jobType = query["jobType"].ToString();
        var pkChunking = query["isPkChunkingEnabled"].ToString();
        var concurrency = query["concurrencyMode"].ToString();
        var locator = query["queryLocator"].ToString();
        var offset = 0;
        if (locator.Length > 0 && !TryReadLocator(locator, out offset))
            return JsonOut.ErrorAsync(context, new ApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator"));
        if (jobType.Length > 0 && jobType is not ("V2Ingest" or "Classic" or "BigObjectIngest"))
            return JsonOut.ErrorAsync(context, new ApiError(400, "INVALIDJOB", $"InvalidJob : Invalid jobType: {jobType}"));
        // Every emulated job is a Bulk API 2.0 ingest job, parallel, without PK chunking.
        var matches = (jobType.Length == 0 || jobType == "V2Ingest")
            && !string.Equals(pkChunking, "true", StringComparison.OrdinalIgnoreCase)
            && (concurrency.Length == 0 || string.Equals(concurrency, "Parallel", StringComparison.OrdinalIgnoreCase));
        var jobs = matches ? state.Bulk.All.ToList() : [];
        foreach (var job in jobs)
            state.Bulk.Settle(job);
        var size = state.Options.JobListPageSize;
        var page = jobs.Skip(offset).Take(size).ToList();
        var done = offset + page.Count >= jobs.Count;
        return JsonOut.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("done", done);
            w.WritePropertyName("records");
            w.WriteStartArray();
            foreach (var job in page)
            {
                lock (job.Gate)
                    WriteInfo(w, job, job.State, full: false, jobType: true);
            }
            w.WriteEndArray();
            if (done)
                w.WriteNull("nextRecordsUrl");
            else
                w.WriteString("nextRecordsUrl", $"/services/data/v{Routes.Version(context)}/jobs/ingest?queryLocator={WriteLocator(offset + page.Count)}");
            w.WriteEndObject();
        });
    }

    private static string WriteLocator(int offset) =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes("jobs-" + offset.ToString(CultureInfo.InvariantCulture))).TrimEnd('=');

    private static bool TryReadLocator(string locator, out int offset)
    {
        offset = 0;
        try
        {
            var padded = locator + new string('=', (4 - locator.Length % 4) % 4);
            var text = Encoding.ASCII.GetString(Convert.FromBase64String(padded));
            return text.StartsWith("jobs-", StringComparison.Ordinal)
                && int.TryParse(text.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out offset);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static Task InfoAsync(HttpContext context, SfState state, BulkJob job, bool poll)
    {
        string shown;
        lock (job.Gate)
        {
            shown = job.State;
            // A processed job shows InProgress to its first pollers, as a real job does while it runs.
            if (poll && job.State is "JobComplete" or "Failed" && job.PollsBeforeDone > 0)
            {
                job.PollsBeforeDone--;
                shown = "InProgress";
            }
        }
        return JsonOut.WriteAsync(context, 200, w =>
        {
            lock (job.Gate)
                WriteInfo(w, job, shown, full: poll);
        });
    }

    private static void WriteInfo(Utf8JsonWriter w, BulkJob job, string shownState, bool full, bool jobType = false)
    {
        w.WriteStartObject();
        w.WriteString("id", job.Id);
        w.WriteString("operation", job.Operation);
        w.WriteString("object", job.Schema.Name);
        w.WriteString("createdById", OrgStore.UserId);
        w.WriteString("createdDate", job.CreatedDate);
        w.WriteString("systemModstamp", job.SystemModstamp);
        w.WriteString("state", shownState);
        if (job.ExternalIdFieldName is not null)
            w.WriteString("externalIdFieldName", job.ExternalIdFieldName);
        w.WriteString("concurrencyMode", "Parallel");
        w.WriteString("contentType", "CSV");
        w.WriteNumber("apiVersion", decimal.Parse(job.ApiVersion, CultureInfo.InvariantCulture));
        if (shownState == "Open")
            w.WriteString("contentUrl", $"services/data/v{job.ApiVersion}/jobs/ingest/{job.Id}/batches");
        w.WriteString("lineEnding", job.LineEnding);
        w.WriteString("columnDelimiter", job.ColumnDelimiter);
        if (jobType)
            w.WriteString("jobType", "V2Ingest");
        if (full)
        {
            var done = shownState is "JobComplete" or "Failed";
            w.WriteString("jobType", "V2Ingest");
            w.WriteNumber("numberRecordsProcessed", done ? job.Processed : 0);
            w.WriteNumber("numberRecordsFailed", done ? job.Failed : 0);
            w.WriteNumber("retries", 0);
            w.WriteNumber("totalProcessingTime", done ? job.ProcessingMillis : 0);
            w.WriteNumber("apiActiveProcessingTime", done ? job.ProcessingMillis : 0);
            w.WriteNumber("apexProcessingTime", 0);
            if (shownState == "Failed" && job.ErrorMessage is not null)
                w.WriteString("errorMessage", job.ErrorMessage);
        }
        w.WriteEndObject();
    }

    private static async Task UploadAsync(HttpContext context, BulkJob job)
    {
        // Read first: a refused upload must still drain the body.
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var text = await reader.ReadToEndAsync(context.RequestAborted);
        string? refusal;
        lock (job.Gate)
        {
            refusal = job.State != "Open"
                ? $"Job is in {job.State} state; data can only be uploaded to an Open job."
                : job.Data is not null
                    ? $"Found multiple contents for job: <{job.Id}>, please 'Close' / 'Abort' / 'Delete' the current Job then create a new Job and make sure you only do 'PUT' once on a given Job."
                    : null;
            if (refusal is null)
                job.Data = text;
        }
        if (refusal is not null)
        {
            await JsonOut.ErrorAsync(context, new ApiError(409, "INVALIDJOBSTATE", refusal));
            return;
        }
        context.Response.StatusCode = 201;
    }

    private static async Task PatchAsync(HttpContext context, SfState state, BulkJob job)
    {
        using var doc = await Routes.ReadJsonAsync(context);
        if (doc is null)
            return;
        var wanted = doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("state", out var s) && s.ValueKind == JsonValueKind.String
            ? s.GetString()
            : null;
        lock (job.Gate)
        {
            if (wanted is not ("UploadComplete" or "Aborted"))
            {
                job = null!;
            }
            else if (job.State != "Open" && !(wanted == "Aborted" && (job.State == "UploadComplete" || job.ProcessAt is not null)))
            {
                wanted = null;
            }
            else if (wanted == "Aborted")
            {
                // A job held InProgress by the bulkJobDelay fault has applied nothing yet: aborting it applies nothing.
                BulkJobs.CancelHeld(job);
                job.State = "Aborted";
                if (job.Data is not null && Csv.TryParse(job.Data, job.Delimiter, out var rows) && rows.Count > 0)
                {
                    job.Header = rows[0];
                    job.Unprocessed.AddRange(rows.Skip(1));
                }
            }
            else
            {
                job.State = "UploadComplete";
            }
        }
        if (job is null)
        {
            await JsonOut.ErrorAsync(context, new ApiError(400, "INVALIDJOBSTATE", "Invalid state: state must be UploadComplete or Aborted"));
            return;
        }
        if (wanted is null)
        {
            await JsonOut.ErrorAsync(context, new ApiError(409, "INVALIDJOBSTATE", $"Job is in {job.State} state and cannot be changed"));
            return;
        }
        // Answer with the state as requested, then process; pollers see InProgress before the final state.
        var shown = job.State;
        if (shown == "UploadComplete")
            state.Bulk.Enqueue(job);
        await JsonOut.WriteAsync(context, 200, w =>
        {
            lock (job.Gate)
                WriteInfo(w, job, shown, full: false);
        });
    }

    private static Task DeleteAsync(HttpContext context, SfState state, BulkJob job)
    {
        lock (job.Gate)
        {
            if (job.State is "Open" or "InProgress")
                return JsonOut.ErrorAsync(context, new ApiError(409, "INVALIDJOBSTATE", $"Job is in {job.State} state and cannot be deleted"));
        }
        state.Bulk.Remove(job.Id);
        context.Response.StatusCode = 204;
        return Task.CompletedTask;
    }

    private static async Task CsvAsync(HttpContext context, BulkJob job, Func<BulkJob, string> render)
    {
        string csv;
        lock (job.Gate)
            csv = render(job);
        var bytes = Encoding.UTF8.GetBytes(csv);
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/csv";
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
    }
}

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

    private static Task WithJob(HttpContext context, SfState state, Func<BulkJob, Task> handler) =>
        state.Bulk.TryGet((string)context.Request.RouteValues["jobId"]!, out var job)
            ? handler(job)
            : JsonOut.ErrorAsync(context, Errors.NotFound);

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

    private static Task ListAsync(HttpContext context, SfState state) =>
        JsonOut.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("done", true);
            w.WritePropertyName("records");
            w.WriteStartArray();
            foreach (var job in state.Bulk.All)
            {
                lock (job.Gate)
                    WriteInfo(w, job, job.State, full: false);
            }
            w.WriteEndArray();
            w.WriteNull("nextRecordsUrl");
            w.WriteEndObject();
        });

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

    private static void WriteInfo(Utf8JsonWriter w, BulkJob job, string shownState, bool full)
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
            else if (job.State != "Open" && !(wanted == "Aborted" && job.State == "UploadComplete"))
            {
                wanted = null;
            }
            else if (wanted == "Aborted")
            {
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
        {
            lock (job.Gate)
                state.Bulk.Process(job);
        }
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

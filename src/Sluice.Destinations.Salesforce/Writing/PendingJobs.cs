using System.Text;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Sluice.Core.Destinations;
using Sluice.Destinations.Salesforce.Http;
using Sluice.Destinations.Salesforce.Schema;

namespace Sluice.Destinations.Salesforce.Writing;

/// <summary>
/// Bulk API 2.0 ingest jobs of the sync's object that an interrupted run may have left behind, read with Get All
/// Jobs (<c>GET /jobs/ingest</c>, paged by <c>nextRecordsUrl</c>) and kept when their <c>createdById</c> is the user
/// Sluice signs in as. A closed job (<c>UploadComplete</c>, <c>InProgress</c>) will still write its records, so the
/// next run waits for it to finish before it sends or reconciles anything; a job still <c>Open</c> was never closed
/// and never will be, so it is aborted (an aborted job processes nothing).
/// </summary>
internal sealed class PendingJobs(SalesforceApi api, WritePlan plan, SalesforceTuning tuning, ILogger log)
{
    /// <summary>Returns once no job of the object is running; throws a Timeout DeliveryException after <see cref="SalesforceTuning.BulkJobTimeout"/>.</summary>
    public async Task SettleAsync(CancellationToken cancellationToken)
    {
        var started = api.Time.GetTimestamp();
        var delay = tuning.BulkPollInitial;
        var aborted = new HashSet<string>(StringComparer.Ordinal);
        var userId = await api.UserIdAsync(cancellationToken);
        var logged = false;
        while (true)
        {
            var jobs = await ListAsync(userId, cancellationToken);
            // An Open job never runs, so it is only cleaned up, and only when it is surely Sluice's user's own.
            foreach (var open in jobs.Where(j => userId is not null && j.State == "Open" && aborted.Add(j.Id!)))
                await AbortAsync(open.Id!, cancellationToken);
            var running = jobs.Where(j => j.State is "UploadComplete" or "InProgress").Select(j => j.Id!).ToList();
            if (running.Count == 0)
                return;
            var waited = api.Time.GetElapsedTime(started);
            if (waited > tuning.BulkJobTimeout)
                throw new DeliveryException(ErrorCategory.Timeout,
                    $"Salesforce Bulk API jobs on {plan.ObjectName} ({string.Join(", ", running)}) were still running after {waited.TotalMinutes:0} minutes, "
                    + "so the rows of the interrupted run cannot be checked yet (they could be created twice). Run again once the jobs are finished; "
                    + "see Setup > Bulk Data Load Jobs.");
            if (!logged)
            {
                log.LogInformation("Waiting for {Count} Salesforce Bulk API jobs on {Object} ({Jobs}) to finish before checking which rows of the interrupted run exist",
                    running.Count, plan.ObjectName, string.Join(", ", running));
                logged = true;
            }
            await Task.Delay(delay, api.Time, cancellationToken);
            delay = TimeSpan.FromTicks(Math.Min(tuning.BulkPollMax.Ticks, (long)(delay.Ticks * 1.5)));
        }
    }

    /// <summary>
    /// The jobs of the object created by the user Sluice signs in as (another tool's jobs are none of its business);
    /// every job of the object when Salesforce doesn't say who that user is.
    /// </summary>
    private async Task<List<IngestJobSummary>> ListAsync(string? userId, CancellationToken cancellationToken)
    {
        var jobs = new List<IngestJobSummary>();
        string? path = "jobs/ingest?jobType=V2Ingest";
        while (path is not null)
        {
            var page = await api.SendJsonAsync(
                new ApiRequest(HttpMethod.Get, path, $"the list of Bulk API jobs (to find those on {plan.ObjectName})"),
                IngestJobListJson.Default.IngestJobList, cancellationToken);
            jobs.AddRange((page.Records ?? []).Where(j =>
                j.Id is { Length: > 0 } && string.Equals(j.Object, plan.ObjectName, StringComparison.OrdinalIgnoreCase)
                && (userId is null || (j.CreatedById is { } by && RecordLookup.SameId(by, userId)))));
            path = page.Done || string.IsNullOrEmpty(page.NextRecordsUrl) ? null : page.NextRecordsUrl;
        }
        return jobs;
    }

    private async Task AbortAsync(string jobId, CancellationToken cancellationToken)
    {
        var response = await api.SendAsync(
            new ApiRequest(HttpMethod.Patch, $"jobs/ingest/{jobId}", $"the abort of Bulk API job {jobId}", Encoding.UTF8.GetBytes("{\"state\":\"Aborted\"}")),
            cancellationToken);
        if (response.IsSuccess)
            log.LogInformation("Aborted Salesforce Bulk API job {JobId} on {Object}: an interrupted run created it and never closed it", jobId, plan.ObjectName);
        else
            // Closed in the meantime (it is then waited for) or already gone: either way nothing to undo.
            log.LogInformation("Salesforce Bulk API job {JobId} on {Object} could not be aborted ({Status} {Code})", jobId, plan.ObjectName, response.Status, response.ErrorCode);
    }
}

/// <summary>One page of Get All Jobs: <c>{"done","records":[JobInfo],"nextRecordsUrl"}</c>.</summary>
internal sealed class IngestJobList
{
    [JsonPropertyName("done")] public bool Done { get; init; } = true;
    [JsonPropertyName("records")] public IngestJobSummary[]? Records { get; init; }
    [JsonPropertyName("nextRecordsUrl")] public string? NextRecordsUrl { get; init; }
}

/// <summary>The JobInfo fields reconciliation needs.</summary>
internal sealed class IngestJobSummary
{
    [JsonPropertyName("id")] public string? Id { get; init; }
    [JsonPropertyName("object")] public string? Object { get; init; }
    [JsonPropertyName("state")] public string? State { get; init; }
    [JsonPropertyName("createdById")] public string? CreatedById { get; init; }
}

[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(IngestJobList))]
internal sealed partial class IngestJobListJson : JsonSerializerContext;

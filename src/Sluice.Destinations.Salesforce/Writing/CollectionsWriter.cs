using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Sluice.Core.Destinations;
using Sluice.Destinations.Salesforce.Formats;
using Sluice.Destinations.Salesforce.Http;
using Sluice.Destinations.Salesforce.Schema;

namespace Sluice.Destinations.Salesforce.Writing;

/// <summary>
/// Writes through sObject Collections: up to 200 records per call, several calls at once. Creates whose outcome
/// is unknown (dropped connection, 5xx) are looked up by match value before anything is sent again.
/// </summary>
internal sealed class CollectionsWriter : IDestinationWriter
{
    public const int MaxPerRequest = 200;

    private readonly SalesforceApi _api;
    private readonly WritePlan _plan;
    private readonly SalesforceTuning _tuning;
    private readonly RecordLookup _lookup;
    private readonly PendingJobs _pendingJobs;
    private readonly RunMatches _matches = new();
    private readonly ILogger _log;

    public CollectionsWriter(SalesforceApi api, WritePlan plan, SalesforceTuning tuning, ILogger log)
    {
        _api = api;
        _plan = plan;
        _tuning = tuning;
        _log = log;
        _lookup = new RecordLookup(api, plan, tuning);
        _pendingJobs = new PendingJobs(api, plan, tuning, log);
    }

    public int BatchSize => _tuning.CollectionsBatchSize;

    public int MaxConcurrency => _tuning.CollectionsConcurrency;

    public async Task<IReadOnlyList<RecordResult>> WriteAsync(DeliveryBatch batch, CancellationToken cancellationToken)
    {
        var results = new RecordResult?[batch.Records.Count];
        var prepared = await BatchPrep.PrepareAsync(batch, results, _plan, _lookup, _matches, cancellationToken);
        var calls = new List<Task>();
        foreach (var chunk in prepared.Creates.Chunk(MaxPerRequest))
            calls.Add(CreateAsync(chunk, _plan.ColumnsFor(RecordOperation.Create, batch.Fields), results, cancellationToken));
        foreach (var chunk in prepared.Updates.Chunk(MaxPerRequest))
            calls.Add(SendAsync(RecordOperation.Update, chunk, _plan.ColumnsFor(RecordOperation.Update, batch.Fields), results, cancellationToken));
        foreach (var chunk in prepared.Upserts.Chunk(MaxPerRequest))
            calls.Add(SendAsync(RecordOperation.Upsert, chunk, _plan.ColumnsFor(RecordOperation.Upsert, batch.Fields), results, cancellationToken));
        await Task.WhenAll(calls);
        return BatchPrep.Complete(batch, results, "sObject Collections");
    }

    public async Task<IReadOnlyList<RecordResult>> ReconcileAsync(DeliveryBatch batch, CancellationToken cancellationToken) =>
        await Reconcile.RunAsync(batch, _lookup, _pendingJobs, cancellationToken);

    public Task SettleInFlightAsync(CancellationToken cancellationToken) => _pendingJobs.SettleAsync(cancellationToken);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>Creates records through Collections, 200 a call, several at once (Bulk sends rows it cannot identify in results this way).</summary>
    internal Task CreateAllAsync(IReadOnlyList<Item> items, OutColumn[] columns, RecordResult?[] results, CancellationToken cancellationToken) =>
        Task.WhenAll(items.Chunk(MaxPerRequest).Select(chunk => CreateAsync(chunk, columns, results, cancellationToken)));

    private async Task CreateAsync(Item[] chunk, OutColumn[] columns, RecordResult?[] results, CancellationToken cancellationToken)
    {
        IReadOnlyList<Item> pending = chunk;
        var uncertain = false;
        try
        {
            await _api.RetryUncertainAsync($"the creation of {chunk.Length} {_plan.ObjectName} records", async ct =>
            {
                if (uncertain)
                {
                    // The last attempt may have created some of them: find those before sending the rest again.
                    var created = await _lookup.FindCreatedAsync([.. pending.Select(p => (p.Index, p.Record))], ct);
                    foreach (var (index, id) in created)
                        results[index] = RecordResult.Delivered(pending.First(p => p.Index == index).Record.Key, id);
                    pending = [.. pending.Where(p => !created.ContainsKey(p.Index))];
                    if (pending.Count == 0)
                        return;
                }
                uncertain = true;
                await SendAsync(RecordOperation.Create, pending, columns, results, ct);
                uncertain = false;
            }, cancellationToken);
        }
        catch (AmbiguousOutcomeException ex)
        {
            throw new DeliveryException(ErrorCategory.Connection,
                $"Salesforce did not answer the creation of {_plan.ObjectName} records after several attempts ({ex.Message}). "
                + "Records whose creation is not confirmed are looked up by their match value on the next run before being sent again.", ex);
        }
    }

    private async Task SendAsync(RecordOperation operation, IReadOnlyList<Item> items, OutColumn[] columns, RecordResult?[] results, CancellationToken cancellationToken)
    {
        var body = Body(items, columns, operation);
        var request = operation switch
        {
            RecordOperation.Create => new ApiRequest(HttpMethod.Post, "composite/sobjects",
                $"the creation of {items.Count} {_plan.ObjectName} records", body, Idempotent: false),
            RecordOperation.Update => new ApiRequest(HttpMethod.Patch, "composite/sobjects",
                $"the update of {items.Count} {_plan.ObjectName} records", body),
            _ => new ApiRequest(HttpMethod.Patch, $"composite/sobjects/{_plan.ObjectName}/{_plan.MatchField!.Name}",
                $"the upsert of {items.Count} {_plan.ObjectName} records by {_plan.MatchField!.Name}", body),
        };
        var response = await _api.SendAsync(request, cancellationToken);
        if (response.Status == 404)
            throw _api.Fail(request.What, response);
        if (!response.IsSuccess)
        {
            // A request-level refusal (bad field, bad JSON...): every record of the call gets the service's reason.
            var reason = _api.Safe(response.ErrorMessage) is { Length: > 0 } m ? m : $"HTTP {response.Status}";
            _log.LogWarning("Salesforce refused {What}: {Code} {Reason}", request.What, response.ErrorCode, reason);
            foreach (var item in items)
                results[item.Index] = RecordResult.Rejected(item.Record.Key, reason, response.ErrorCode ?? $"HTTP_{response.Status}");
            return;
        }
        var saves = _api.Parse(response, SalesforceJson.Default.SaveResultArray, request.What);
        if (saves.Length != items.Count)
            throw new DeliveryException(ErrorCategory.Destination,
                $"Salesforce answered {request.What} with {saves.Length} results for {items.Count} records; nothing of this call is recorded as delivered.");
        for (var i = 0; i < items.Count; i++)
            results[items[i].Index] = ResultOf(operation, items[i], saves[i]);
    }

    internal static RecordResult ResultOf(RecordOperation operation, Item item, SaveResult save)
    {
        if (save.Success)
            return RecordResult.Delivered(item.Record.Key, save.Id ?? item.Id);
        var errors = save.Errors ?? [];
        var code = errors.FirstOrDefault()?.StatusCode ?? "UNKNOWN_ERROR";
        var reason = errors.Length == 0 ? "Salesforce did not save the record and gave no reason" : string.Join("; ", errors.Select(e => e.Message));
        return operation == RecordOperation.Update && BatchPrep.IsNotFoundCode(code)
            ? RecordResult.NotFound(item.Record.Key, $"{code}: {reason}")
            : RecordResult.Rejected(item.Record.Key, reason, code);
    }

    private ReadOnlyMemory<byte> Body(IReadOnlyList<Item> items, OutColumn[] columns, RecordOperation operation)
    {
        var buffer = new ArrayBufferWriter<byte>(256 * items.Count + 64);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteBoolean("allOrNone", false);
            json.WriteStartArray("records");
            foreach (var item in items)
            {
                json.WriteStartObject();
                json.WriteStartObject("attributes");
                json.WriteString("type", _plan.ObjectName);
                json.WriteEndObject();
                foreach (var column in columns)
                {
                    // Collections take the record id as "id" (seen accepted in recorded traffic).
                    json.WritePropertyName(column.Source == ColumnSource.RecordId ? "id" : column.Name);
                    Values.WriteJson(json, BatchPrep.ValueOf(column, item), column.Shape);
                }
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return buffer.WrittenMemory;
    }
}

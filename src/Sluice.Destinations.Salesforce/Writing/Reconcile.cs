using Sluice.Core.Destinations;

namespace Sluice.Destinations.Salesforce.Writing;

/// <summary>After a crash in an insert batch: which of its records Salesforce already has.</summary>
internal static class Reconcile
{
    /// <summary>
    /// Waits for Bulk API jobs of the object that the interrupted run may have left running (their records would
    /// otherwise appear after the lookup and be created twice), then looks the batch's creates up.
    /// </summary>
    public static async Task<IReadOnlyList<RecordResult>> RunAsync(DeliveryBatch batch, RecordLookup lookup, PendingJobs pendingJobs, CancellationToken cancellationToken)
    {
        var creates = batch.Records.Select((r, i) => (Index: i, Record: r)).Where(x => x.Record.Operation == RecordOperation.Create).ToList();
        if (creates.Count > 0)
            await pendingJobs.SettleAsync(cancellationToken);
        var created = creates.Count == 0 ? [] : await lookup.FindCreatedAsync(creates, cancellationToken);
        var results = new RecordResult[batch.Records.Count];
        for (var i = 0; i < results.Length; i++)
        {
            var key = batch.Records[i].Key;
            results[i] = created.TryGetValue(i, out var id) ? RecordResult.Delivered(key, id) : RecordResult.NotFound(key, Messages.NotCreatedBeforeCrash);
        }
        return results;
    }
}

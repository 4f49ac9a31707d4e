using Microsoft.Extensions.Logging;
using Sluice.Core.Destinations;
using Sluice.Core.State;

namespace Sluice.Engine;

/// <summary>
/// After a run died with inserts in flight: asks the destination which of them it created (telling them apart from
/// the key's earlier records by id), commits those, and settles the rest as not created. An insert the destination
/// could not answer for stays in doubt and is not sent again this run. Consulted while the run's rows are read.
/// </summary>
internal sealed class InsertSettlement
{
    private readonly Dictionary<string, (ulong Hash, string? Id)> _created = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ulong?> _notCreated = new(StringComparer.Ordinal);
    private readonly HashSet<string> _unsettled = new(StringComparer.Ordinal);

    public static async Task<InsertSettlement> SettleAsync(ISyncLedger ledger, BatchId batch, IDestinationWriter writer,
        SyncContext context, IReadOnlyList<InDoubtCreate> creates, ILogger logger, CancellationToken ct)
    {
        var settlement = new InsertSettlement();
        foreach (var chunk in creates.Chunk(Math.Max(1, writer.BatchSize)))
        {
            var records = chunk.Select(c => new DeliveryRecord(c.Key, RecordOperation.Create, c.MatchValue, [], c.DestinationId, c.KnownIds)).ToList();
            var results = await writer.ReconcileAsync(new DeliveryBatch(context.Mappings, records), ct);
            var byKey = chunk.ToDictionary(c => c.Key, StringComparer.Ordinal);
            var entries = new List<LedgerEntry>();
            var answered = new List<string>();
            foreach (var result in results)
            {
                if (!byKey.TryGetValue(result.Key, out var create) || settlement.IsSettled(result.Key))
                    continue;
                switch (result.Outcome)
                {
                    case RecordOutcome.Delivered:
                        entries.Add(new LedgerEntry(result.Key, create.Hash, result.DestinationId, Created: true));
                        settlement._created[create.Key] = (create.Hash, result.DestinationId);
                        answered.Add(result.Key);
                        break;
                    case RecordOutcome.NotFound:
                        settlement._notCreated[create.Key] = create.LedgerHash;
                        answered.Add(result.Key);
                        break;
                }
            }
            foreach (var create in chunk.Where(c => !settlement.IsSettled(c.Key)))
                settlement._unsettled.Add(create.Key);
            await ledger.SettleCreatesAsync(batch, entries, answered, ct);
        }
        if (creates.Count > 0)
        {
            logger.LogInformation("Reconciled {Count} interrupted inserts of {Sync}: {Found} had been created, {Open} still in doubt",
                creates.Count, ledger.Sync, settlement._created.Count, settlement._unsettled.Count);
        }
        return settlement;
    }

    private bool IsSettled(string key) => _created.ContainsKey(key) || _notCreated.ContainsKey(key);

    /// <summary>
    /// Whether a planned row is not to be sent: its insert is still in doubt, or the destination now holds its values
    /// (the version in doubt was created, or it wasn't and the model is back to what the ledger held: the plan,
    /// read before the settling, counted it as changed only because it was in doubt).
    /// </summary>
    public bool Skip(string key, ulong hash) =>
        _unsettled.Contains(key)
        || (_created.TryGetValue(key, out var created) && created.Hash == hash)
        || (_notCreated.TryGetValue(key, out var ledger) && ledger == hash);

    /// <summary>The record the ledger now holds for the key (the plan was read before the settling).</summary>
    public string? DestinationId(string key, string? planned) => _created.TryGetValue(key, out var c) && c.Id is not null ? c.Id : planned;

    /// <summary>The key's known records, with the one the settling just found.</summary>
    public IReadOnlyList<string> KnownIds(string key, IReadOnlyList<string> planned) =>
        _created.TryGetValue(key, out var c) && c.Id is not null ? [.. planned, c.Id] : planned;
}

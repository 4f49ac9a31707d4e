using Sluice.Core.Destinations;
using Sluice.Destinations.Salesforce.Formats;

namespace Sluice.Destinations.Salesforce.Writing;

/// <summary>One record on its way out: its place in the batch, and for updates the Salesforce Id it goes to.</summary>
internal readonly record struct Item(int Index, DeliveryRecord Record, string? Id);

/// <summary>A batch split by operation, with the records that can't be sent already answered.</summary>
internal sealed class PreparedBatch
{
    public List<Item> Creates { get; } = [];
    public List<Item> Updates { get; } = [];
    public List<Item> Upserts { get; } = [];
}

/// <summary>What both transports do before sending: validate values and find the records updates go to.</summary>
internal static class BatchPrep
{
    /// <summary>Codes that mean "this record is not there (any more)" for an update.</summary>
    public static bool IsNotFoundCode(string? code) =>
        code is "NOT_FOUND" or "ENTITY_IS_DELETED";

    public static async Task<PreparedBatch> PrepareAsync(
        DeliveryBatch batch, RecordResult?[] results, Schema.WritePlan plan, RecordLookup lookup, RunMatches matches, CancellationToken cancellationToken)
    {
        var prepared = new PreparedBatch();
        var lookups = new List<Item>();
        for (var i = 0; i < batch.Records.Count; i++)
        {
            var record = batch.Records[i];
            if (FirstBadValue(batch, record, plan) is { } bad)
            {
                results[i] = RecordResult.RefusedBeforeSending(record.Key, bad, "INVALID_VALUE");
                continue;
            }
            var noMatch = record.MatchValue is null or "";
            // Upserts and updates carry their match value to Salesforce: one value twice in a run is one record twice.
            if (!noMatch && record.Operation is RecordOperation.Upsert or RecordOperation.Update
                && matches.Claim(record, plan) is { } first)
            {
                results[i] = RecordResult.RefusedBeforeSending(record.Key,
                    Messages.DuplicateMatch(plan.MatchField?.Name ?? "Id", Values.Text(record.MatchValue!, Schema.ValueShape.Text), first), "DUPLICATE_MATCH_VALUE");
                continue;
            }
            switch (record.Operation)
            {
                case RecordOperation.Create:
                    prepared.Creates.Add(new Item(i, record, null));
                    break;
                case RecordOperation.Upsert when noMatch:
                    results[i] = RecordResult.Rejected(record.Key, Messages.NullMatchValue, "MISSING_MATCH_VALUE");
                    break;
                case RecordOperation.Upsert:
                    prepared.Upserts.Add(new Item(i, record, null));
                    break;
                case RecordOperation.Update when noMatch:
                    results[i] = RecordResult.NotFound(record.Key, Messages.NullMatchValue);
                    break;
                case RecordOperation.Update when plan.MatchIsId:
                    prepared.Updates.Add(new Item(i, record, Values.Text(record.MatchValue!, Schema.ValueShape.Text)));
                    break;
                case RecordOperation.Update:
                    lookups.Add(new Item(i, record, null));
                    break;
                default:
                    results[i] = RecordResult.Rejected(record.Key, Messages.DeleteNotSupported, "DELETE_NOT_SUPPORTED");
                    break;
            }
        }

        if (lookups.Count > 0)
        {
            var field = plan.MatchField!;
            var found = await lookup.FindAsync(lookups.Select(l => l.Record.MatchValue!), withCreatedDate: false, cancellationToken);
            foreach (var item in lookups)
            {
                var key = Values.MatchKey(item.Record.MatchValue!, field.Shape);
                if (!found.TryGetValue(key, out var records) || records.Count == 0)
                    results[item.Index] = RecordResult.NotFound(item.Record.Key,
                        $"no {plan.ObjectName} record has {field.Name} = '{key}'");
                else if (records.Count > 1)
                    results[item.Index] = RecordResult.Rejected(item.Record.Key,
                        Messages.MultipleMatches(records.Count, plan.ObjectName, field.Name, key), "MULTIPLE_MATCHES");
                else
                    prepared.Updates.Add(item with { Id = records[0].Id });
            }
        }
        return prepared;
    }

    /// <summary>The first value Salesforce could not read for its field, as a message naming column, field and type.</summary>
    private static string? FirstBadValue(DeliveryBatch batch, DeliveryRecord record, Schema.WritePlan plan)
    {
        for (var v = 0; v < record.Values.Length; v++)
        {
            if (record.Values[v] is not { } value)
                continue;
            var field = v < batch.Fields.Count ? plan.Field(batch.Fields[v].Field) : null;
            if (field is null)
            {
                if (Values.Problem(value) is { } why)
                    return Messages.InvalidValue(v < batch.Fields.Count ? batch.Fields[v].Field : $"column {v}", why);
                continue;
            }
            if (Values.Misfit(value, field) is { } misfit)
                return Messages.ValueMisfit(field, plan.ObjectName, Values.Shown(value), misfit);
        }
        if (record.MatchValue is not { } match)
            return null;
        if (plan.MatchField is { } matchField)
            return Values.Misfit(match, matchField) is { } m ? Messages.ValueMisfit(matchField, plan.ObjectName, Values.Shown(match), m) : null;
        return Values.Problem(match) is { } p ? Messages.InvalidValue("the match field", p) : null;
    }

    /// <summary>The value of one outgoing column for one record.</summary>
    public static object? ValueOf(in Schema.OutColumn column, in Item item) => column.Source switch
    {
        Schema.ColumnSource.RecordId => item.Id,
        Schema.ColumnSource.Match => item.Record.MatchValue,
        Schema.ColumnSource.MatchWhenNew => item.Record.DestinationId is null ? item.Record.MatchValue : null,
        _ => column.Index < item.Record.Values.Length ? item.Record.Values[column.Index] : null,
    };

    /// <summary>Every record gets exactly one result; a gap is a bug or a missing answer, reported as rejected.</summary>
    public static IReadOnlyList<RecordResult> Complete(DeliveryBatch batch, RecordResult?[] results, string where)
    {
        var final = new RecordResult[results.Length];
        for (var i = 0; i < results.Length; i++)
            final[i] = results[i] ?? RecordResult.Rejected(batch.Records[i].Key, Messages.NoResult(where), "NO_RESULT");
        return final;
    }
}

/// <summary>
/// The match values a writer has sent in this run, with the key that sent each first. Salesforce refuses every row of
/// a request sharing an external id (DUPLICATE_EXTERNAL_ID) or an Id ("Duplicate id specified"), and rows in separate
/// requests would silently write one record twice; so the first row in model order goes, later ones are refused.
/// </summary>
internal sealed class RunMatches
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _first = new(StringComparer.Ordinal);

    /// <summary>Null when the record is the first with its match value; else the key of the first.</summary>
    public string? Claim(DeliveryRecord record, Schema.WritePlan plan)
    {
        var key = Identity(record.MatchValue!, plan);
        var first = _first.GetOrAdd(key, record.Key);
        return first == record.Key ? null : first;
    }

    /// <summary>
    /// A match value as Salesforce compares it: numbers by value (12.50 = 12.5), Ids by their case-sensitive
    /// 15-character form, text as the field compares (case-insensitively unless the field is case-sensitive).
    /// </summary>
    public static string Identity(object value, Schema.WritePlan plan)
    {
        if (plan.MatchIsId)
        {
            var id = Values.Text(value, Schema.ValueShape.Text).Trim();
            return id.Length >= 15 ? id[..15] : id;
        }
        var field = plan.MatchField!;
        var text = Values.MatchKey(value, field.Shape);
        return field.Shape == Schema.ValueShape.Text && !ReferenceEquals(plan.MatchComparer, StringComparer.Ordinal)
            ? text.ToUpperInvariant()
            : text;
    }
}


using System.Text;
using System.Text.Json;
using Sluice.Core.Destinations;
using Sluice.Destinations.Salesforce.Formats;
using Sluice.Destinations.Salesforce.Http;
using Sluice.Destinations.Salesforce.Schema;

namespace Sluice.Destinations.Salesforce.Writing;

/// <summary>A record found by its match value.</summary>
internal readonly record struct FoundRecord(string Id, string? CreatedDate);

/// <summary>Finds Salesforce records by match value with SOQL <c>WHERE Field IN (...)</c>, in URL-sized chunks.</summary>
internal sealed class RecordLookup(SalesforceApi api, WritePlan plan, SalesforceTuning tuning)
{
    /// <summary>Match key → the records holding that value.</summary>
    public async Task<Dictionary<string, List<FoundRecord>>> FindAsync(
        IEnumerable<object> values, bool withCreatedDate, CancellationToken cancellationToken)
    {
        var field = plan.MatchField ?? throw new InvalidOperationException("lookup needs a match field");
        var found = new Dictionary<string, List<FoundRecord>>(plan.MatchComparer);
        var select = withCreatedDate ? $"SELECT Id, {field.Name}, CreatedDate" : $"SELECT Id, {field.Name}";
        var prefix = $"{select} FROM {plan.ObjectName} WHERE {field.Name} IN (";
        var queries = new List<string>();
        var sb = new StringBuilder(prefix);
        var count = 0;
        var distinct = new HashSet<string>(plan.MatchComparer);
        foreach (var value in values)
        {
            if (!distinct.Add(Values.MatchKey(value, field.Shape)))
                continue;
            var literal = Values.Soql(value, field.Shape);
            if (count > 0 && sb.Length + literal.Length + 2 > tuning.MaxSoqlLength)
            {
                queries.Add(sb.Append(')').ToString());
                sb.Clear().Append(prefix);
                count = 0;
            }
            if (count > 0)
                sb.Append(',');
            sb.Append(literal);
            count++;
        }
        if (count > 0)
            queries.Add(sb.Append(')').ToString());

        var gate = new Lock();
        await Parallel.ForEachAsync(queries, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken },
            async (soql, ct) =>
            {
                var rows = await QueryAsync(soql, ct);
                lock (gate)
                {
                    foreach (var row in rows)
                    {
                        if (!row.TryGetProperty("Id", out var idElement) || idElement.GetString() is not { } id)
                            continue;
                        var key = TryGet(row, field.Name, out var v) ? Values.MatchKey(v, field.Shape) : null;
                        if (key is null)
                            continue;
                        var created = TryGet(row, "CreatedDate", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
                        if (!found.TryGetValue(key, out var list))
                            found[key] = list = [];
                        list.Add(new FoundRecord(id, created));
                    }
                }
            });
        return found;
    }

    private async Task<List<JsonElement>> QueryAsync(string soql, CancellationToken cancellationToken)
    {
        var rows = new List<JsonElement>();
        string? path = "query?q=" + Uri.EscapeDataString(soql);
        while (path is not null)
        {
            var result = await api.SendJsonAsync(
                new ApiRequest(HttpMethod.Get, path, $"a lookup of {plan.ObjectName} records by {plan.MatchField!.Name}"),
                SalesforceJson.Default.QueryResult, cancellationToken);
            rows.AddRange(result.Records ?? []);
            path = result.Done ? null : result.NextRecordsUrl;
        }
        return rows;
    }

    private static bool TryGet(JsonElement row, string name, out JsonElement value)
    {
        if (row.TryGetProperty(name, out value))
            return true;
        foreach (var p in row.EnumerateObject())
        {
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                value = p.Value;
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Which of these Create records already exist in Salesforce (after a crash or a lost answer). A record
    /// counts as created when a record with its match value exists that is none of the ones the ledger knows
    /// for the row (insert creates a new record for a changed row) and was not created before the latest of them. Each found record
    /// is given to one row at most. Rows without a match value can't be looked up and count as not created,
    /// and so do changed rows when the match field is unique (their new record was created without it).
    /// </summary>
    public async Task<Dictionary<int, string>> FindCreatedAsync(
        IReadOnlyList<(int Index, DeliveryRecord Record)> records, CancellationToken cancellationToken)
    {
        var created = new Dictionary<int, string>();
        if (plan.MatchField is not { } field)
            return created;
        var lookable = records
            .Where(r => r.Record.MatchValue is not null and not "")
            .Where(r => !plan.MatchUnique || r.Record.DestinationId is null)
            .ToList();
        if (lookable.Count == 0)
            return created;
        var found = await FindAsync(lookable.Select(r => r.Record.MatchValue!), withCreatedDate: true, cancellationToken);
        var taken = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (index, record) in lookable)
        {
            if (!found.TryGetValue(Values.MatchKey(record.MatchValue!, field.Shape), out var candidates))
                continue;
            var known = record.DestinationId is { } d ? candidates.FirstOrDefault(c => SameId(c.Id, d)) : default;
            var pick = candidates
                .Where(c => !taken.Contains(c.Id))
                .Where(c => !IsKnown(record, c.Id))
                .Where(c => known.Id is null || string.CompareOrdinal(c.CreatedDate, known.CreatedDate) >= 0)
                .OrderByDescending(c => c.CreatedDate, StringComparer.Ordinal)
                .FirstOrDefault();
            if (pick.Id is null)
                continue;
            taken.Add(pick.Id);
            created[index] = pick.Id;
        }
        return created;
    }

    /// <summary>Whether a found record is one Sluice already knows for this row (an earlier version), not this insert.</summary>
    private static bool IsKnown(DeliveryRecord record, string id) =>
        (record.DestinationId is { } d && SameId(id, d)) || (record.KnownIds?.Any(k => SameId(id, k)) ?? false);

    /// <summary>15- and 18-character forms of one Id compare equal (the first 15 characters are the Id).</summary>
    public static bool SameId(string a, string b) =>
        a.Length >= 15 && b.Length >= 15
            ? a.AsSpan(0, 15).SequenceEqual(b.AsSpan(0, 15))
            : string.Equals(a, b, StringComparison.Ordinal);
}

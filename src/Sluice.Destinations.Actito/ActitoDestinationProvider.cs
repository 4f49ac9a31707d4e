using Sluice.Core.Destinations;
using Sluice.Core.Models;
using Sluice.Core.Planning;

namespace Sluice.Destinations.Actito;

/// <summary>
/// The <c>actito</c> destination: syncs a model into a profile table of an Actito entity. Small runs use
/// single-profile calls (POST/PUT/DELETE .../profile), large ones one-shot ETL executions (v5 mass imports, a ZIP of one
/// CSV); deletes are always single calls (Actito documents no deletion import). Everything is paced within the
/// licence limits of 100 calls a minute, 5 concurrent requests and 12 imports per table per day. Missing mapped
/// attributes are created before the first delivery.
/// </summary>
public sealed class ActitoDestinationProvider : IDestinationProvider
{
    private const int MaxAttributeNameLength = 50;

    public string Type => "actito";

    public IReadOnlyList<OptionSpec> Options => ActitoOptionSpecs.All;

    public string MatchHint =>
        "Actito matches profiles on a unique attribute of the table (its external ID), " +
        "e.g. match: { column: customer_ref, field: customerId }.";

    public IReadOnlySet<SyncMode> Modes { get; } = new HashSet<SyncMode> { SyncMode.Insert, SyncMode.Update, SyncMode.Upsert, SyncMode.Mirror };

    /// <summary>Profiles are found by their unique attribute without regard to case, as the writer matches its answers.</summary>
    public MatchComparison CompareMatches(SyncContext sync) => MatchComparison.IgnoreCase;

    public IReadOnlyList<SyncProblem> CheckSync(DestinationSettings settings, SyncContext sync)
    {
        // The option values were checked by the parser against ActitoOptionSpecs: only the sync's rules are left.
        var problems = new List<SyncProblem>();

        if (TableStructure.IsTechnical(sync.Match.Field))
        {
            problems.Add(new SyncProblem(ProblemTarget.Match,
                $"'{sync.Match.Field}' is a technical Actito attribute (profileId, creationMoment, updateMoment) and cannot be the match.",
                "Match on the table's external ID, a unique attribute such as customerId or emailAddress."));
        }
        else if (string.IsNullOrWhiteSpace(sync.Match.Field))
        {
            problems.Add(new SyncProblem(ProblemTarget.Match, "The match names no Actito attribute.",
                "Match on the table's external ID, a unique attribute such as customerId or emailAddress."));
        }

        if (Column(sync, sync.Match.Column) is { } matchColumn && ColumnTypes.Refusal(matchColumn) is { } matchRefusal)
            problems.Add(new SyncProblem(ProblemTarget.Match, matchRefusal.Reason, matchRefusal.Hint, matchColumn.Name));

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var mapping in sync.Mappings)
        {
            if (Column(sync, mapping.Column) is { } column && ColumnTypes.Refusal(column) is { } refusal)
            {
                problems.Add(SyncProblem.ForMapping(mapping.Column, refusal.Reason, refusal.Hint));
                continue;
            }
            var field = mapping.Field;
            if (string.IsNullOrWhiteSpace(field))
            {
                problems.Add(SyncProblem.ForMapping(mapping.Column, $"Column '{mapping.Column}' is mapped to no Actito attribute."));
                continue;
            }
            if (TableStructure.IsTechnical(field))
            {
                problems.Add(SyncProblem.ForMapping(mapping.Column,
                    $"Column '{mapping.Column}' is mapped to '{field}', a technical Actito attribute that only Actito sets.",
                    "Remove the mapping or map the column to another attribute."));
                continue;
            }
            if (field == sync.Match.Field)
            {
                if (!string.Equals(mapping.Column, sync.Match.Column, StringComparison.OrdinalIgnoreCase))
                {
                    problems.Add(SyncProblem.ForMapping(mapping.Column,
                        $"Column '{mapping.Column}' is mapped to '{field}', which the match already fills from column '{sync.Match.Column}'.",
                        "Remove the mapping; the match value is always sent."));
                }
                continue;
            }
            if (!seen.Add(field))
            {
                problems.Add(SyncProblem.ForMapping(mapping.Column, $"Attribute '{field}' is the target of more than one mapping.",
                    "Map each Actito attribute from one column only."));
                continue;
            }
            if (field.Length > MaxAttributeNameLength)
            {
                problems.Add(SyncProblem.ForMapping(mapping.Column,
                    $"Attribute name '{field}' is longer than Actito's {MaxAttributeNameLength} characters, so it cannot be created.",
                    "Use a shorter attribute name."));
            }
        }
        return problems;
    }

    private static ModelColumn? Column(SyncContext sync, string name) =>
        sync.Columns.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase));

    public IDestination Create(DestinationSettings settings, DestinationServices services) =>
        new ActitoDestination(ActitoSettings.From(settings), services);
}

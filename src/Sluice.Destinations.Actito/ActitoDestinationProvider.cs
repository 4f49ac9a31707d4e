using Sluice.Core.Destinations;
using Sluice.Core.Models;

namespace Sluice.Destinations.Actito;

/// <summary>
/// The <c>actito</c> destination: syncs a model into a profile table of an Actito entity. Small runs use
/// single-profile calls (POST/PUT/DELETE .../profile), large ones bulk imports (ZIP of one CSV), paced within the
/// licence limits of 100 calls a minute, 5 concurrent requests and 12 imports per table per day. Missing mapped
/// attributes are created before the first delivery.
/// </summary>
public sealed class ActitoDestinationProvider : IDestinationProvider
{
    private const int MaxAttributeNameLength = 50;

    public string Type => "actito";

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new(ActitoOptions.ApiKey, OptionType.Secret,
            "Actito API key (Manage API users > View the API key); exchanged for a 15-minute access token.", Required: true),
        new(ActitoOptions.Environment, OptionType.Choice,
            "Actito environment of the licence, shown with the API key: prod0 (api.actito.com), prod1 (api1), prod3 (api3) or preprod (api-pre1).",
            Default: ActitoOptions.DefaultEnvironment, Choices: ["prod0", "prod1", "prod3", "preprod"]),
        new(ActitoOptions.BaseUrl, OptionType.Url,
            "API root; overrides environment (default https://api.actito.com, from environment). Point it at an emulator for tests and demos."),
        new(ActitoOptions.Entity, OptionType.String, "Technical name of the entity that owns the profile table.", Required: true),
        new(ActitoOptions.Table, OptionType.String, "Technical name of the profile table, e.g. Profiles.", Required: true),
        new(ActitoOptions.BulkThreshold, OptionType.Integer,
            "Runs with more records than this use bulk imports (one per operation, within imports_per_day); smaller runs use single-profile calls.",
            Default: "50"),
        new(ActitoOptions.CallsPerMinute, OptionType.Integer,
            "API calls per minute Sluice stays within (Actito throttles above the licence's 100).", Default: "100"),
        new(ActitoOptions.MaxConcurrentRequests, OptionType.Integer,
            "Requests in flight at once (Actito answers 429 above the licence's 5).", Default: "5"),
        new(ActitoOptions.ImportsPerDay, OptionType.Integer,
            "Bulk imports allowed per table per UTC day (12 unless the licence has an extension pack). A run that needs more fails before sending anything.",
            Default: "12"),
    ];

    public string MatchHint =>
        "Actito matches profiles on a unique attribute of the table (its external ID), " +
        "e.g. match: { column: customer_ref, field: customerId }.";

    public IReadOnlySet<SyncMode> Modes { get; } = new HashSet<SyncMode> { SyncMode.Insert, SyncMode.Update, SyncMode.Upsert, SyncMode.Mirror };

    public IReadOnlyList<SyncProblem> CheckSync(DestinationSettings settings, SyncContext sync)
    {
        var problems = ActitoSettings.Problems(settings);

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

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var mapping in sync.Mappings)
        {
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

    public IDestination Create(DestinationSettings settings, DestinationServices services) =>
        new ActitoDestination(ActitoSettings.From(settings), services);
}

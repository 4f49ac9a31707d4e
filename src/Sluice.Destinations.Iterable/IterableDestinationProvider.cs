using Sluice.Core.Destinations;
using Sluice.Core.Models;

namespace Sluice.Destinations.Iterable;

/// <summary>
/// The <c>iterable</c> destination: keeps Iterable user profiles up to date, matched by <c>email</c> or
/// <c>userId</c>. Modes: <c>upsert</c> ("insert mode" on: unknown users are created) and <c>update</c>
/// ("insert mode" off: only users that already exist are updated, the others are reported as not found).
/// Unknown fields are created by Iterable (unless <c>create_new_fields: false</c>).
/// </summary>
public sealed class IterableDestinationProvider : IDestinationProvider
{
    private static readonly IReadOnlyList<OptionSpec> OptionSpecs =
    [
        new(IterableOptionNames.ApiKey, OptionType.Secret,
            "Server-side API key of the Iterable project (Settings > API keys).", Required: true),
        new(IterableOptionNames.Region, OptionType.Choice,
            "Data center of the project: us (https://api.iterable.com) or eu (https://api.eu.iterable.com). Used when base_url is not set.",
            Default: "us", Choices: ["us", "eu"]),
        new(IterableOptionNames.BaseUrl, OptionType.Url,
            "API root URL; overrides region. Defaults to the region's URL (https://api.iterable.com for us). Point it at an emulator for tests and demos."),
        new(IterableOptionNames.BatchSize, OptionType.Integer,
            "Users per bulkUpdate request, 1 to 1000. Requests are split further to stay under Iterable's 4 MB body limit.",
            Default: "1000"),
        new(IterableOptionNames.CreateNewFields, OptionType.Boolean,
            "Let Iterable create user fields that don't exist yet. When false, values for unknown fields are dropped by Iterable.",
            Default: "true"),
        new(IterableOptionNames.MaxRetries, OptionType.Integer,
            "Retries (with exponential backoff, honouring Retry-After) of a request answered 429 or 5xx or cut off, before the run stops.",
            Default: "8"),
        new(IterableOptionNames.PaceRequests, OptionType.Boolean,
            "Pace requests to Iterable's documented per-project limits (bulkUpdate 5/s, user lookups 100/s, single updates 500/s). Turn off only against an emulator without limits.",
            Default: "true"),
    ];

    private static readonly IReadOnlySet<SyncMode> SupportedModes = new HashSet<SyncMode> { SyncMode.Upsert, SyncMode.Update };

    /// <inheritdoc />
    public string Type => "iterable";

    /// <inheritdoc />
    public IReadOnlyList<OptionSpec> Options => OptionSpecs;

    /// <inheritdoc />
    public IReadOnlySet<SyncMode> Modes => SupportedModes;

    /// <inheritdoc />
    public IReadOnlyList<SyncProblem> CheckSync(DestinationSettings settings, SyncContext sync)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(sync);
        var problems = IterableSettings.Validate(settings);

        if (!SupportedModes.Contains(sync.Mode))
            problems.Add(new SyncProblem(ProblemTarget.Mode, Texts.UnsupportedMode(sync.Mode), Texts.ModeHint));

        var match = sync.Match;
        if (match.Field != FieldRules.Email && match.Field != FieldRules.UserId)
        {
            problems.Add(new SyncProblem(ProblemTarget.Match, Texts.BadMatchField(match.Field), Texts.MatchHint));
        }
        else if (match.Field == FieldRules.Email && FindColumn(sync, match.Column) is { } column
                 && column.Kind is not (ValueKind.Text or ValueKind.Other))
        {
            problems.Add(new SyncProblem(ProblemTarget.Match, Texts.EmailMatchNotText(column)));
        }

        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var mapping in sync.Mappings)
        {
            var field = mapping.Field;
            if (string.IsNullOrWhiteSpace(field))
                problems.Add(SyncProblem.ForMapping(mapping.Column, Texts.EmptyField(mapping.Column)));
            else if (FieldRules.IsIdentifier(field))
                problems.Add(SyncProblem.ForMapping(mapping.Column, Texts.IdentifierMapped(mapping.Column, field), Texts.IdentifierHint));
            else if (FieldRules.IsManaged(field))
                problems.Add(SyncProblem.ForMapping(mapping.Column, Texts.ManagedField(mapping.Column, field)));
            else if (field.Contains('.', StringComparison.Ordinal))
                problems.Add(SyncProblem.ForMapping(mapping.Column, Texts.DottedField(mapping.Column, field), Texts.DottedHint));

            if (!string.IsNullOrEmpty(field) && !seen.TryAdd(field, mapping.Column))
                problems.Add(SyncProblem.ForMapping(mapping.Column, Texts.DuplicateField(mapping.Column, seen[field], field)));
        }
        return problems;
    }

    /// <inheritdoc />
    public IDestination Create(DestinationSettings settings, DestinationServices services)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(services);
        return new IterableDestination(IterableSettings.From(settings), services);
    }

    internal static ModelColumn? FindColumn(SyncContext sync, string column) =>
        sync.Columns.FirstOrDefault(c => string.Equals(c.Name, column, StringComparison.OrdinalIgnoreCase));
}

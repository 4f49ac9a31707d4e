using Sluice.Core.Destinations;
using Sluice.Core.Models;
using Sluice.Core.Planning;

namespace Sluice.Destinations.Iterable;

/// <summary>
/// The <c>iterable</c> destination: keeps Iterable user profiles up to date, matched by <c>email</c> or
/// <c>userId</c>. Modes: <c>upsert</c> ("insert mode" on: unknown users are created) and <c>update</c>
/// ("insert mode" off: only users that already exist are updated, the others are reported as not found).
/// Unknown fields are created by Iterable (unless <c>create_new_fields: false</c>).
/// </summary>
public sealed class IterableDestinationProvider : IDestinationProvider
{
    private static readonly IReadOnlySet<SyncMode> SupportedModes = new HashSet<SyncMode> { SyncMode.Upsert, SyncMode.Update };

    /// <inheritdoc />
    public string Type => "iterable";

    /// <inheritdoc />
    public IReadOnlyList<OptionSpec> Options => IterableOptions.All;

    /// <inheritdoc />
    public IReadOnlySet<SyncMode> Modes => SupportedModes;

    /// <summary>Iterable keys users by email case-insensitively, by userId exactly.</summary>
    public MatchComparison CompareMatches(SyncContext sync) =>
        sync?.Match.Field == FieldRules.Email ? MatchComparison.IgnoreCase : MatchComparison.Exact;

    /// <inheritdoc />
    public IReadOnlyList<SyncProblem> CheckSync(DestinationSettings settings, SyncContext sync)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(sync);
        // The option values were checked by the parser against IterableOptions: only the sync's rules are left.
        var problems = new List<SyncProblem>();

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
            // userId-matched syncs may write email: Iterable changes a user's email through dataFields.email there.
            else if (FieldRules.IsIdentifier(field) && !(match.Field == FieldRules.UserId && field == FieldRules.Email))
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

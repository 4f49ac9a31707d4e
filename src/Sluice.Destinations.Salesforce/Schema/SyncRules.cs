using Sluice.Core.Destinations;
using Sluice.Core.Models;
using Sluice.Destinations.Salesforce.Http;

namespace Sluice.Destinations.Salesforce.Schema;

/// <summary>The rules a sync must follow: static ones (no network) and the ones checked against the describe.</summary>
internal static class SyncRules
{
    public static bool IsId(string? field) => string.Equals(field?.Trim(), "Id", StringComparison.OrdinalIgnoreCase);

    public static ModelKind KindFor(string obj) => obj is "Contact" or "Lead" ? ModelKind.User : ModelKind.Custom;

    /// <summary>Rules from the seed and the API facts that need no call to Salesforce.</summary>
    public static List<SyncProblem> CheckStatic(DestinationSettings raw, SyncContext sync)
    {
        var problems = new List<SyncProblem>();
        // Option values were checked by the parser against SalesforceOptionSpecs; what is left are rules across
        // options and with the sync. Secrets are only tested for presence, never read: plan needs none.
        var objectName = SalesforceSettings.CanonicalObject(raw.GetString(SalesforceOptionNames.Object));
        if (!raw.IsSet(SalesforceOptionNames.ClientSecret) && !raw.IsSet(SalesforceOptionNames.RefreshToken))
            problems.Add(new SyncProblem(ProblemTarget.Destination, Messages.MissingCredentials, Messages.MissingCredentialsHint));

        if (sync.Mode is not (SyncMode.Insert or SyncMode.Update or SyncMode.Upsert))
            problems.Add(new SyncProblem(ProblemTarget.Mode, Messages.ModeNotSupported(sync.Mode)));

        if (objectName is not null && KindFor(objectName) is var need && need != sync.ModelKind)
            problems.Add(new SyncProblem(ProblemTarget.Sync, Messages.ObjectKindMismatch(objectName, need, sync.ModelKind), Messages.ObjectKindHint));

        var obj = objectName ?? "the object";
        var matchField = sync.Match.Field?.Trim() ?? "";
        switch (sync.Mode)
        {
            case SyncMode.Update or SyncMode.Upsert when matchField.Length == 0 || string.IsNullOrWhiteSpace(sync.Match.Column):
                problems.Add(new SyncProblem(ProblemTarget.Match, Messages.MatchRequired(sync.Mode), Messages.MatchHint(obj)));
                break;
            case SyncMode.Upsert when IsId(matchField):
                problems.Add(new SyncProblem(ProblemTarget.Match, Messages.UpsertNeedsExternalId(obj), Messages.UpsertNeedsExternalIdHint(obj)));
                break;
            case SyncMode.Insert when IsId(matchField):
                problems.Add(new SyncProblem(ProblemTarget.Match, Messages.InsertCannotMatchId(obj), Messages.InsertCannotMatchIdHint));
                break;
        }
        var version = SalesforceSettings.Version(raw);
        if (sync.Mode == SyncMode.Upsert && SalesforceSettings.VersionNumber(version) is > 0 and < 46)
            problems.Add(new SyncProblem(ProblemTarget.Destination, Messages.UpsertNeedsVersion(version)));

        var seen = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var mapping in sync.Mappings)
        {
            var field = mapping.Field.Trim();
            if (IsId(field))
                problems.Add(SyncProblem.ForMapping(mapping.Column, Messages.MappingToId(mapping.Column)));
            else if (!seen.TryAdd(field, mapping.Column))
                problems.Add(SyncProblem.ForMapping(mapping.Column, Messages.DuplicateField(field, mapping.Column, seen[field])));
            else if (string.Equals(field, matchField, StringComparison.OrdinalIgnoreCase)
                && !string.Equals(mapping.Column, sync.Match.Column, StringComparison.OrdinalIgnoreCase))
                problems.Add(SyncProblem.ForMapping(mapping.Column, Messages.MatchFieldAlsoMapped(field, mapping.Column, sync.Match.Column)));
        }
        return problems;
    }

    /// <summary>Checks the sync against the object's describe and, when nothing blocks, builds the write plan.</summary>
    public static (List<SyncProblem> Problems, WritePlan? Plan) CheckSchema(ObjectSchema schema, SyncContext sync)
    {
        var problems = new List<SyncProblem>();
        var obj = schema.Name;
        var hint = string.Format(System.Globalization.CultureInfo.InvariantCulture, Messages.SetupHint, obj);
        var creates = sync.Mode is SyncMode.Insert or SyncMode.Upsert;
        var updates = sync.Mode is SyncMode.Update or SyncMode.Upsert;
        var fields = new Dictionary<string, PlannedField>(StringComparer.OrdinalIgnoreCase);
        var written = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

        foreach (var mapping in sync.Mappings)
        {
            var f = schema.Find(mapping.Field.Trim());
            if (f is null)
            {
                problems.Add(SyncProblem.ForMapping(mapping.Column, Messages.UnknownField(obj, mapping.Field), hint));
                continue;
            }
            if (creates && !f.Createable)
                problems.Add(SyncProblem.ForMapping(mapping.Column, Messages.FieldNotCreateable(obj, f.Name, sync.Mode), Messages.WritableHint));
            if (updates && !f.Updateable)
                problems.Add(SyncProblem.ForMapping(mapping.Column, Messages.FieldNotUpdateable(obj, f.Name, sync.Mode), Messages.WritableHint));
            CheckType(problems, sync, mapping, f, obj, ProblemTarget.Mapping);
            fields[mapping.Field.Trim()] = new PlannedField(f.Name, FieldTypes.ShapeOf(f.Type), f.Type, mapping.Column,
                ColumnOf(sync, mapping)?.SourceType ?? "");
            written.Add(f.Name);
        }

        var matchName = sync.Match.Field?.Trim() ?? "";
        var matchIsId = IsId(matchName);
        FieldDescribe? match = null;
        if (matchName.Length > 0 && !matchIsId)
        {
            match = schema.Find(matchName);
            if (match is null)
                problems.Add(new SyncProblem(ProblemTarget.Match, Messages.UnknownField(obj, matchName), hint));
            else
            {
                switch (sync.Mode)
                {
                    case SyncMode.Update when !match.ExternalId && !match.IdLookup:
                        problems.Add(new SyncProblem(ProblemTarget.Match, Messages.MatchNotLookup(obj, match.Name), Messages.MatchHint(obj)));
                        break;
                    case SyncMode.Upsert when !match.ExternalId:
                        problems.Add(new SyncProblem(ProblemTarget.Match, Messages.MatchNotExternalId(obj, match.Name), Messages.MatchHint(obj)));
                        break;
                    case SyncMode.Upsert when !match.Createable:
                        problems.Add(new SyncProblem(ProblemTarget.Match, Messages.FieldNotCreateable(obj, match.Name, sync.Mode), Messages.WritableHint));
                        break;
                    case SyncMode.Insert when !match.Createable:
                        problems.Add(new SyncProblem(ProblemTarget.Match, Messages.FieldNotCreateable(obj, match.Name, sync.Mode), Messages.InsertCannotMatchIdHint));
                        break;
                }
                if (match.Filterable == false)
                    problems.Add(new SyncProblem(ProblemTarget.Match, Messages.MatchNotFilterable(obj, match.Name), Messages.MatchHint(obj)));
                CheckType(problems, sync, sync.Match, match, obj, ProblemTarget.Match);
                if (creates)
                    written.Add(match.Name);
            }
        }
        else if (matchIsId && ColumnOf(sync, sync.Match) is { } idColumn && idColumn.Kind is not (ValueKind.Text or ValueKind.Other))
        {
            problems.Add(new SyncProblem(ProblemTarget.Match, Messages.MatchIdNeedsText(idColumn)));
        }

        if (creates)
        {
            foreach (var required in schema.RequiredOnCreate)
            {
                if (!written.Contains(required.Name))
                    problems.Add(new SyncProblem(ProblemTarget.Sync, Messages.RequiredFieldMissing(obj, required.Name, sync.Mode),
                        Messages.RequiredFieldHint(required.Name)));
            }
        }

        if (problems.Count > 0)
            return (problems, null);
        var plan = new WritePlan(
            obj,
            sync.Mode,
            matchIsId,
            match is null ? null : new PlannedField(match.Name, FieldTypes.ShapeOf(match.Type), match.Type, sync.Match.Column ?? "",
                ColumnOf(sync, sync.Match)?.SourceType ?? ""),
            match?.Unique == true,
            match?.CaseSensitive == true ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase,
            fields);
        return (problems, plan);
    }

    private static void CheckType(List<SyncProblem> problems, SyncContext sync, FieldMapping mapping, FieldDescribe field, string obj, ProblemTarget target)
    {
        var column = ColumnOf(sync, mapping);
        if (column is null)
            return; // The engine reports unknown columns itself.
        var accepts = FieldTypes.Accepts(field.Type);
        string? message = accepts is null
            ? Messages.UnsupportedFieldType(obj, field.Name, field.Type)
            : column.Kind == ValueKind.Other ? FieldTypes.OtherKindProblem(column, obj, field.Name, field.Type)
            : accepts.Value.Kinds.Contains(column.Kind) ? null
            : Messages.TypeMismatch(column, obj, field.Name, field.Type, accepts.Value.Expected);
        if (message is not null)
            problems.Add(new SyncProblem(target, message, Messages.TypeMismatchHint, target == ProblemTarget.Mapping ? mapping.Column : null));
    }

    private static ModelColumn? ColumnOf(SyncContext sync, FieldMapping mapping) =>
        sync.Columns.FirstOrDefault(c => string.Equals(c.Name, mapping.Column, StringComparison.OrdinalIgnoreCase));
}

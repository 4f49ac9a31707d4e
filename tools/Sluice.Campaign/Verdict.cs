namespace Sluice.Campaign;

/// <summary>
/// What the destination holds compared with the model, in the counters RELIABILITY.md defines. The last five
/// (missing, duplicated, stale, extra, wrongly deleted) must be 0.
/// </summary>
internal sealed class Verdict
{
    public long Expected { get; private set; }
    public long Found { get; private set; }
    public long Missing { get; private set; }
    public long Duplicated { get; private set; }
    public long Stale { get; private set; }
    public long Extra { get; private set; }
    public long WronglyDeleted { get; private set; }

    /// <summary>A few of the wrong keys with what was wrong, for the report.</summary>
    public List<string> Examples { get; } = [];

    public bool Clean => Missing + Duplicated + Stale + Extra + WronglyDeleted == 0;

    private readonly Dictionary<string, int> _noted = [];

    /// <summary>Keeps the first three examples of each kind of wrong.</summary>
    private void Note(string kind, string what)
    {
        var seen = _noted.GetValueOrDefault(kind);
        _noted[kind] = seen + 1;
        if (seen < 3)
            Examples.Add($"{kind}: {what}");
    }

    /// <param name="preExisting">Update mode: the model rows whose record existed before the first run (the only ones it may touch).</param>
    /// <param name="foreign">Records created by someone else for keys the model never had: no sync may change or delete them.</param>
    public static Verdict Judge(Target target, ModelState model, IReadOnlySet<long> preExisting,
        IReadOnlyDictionary<string, Dictionary<string, string?>> foreign, Dictionary<string, List<DestinationRecord>> records)
    {
        var verdict = new Verdict();
        var known = new HashSet<string>(StringComparer.Ordinal);
        List<DestinationRecord> Of(long id) => records.GetValueOrDefault(target.MatchOf(id)) ?? [];

        foreach (var (id, row) in model.History.Keys.Select(id => (id, model.Current.GetValueOrDefault(id))).OrderBy(p => p.id))
        {
            known.Add(target.MatchOf(id));
            var recs = Of(id);
            var present = row is not null && !model.Bad.Contains(id);
            if (model.Bad.Contains(id))
            {
                // A refused row never had a good version, so nothing may exist for it.
                if (recs.Count > 0)
                {
                    verdict.Extra += recs.Count;
                    verdict.Note("extra", $"{target.MatchOf(id)}: a record exists for a row the destination should have refused");
                }
                continue;
            }
            if (!present)
            {
                // A row no longer in the model: mirror must have deleted it; update must have left a pre-existing record alone.
                if (target.Mode == "mirror" && recs.Count > 0)
                {
                    verdict.Extra += recs.Count;
                    verdict.Note("extra", $"{target.MatchOf(id)}: still in the destination after leaving the model (mirror)");
                }
                else if (target.Mode == "update" && preExisting.Contains(id) && recs.Count == 0)
                {
                    verdict.WronglyDeleted++;
                    verdict.Note("wrongly deleted", $"{target.MatchOf(id)}: a pre-existing record is gone (update mode never deletes)");
                }
                else if (target.Mode == "update" && !preExisting.Contains(id) && recs.Count > 0)
                {
                    verdict.Extra += recs.Count;
                    verdict.Note("extra", $"{target.MatchOf(id)}: created by update mode");
                }
                continue;
            }
            if (target.Mode == "update" && !preExisting.Contains(id))
            {
                if (recs.Count > 0)
                {
                    verdict.Extra += recs.Count;
                    verdict.Note("extra", $"{target.MatchOf(id)}: created by update mode");
                }
                continue;
            }
            verdict.Expected++;
            var expect = target.Expect(row!);
            if (recs.Count == 0)
            {
                if (target.Mode == "update" || (target.Mode == "mirror" && model.Returned.Contains(id)))
                {
                    verdict.WronglyDeleted++;
                    verdict.Note("wrongly deleted", $"{target.MatchOf(id)}: {(target.Mode == "update" ? "pre-existing record gone" : "deleted although it came back to the model")}");
                }
                else
                {
                    verdict.Missing++;
                    verdict.Note("missing", $"{target.MatchOf(id)}: missing");
                }
                continue;
            }
            if (target.Mode == "insert" && target.InsertCreatesChangedRows)
            {
                // One record per version sent: two records in a row with the same values are one version created twice.
                var twice = recs.Zip(recs.Skip(1)).Count(p => Same(p.First.Fields, p.Second.Fields));
                if (twice > 0)
                {
                    verdict.Duplicated++;
                    verdict.Note("duplicated", $"{target.MatchOf(id)}: {twice} version(s) created twice in a row");
                }
                if (!Same(recs[^1].Fields, expect))
                {
                    verdict.Stale++;
                    verdict.Note("stale", $"{target.MatchOf(id)}: newest record {Describe(recs[^1].Fields, expect)}");
                }
                else if (twice == 0)
                {
                    verdict.Found++;
                }
                continue;
            }
            if (recs.Count > 1)
            {
                verdict.Duplicated++;
                verdict.Note("duplicated", $"{target.MatchOf(id)}: {recs.Count} records");
            }
            // Actito insert creates once and never modifies: any version the row had is right.
            var right = target.Mode == "insert"
                ? model.History[id].Any(v => Same(recs[^1].Fields, target.Expect(v)))
                : Same(recs[^1].Fields, expect);
            if (!right)
            {
                verdict.Stale++;
                verdict.Note("stale", $"{target.MatchOf(id)}: {Describe(recs[^1].Fields, expect)}");
            }
            else if (recs.Count == 1)
            {
                verdict.Found++;
            }
        }

        foreach (var (match, fields) in foreign)
        {
            known.Add(match);
            var recs = records.GetValueOrDefault(match) ?? [];
            if (recs.Count == 0)
            {
                verdict.WronglyDeleted++;
                verdict.Note("wrongly deleted", $"{match}: a record no sync owns was deleted");
            }
            else if (!Same(recs[^1].Fields, fields))
            {
                verdict.Stale++;
                verdict.Note("stale", $"{match}: a record no sync owns was changed: {Describe(recs[^1].Fields, fields)}");
            }
        }
        foreach (var (match, recs) in records)
        {
            if (known.Contains(match))
                continue;
            verdict.Extra += recs.Count;
            verdict.Note("extra", $"{match}: a record for a key the model never had");
        }
        return verdict;
    }

    /// <summary>Equal on every expected field (the destination may hold more).</summary>
    private static bool Same(IReadOnlyDictionary<string, string?> actual, IReadOnlyDictionary<string, string?> expected) =>
        expected.All(e => string.Equals(actual.GetValueOrDefault(e.Key), e.Value, StringComparison.Ordinal));

    private static string Describe(IReadOnlyDictionary<string, string?> actual, IReadOnlyDictionary<string, string?> expected) =>
        string.Join(", ", expected.Where(e => !string.Equals(actual.GetValueOrDefault(e.Key), e.Value, StringComparison.Ordinal))
            .Select(e => $"{e.Key}={actual.GetValueOrDefault(e.Key) ?? "null"} (model: {e.Value})"));
}

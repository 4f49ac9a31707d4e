using System.Globalization;

namespace Sluice.Campaign;

/// <summary>One version of a model row: every column the syncs map (the key is the row's id).</summary>
internal sealed record RowValues(string Email, string FirstName, string LastName, string Plan, long Seats);

/// <summary>
/// The campaign's model: the <c>people</c> table of a DuckDB file, and everything the campaign knows about its
/// past (each row's versions, rows removed, rows that came back), so that the destination can be judged against
/// it. Changes are drawn from one seeded <see cref="Random"/>, so a seed replays the same sequence of models.
/// </summary>
internal sealed class ModelState
{
    private readonly Random _random;
    private readonly Dictionary<long, RowValues> _removed = [];
    private long _nextId;
    private long _version;

    public ModelState(Random random, int rows)
    {
        _random = random;
        for (var id = 1L; id <= rows; id++)
            Set(id, Fresh(id));
        _nextId = rows + 1;
    }

    /// <summary>The rows the model returns now.</summary>
    public Dictionary<long, RowValues> Current { get; } = [];

    /// <summary>Every version each row ever had, oldest first (ids of removed rows included).</summary>
    public Dictionary<long, List<RowValues>> History { get; } = [];

    /// <summary>Rows that left the model and came back (the case a mirror delete in doubt breaks).</summary>
    public HashSet<long> Returned { get; } = [];

    /// <summary>Rows whose values the destination must refuse (fault campaign); never changed or removed.</summary>
    public HashSet<long> Bad { get; } = [];

    /// <summary>When true, a row that comes back gets new values (Salesforce insert: a re-added row creates a new record).</summary>
    public bool FreshOnReturn { get; init; }

    /// <summary>What the last <see cref="Mutate"/> did, for the log.</summary>
    public string LastChange { get; private set; } = "initial";

    public static string EmailOf(long id) => $"person{id}@example.com";

    private RowValues Fresh(long id)
    {
        var v = ++_version;
        return new RowValues(EmailOf(id), $"First{id}v{v}", $"Last{id}", _random.Next(3) switch { 0 => "free", 1 => "pro", _ => "enterprise" },
            _random.Next(1, 500));
    }

    private void Set(long id, RowValues values)
    {
        Current[id] = values;
        if (!History.TryGetValue(id, out var versions))
            History[id] = versions = [];
        versions.Add(values);
    }

    /// <summary>
    /// Makes <paramref name="share"/> of the rows invalid for the destination: an address that is not an email (every
    /// destination refuses it) or, every other row, a last name longer than any destination field allows.
    /// </summary>
    public void MakeBad(double share, bool tooLongNames)
    {
        var ids = Current.Keys.Where(_ => _random.NextDouble() < share).ToList();
        for (var i = 0; i < ids.Count; i++)
        {
            var id = ids[i];
            var row = Current[id];
            Set(id, tooLongNames && i % 2 == 1 ? row with { LastName = new string('L', 300) } : row with { Email = $"not-an-email-{id}" });
            Bad.Add(id);
        }
    }

    /// <summary>
    /// Between runs: changes values of some rows, changes some back to an earlier version, removes some, brings
    /// back some removed ones, adds new ones.
    /// </summary>
    public void Mutate()
    {
        var present = Current.Keys.Where(id => !Bad.Contains(id)).Order().ToList();
        int changed = 0, reverted = 0, removed = 0, returned = 0, added = 0;
        foreach (var id in present)
        {
            var roll = _random.NextDouble();
            if (roll < 0.12)
            {
                var row = Current[id];
                var v = ++_version;
                Set(id, row with { FirstName = $"First{id}v{v}", Plan = row.Plan == "free" ? "pro" : "free", Seats = row.Seats + 1 });
                changed++;
            }
            else if (roll < 0.17)
            {
                var earlier = History[id].Where(h => h != Current[id]).ToList();
                if (earlier.Count > 0)
                {
                    Set(id, earlier[_random.Next(earlier.Count)]);
                    reverted++;
                }
            }
            else if (roll < 0.21)
            {
                _removed[id] = Current[id];
                Current.Remove(id);
                removed++;
            }
        }
        foreach (var id in _removed.Keys.Order().ToList())
        {
            if (Current.ContainsKey(id) || _random.NextDouble() >= 0.4)
                continue;
            Set(id, FreshOnReturn ? Fresh(id) : _removed[id]);
            _removed.Remove(id);
            Returned.Add(id);
            returned++;
        }
        var adds = Math.Max(1, present.Count / 30);
        for (var i = 0; i < adds; i++)
        {
            Set(_nextId, Fresh(_nextId));
            _nextId++;
            added++;
        }
        LastChange = $"changed {changed}, changed back {reverted}, removed {removed}, re-added {returned}, added {added}";
    }

    /// <summary>The rows in key order, with the unmapped <c>note</c> column every row carries (the model's version).</summary>
    public IEnumerable<(long Id, RowValues Row)> Rows() => Current.OrderBy(p => p.Key).Select(p => (p.Key, p.Value));

    /// <summary>The value of the unmapped <c>note</c> column: changes with every version, never sent.</summary>
    public string Note => _version.ToString(CultureInfo.InvariantCulture);
}

using System.Globalization;
using Sluice.Core.Destinations;

namespace Sluice.Destinations.Actito;

/// <summary>
/// How one run is delivered. A run of at most <c>bulk_threshold</c> creates, updates and upserts goes through
/// single-profile calls. A larger one is sent in batches of up to <see cref="MaxRowsPerImport"/> records, one at a
/// time; within a batch each of those operations with more than <c>bulk_threshold</c> records becomes one one-shot ETL
/// execution, smaller ones single calls. Deletes are always single calls (no documented deletion import), so they
/// neither decide the transport nor cost an import. A run costs as few of the table's daily imports as possible.
/// </summary>
internal sealed record TransportPlan(bool Bulk, int BatchSize, int MaxConcurrency, int ImportsNeeded)
{
    /// <summary>Rows per import file: keeps the ZIP far below Actito's 100 MB upload limit for typical rows.</summary>
    public const int MaxRowsPerImport = 100_000;

    /// <summary>Records per batch on the single-call path: small, so the engine commits often.</summary>
    public const int SingleCallBatchSize = 25;

    public static TransportPlan Choose(PlanCounts plan, int bulkThreshold, int maxConcurrentRequests)
    {
        var total = plan.Total;
        if (total - plan.Deletes <= bulkThreshold)
            return new TransportPlan(false, SingleCallBatchSize, Math.Max(1, Math.Min(2, maxConcurrentRequests)), 0);

        var batchSize = (int)Math.Min(total, MaxRowsPerImport);
        var batches = (total + batchSize - 1) / batchSize;
        long imports = 0;
        foreach (var count in new[] { plan.Creates, plan.Updates, plan.Upserts })
        {
            if (count <= bulkThreshold) continue;
            // Each batch holding more than bulk_threshold records of this operation costs one import.
            imports += Math.Min(batches, count / (bulkThreshold + 1));
        }
        return new TransportPlan(true, batchSize, 1, (int)Math.Min(imports, int.MaxValue));
    }

    /// <summary>
    /// The least time the call pacing makes the single calls of a plan take: every delete is at least one call
    /// (<c>DELETE .../profile/{id}</c>), and so is every other record when the plan goes through single calls. Null when
    /// pacing adds less than <see cref="WorthSaying"/> (the data, not the limit, decides the run's length then).
    /// </summary>
    public static DeliveryEstimate? Estimate(PlanCounts plan, int bulkThreshold, int maxConcurrentRequests, int callsPerMinute)
    {
        var transport = Choose(plan, bulkThreshold, maxConcurrentRequests);
        var parts = new List<string>(4);
        long calls = 0;
        if (!transport.Bulk)
        {
            Add(plan.Creates, "create", "creates");
            Add(plan.Updates, "update", "updates");
            Add(plan.Upserts, "upsert", "upserts");
        }
        Add(plan.Deletes, "delete", "deletes");
        var (burst, perMinute) = Pacing.Rate(callsPerMinute);
        if (calls <= burst) return null;
        var least = TimeSpan.FromMinutes((calls - burst) / (double)perMinute);
        if (least < WorthSaying) return null;
        var what = parts.Count == 1 ? parts[0] : string.Join(", ", parts.Take(parts.Count - 1)) + " and " + parts[^1];
        var rate = callsPerMinute.ToString("N0", CultureInfo.InvariantCulture);
        return new DeliveryEstimate(least, $"{what} by single calls at {rate} calls a minute (Actito's limit).");

        void Add(long count, string one, string many)
        {
            if (count <= 0) return;
            calls += count;
            parts.Add($"{count.ToString("N0", CultureInfo.InvariantCulture)} {(count == 1 ? one : many)}");
        }
    }

    /// <summary>Pacing that adds less than this is not worth a line in <c>plan</c>.</summary>
    public static readonly TimeSpan WorthSaying = TimeSpan.FromSeconds(30);
}

/// <summary>
/// The table's daily quota of bulk imports as this destination has used it (UTC days, from the host's clock).
/// Actito offers no way to read the quota, so imports made by other clients are only noticed when Actito answers 429.
/// </summary>
internal sealed class ImportBudget(int perDay, TimeProvider time)
{
    private readonly Lock _gate = new();
    private DateOnly _day;
    private int _used;

    public int PerDay => perDay;

    public int Remaining
    {
        get
        {
            lock (_gate)
            {
                Roll();
                return Math.Max(0, perDay - _used);
            }
        }
    }

    public bool TryTake()
    {
        lock (_gate)
        {
            Roll();
            if (_used >= perDay) return false;
            _used++;
            return true;
        }
    }

    /// <summary>Gives an import back when Actito refused it before running it.</summary>
    public void Return()
    {
        lock (_gate)
        {
            if (_used > 0) _used--;
        }
    }

    /// <summary>Marks the quota as used up today (Actito said so with a 429).</summary>
    public void Exhaust()
    {
        lock (_gate)
        {
            Roll();
            _used = perDay;
        }
    }

    private void Roll()
    {
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        if (today == _day) return;
        _day = today;
        _used = 0;
    }
}

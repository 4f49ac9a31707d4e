using Sluice.Core.Destinations;

namespace Sluice.Destinations.Actito;

/// <summary>
/// How one run is delivered. A run of at most <c>bulk_threshold</c> records goes through single-profile calls.
/// A larger one is sent in batches of up to <see cref="MaxRowsPerImport"/> records, one at a time; within a batch
/// each operation with more than <c>bulk_threshold</c> records becomes one bulk import, smaller ones single calls.
/// So a run costs as few of the table's daily imports as possible (usually one, two in mirror mode).
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
        if (total <= bulkThreshold)
            return new TransportPlan(false, SingleCallBatchSize, Math.Max(1, Math.Min(2, maxConcurrentRequests)), 0);

        var batchSize = (int)Math.Min(total, MaxRowsPerImport);
        var batches = (total + batchSize - 1) / batchSize;
        long imports = 0;
        foreach (var count in new[] { plan.Creates, plan.Updates, plan.Upserts, plan.Deletes })
        {
            if (count <= bulkThreshold) continue;
            // Each batch holding more than bulk_threshold records of this operation costs one import.
            imports += Math.Min(batches, count / (bulkThreshold + 1));
        }
        return new TransportPlan(true, batchSize, 1, (int)Math.Min(imports, int.MaxValue));
    }
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

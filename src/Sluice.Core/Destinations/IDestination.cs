using Sluice.Core.Models;

namespace Sluice.Core.Destinations;

/// <summary>
/// A destination type (iterable, actito, salesforce): declares its options and modes, checks a sync
/// without the network, and creates destinations. One instance serves a whole process; stateless.
/// </summary>
public interface IDestinationProvider
{
    /// <summary>The <c>type:</c> in <c>sluice.yaml</c>.</summary>
    string Type { get; }

    /// <summary>Every option of the destination block, declared once.</summary>
    IReadOnlyList<OptionSpec> Options { get; }

    /// <summary>The sync modes this destination supports.</summary>
    IReadOnlySet<SyncMode> Modes { get; }

    /// <summary>
    /// In insert mode, whether a changed row creates a new record too (Salesforce: "a new line will be
    /// created, with old and new information"). When false, insert mode sends added rows only.
    /// </summary>
    bool InsertCreatesChangedRows => false;

    /// <summary>
    /// How the service compares match values to find a record: two model rows whose values compare equal would become
    /// one record, so the planner sends one of them and rejects the others. Exact unless the destination says otherwise.
    /// </summary>
    Planning.MatchComparison CompareMatches(SyncContext sync) => Planning.MatchComparison.Exact;

    /// <summary>What to write when a sync has no match, in the destination's own words, with an example.</summary>
    string MatchHint =>
        "Add the model column and the destination field that identify a record, e.g. match: { column: email, field: email }.";

    /// <summary>
    /// Checks a sync against the destination's fixed rules, without calling the service: the match
    /// field it accepts, the model kind it needs, names it forbids. Every problem, not the first.
    /// </summary>
    IReadOnlyList<SyncProblem> CheckSync(DestinationSettings settings, SyncContext sync);

    /// <summary>Creates a destination for the given settings. Cheap: no network until used.</summary>
    IDestination Create(DestinationSettings settings, DestinationServices services);
}

/// <summary>
/// A configured destination account. Thread-safe; disposed at the end of the command.
/// </summary>
public interface IDestination : IAsyncDisposable
{
    /// <summary>
    /// Checks credentials and the sync against the live schema (fields exist, are writable, types
    /// fit the model columns, the match is a valid key). Returns every problem found; throws
    /// <see cref="DeliveryException"/> only when the service cannot be reached or refuses the credentials.
    /// </summary>
    Task<IReadOnlyList<SyncProblem>> CheckAsync(SyncContext sync, CancellationToken cancellationToken);

    /// <summary>
    /// Prepares delivery of one run's changes (e.g. creates missing attributes, chooses bulk or
    /// single calls from the plan's size) and returns the writer the engine feeds batches to.
    /// </summary>
    Task<IDestinationWriter> OpenAsync(SyncContext sync, PlanCounts plan, CancellationToken cancellationToken);

    /// <summary>
    /// The least time the service's own limits make delivering <paramref name="plan"/> take, and why (which limit and
    /// which calls), when a limit rather than the data dominates; null otherwise. Shown by <c>plan</c> and a run's
    /// progress so a slow run is explained before it starts. No network.
    /// </summary>
    DeliveryEstimate? Estimate(SyncContext sync, PlanCounts plan) => null;
}

/// <summary>A paced delivery: at least <see cref="AtLeast"/>, because of <see cref="Reason"/> (one sentence, no secrets).</summary>
public sealed record DeliveryEstimate(TimeSpan AtLeast, string Reason)
{
    /// <summary>"at least 12 min: 1,200 deletes by single calls at 100 calls a minute".</summary>
    public override string ToString() => $"at least {Describe(AtLeast)}: {Reason}";

    private static string Describe(TimeSpan t) => t switch
    {
        { TotalMinutes: < 1 } => $"{Math.Ceiling(t.TotalSeconds):0} s",
        { TotalHours: < 1 } => $"{Math.Ceiling(t.TotalMinutes):0} min",
        _ => $"{(int)t.TotalHours} h {t.Minutes} min",
    };
}

/// <summary>The number of records a run will send, by operation, so a destination can pick its transport.</summary>
public sealed record PlanCounts(long Creates, long Updates, long Upserts, long Deletes)
{
    public long Total => Creates + Updates + Upserts + Deletes;
}

/// <summary>
/// Delivers the batches of one run. The engine sends at most <see cref="MaxConcurrency"/> batches at
/// once, each of at most <see cref="BatchSize"/> records, and commits each batch's delivered records
/// as soon as its result returns. Retries of throttled or transient calls happen inside the writer
/// (with backoff, honouring Retry-After); a batch that cannot be delivered at all throws
/// <see cref="DeliveryException"/>, which stops the run cleanly after in-flight batches finish.
/// </summary>
public interface IDestinationWriter : IAsyncDisposable
{
    int BatchSize { get; }

    int MaxConcurrency { get; }

    Task<IReadOnlyList<RecordResult>> WriteAsync(DeliveryBatch batch, CancellationToken cancellationToken);

    /// <summary>
    /// Called before anything is sent when an earlier run left writes in doubt (its process died): returns once none of
    /// that run's writes can still land, e.g. after the bulk jobs it left running have finished, so they can neither
    /// overwrite this run's newer values nor appear after reconciliation looked for them. Destinations whose writes
    /// complete within their request have nothing to wait for.
    /// </summary>
    Task SettleInFlightAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// After a crash during an insert batch: looks these records up in the destination (by their match
    /// value) and returns Delivered (with the id) for the ones that were created, NotFound for the rest,
    /// so nothing is created twice. A record found whose id is the record's <see cref="DeliveryRecord.DestinationId"/>
    /// or one of its <see cref="DeliveryRecord.KnownIds"/> is an earlier version, not this insert. Any other outcome
    /// leaves the insert in doubt (not re-sent). Destinations without inserts return NotFound for all.
    /// </summary>
    Task<IReadOnlyList<RecordResult>> ReconcileAsync(DeliveryBatch batch, CancellationToken cancellationToken);
}

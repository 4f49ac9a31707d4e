namespace Sluice.Core.Destinations;

/// <summary>What the engine asks the destination to do with one record.</summary>
public enum RecordOperation
{
    /// <summary>Create a new record (insert mode). Never touch an existing one.</summary>
    Create,

    /// <summary>Update the matching record; report NotFound when there is none; never create.</summary>
    Update,

    /// <summary>Create when missing, update when present.</summary>
    Upsert,

    /// <summary>Delete the record (mirror mode). The record was delivered by Sluice earlier.</summary>
    Delete,
}

/// <summary>
/// One record to deliver. <see cref="Values"/> is aligned with <see cref="DeliveryBatch.Fields"/>
/// (the sync's mappings, in order); values use the .NET types listed on <c>ValueKind</c>, null for SQL NULL.
/// Delete records carry no values. <see cref="DestinationId"/> is the record the ledger holds for this key;
/// <see cref="KnownIds"/> (insert mode) every record Sluice created for it before, so that a lookup after a
/// crash never mistakes an earlier version for this one. <see cref="PreviousMatchValue"/> is the match value the
/// ledger holds for this key when it differs from <see cref="MatchValue"/> (the row's identifier changed, e.g. a new
/// email), as text; null when unchanged or unknown.
/// </summary>
public sealed record DeliveryRecord(
    string Key,
    RecordOperation Operation,
    object? MatchValue,
    object?[] Values,
    string? DestinationId,
    IReadOnlyList<string>? KnownIds = null,
    string? PreviousMatchValue = null);

/// <summary>
/// A batch of records of one sync. Every record must get exactly one <see cref="RecordResult"/>.
/// </summary>
public sealed record DeliveryBatch(
    IReadOnlyList<FieldMapping> Fields,
    IReadOnlyList<DeliveryRecord> Records);

/// <summary>What happened to one record.</summary>
public enum RecordOutcome
{
    /// <summary>The destination acknowledged it. The engine commits it to the ledger.</summary>
    Delivered,

    /// <summary>The destination (or the destination's own checks) refused it. Retried next run.</summary>
    Rejected,

    /// <summary>Update mode found no matching record. Looked for again next run.</summary>
    NotFound,

    /// <summary>Insert mode found the record already there and left it untouched. Committed.</summary>
    Skipped,
}

/// <summary>
/// The result for one record: its key, outcome, the destination's record id when known, and for
/// rejected rows the destination's reason and error code.
/// </summary>
public sealed record RecordResult(
    string Key,
    RecordOutcome Outcome,
    string? DestinationId = null,
    string? Reason = null,
    string? Code = null)
{
    /// <summary>
    /// Whether the record went out in a request to the service. False for a record refused by the destination's own
    /// checks before sending, or found missing by a lookup (update mode) and so never written.
    /// </summary>
    public bool Sent { get; init; } = true;

    /// <summary>Whether the destination looked the record up first (update mode's existence check).</summary>
    public bool LookedUp { get; init; }

    public static RecordResult Delivered(string key, string? destinationId = null) =>
        new(key, RecordOutcome.Delivered, destinationId);

    public static RecordResult Rejected(string key, string reason, string? code = null) =>
        new(key, RecordOutcome.Rejected, null, reason, code);

    public static RecordResult NotFound(string key, string? reason = null) =>
        new(key, RecordOutcome.NotFound, null, reason ?? "no matching record in the destination");

    public static RecordResult Skipped(string key, string? destinationId = null, string? reason = null) =>
        new(key, RecordOutcome.Skipped, destinationId, reason);

    /// <summary>Refused by the destination's own checks: never sent to the service.</summary>
    public static RecordResult RefusedBeforeSending(string key, string reason, string? code = null) =>
        Rejected(key, reason, code) with { Sent = false };
}

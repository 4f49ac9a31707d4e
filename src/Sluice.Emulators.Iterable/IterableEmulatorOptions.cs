namespace Sluice.Emulators.Iterable;

/// <summary>
/// How an emulated Iterable project identifies users (Iterable's "project type"; fixed when a project is created).
/// </summary>
public enum IterableProjectType
{
    /// <summary>Both <c>email</c> and <c>userId</c> are unique identifiers; a request may use either.</summary>
    Hybrid,

    /// <summary><c>userId</c> is the unique identifier; <c>email</c> is an ordinary, non-unique attribute.</summary>
    UserId,

    /// <summary><c>email</c> is the unique identifier; <c>userId</c> is not unique.</summary>
    Email,
}

/// <summary>What bulkUpdate does when a user's value does not match a field's existing type.</summary>
public enum IterableTypeConflictMode
{
    /// <summary>
    /// The whole request fails with HTTP 400 <c>RequestFieldsTypesMismatched</c> and nothing is stored.
    /// </summary>
    WholeRequest,

    /// <summary>Only the offending users fail; they are listed in <c>failedUpdates.invalidDataEmails/UserIds</c>.</summary>
    PerUser,
}

/// <summary>What a JSON <c>null</c> in <c>dataFields</c> does to a stored field (unconfirmed in Iterable's docs).</summary>
public enum IterableNullHandling
{
    /// <summary>The field is kept with a <c>null</c> value (the profile shows <c>"field": null</c>).</summary>
    StoreNull,

    /// <summary>The null is ignored and the stored value is left as it was.</summary>
    Ignore,

    /// <summary>The field is removed from the profile.</summary>
    Remove,
}

/// <summary>Per-endpoint request budgets, in requests per second per project (Iterable's documented limits).</summary>
public sealed class IterableRateLimitOptions
{
    /// <summary><c>POST /api/users/update</c>. Default 500.</summary>
    public double UpdatePerSecond { get; set; } = 500;

    /// <summary><c>POST /api/users/bulkUpdate</c>. Default 5.</summary>
    public double BulkUpdatePerSecond { get; set; } = 5;

    /// <summary>Each of the four user GET endpoints (own budget each). Default 100.</summary>
    public double GetPerSecond { get; set; } = 100;

    /// <summary>Each of the two user DELETE endpoints (own budget each). Default 100.</summary>
    public double DeletePerSecond { get; set; } = 100;

    /// <summary><c>GET /api/users/getFields</c>. Default 3.</summary>
    public double GetFieldsPerSecond { get; set; } = 3;
}

/// <summary>Settings of an <see cref="IterableEmulator"/>. Read once at start, except <see cref="Faults"/>.</summary>
public sealed class IterableEmulatorOptions
{
    /// <summary>TCP port on 127.0.0.1; 0 (the default) picks a free port.</summary>
    public int Port { get; set; }

    /// <summary>
    /// The project's server-side API key, expected in the <c>Api-Key</c> (or <c>Api_Key</c>) header. Required.
    /// </summary>
    public string ApiKey { get; set; } = "";

    /// <summary>Project number used in error texts and <c>validationErrors</c> keys. Default 1234.</summary>
    public int ProjectId { get; set; } = 1234;

    /// <summary>How users are identified. Default <see cref="IterableProjectType.Hybrid"/> (what new accounts get).</summary>
    public IterableProjectType ProjectType { get; set; } = IterableProjectType.Hybrid;

    /// <summary>
    /// The project setting "allow unrecognized fields": when a request does not say <c>createNewFields</c>, unknown
    /// fields are created (true, the default) or dropped and reported in <c>filteredOutFields</c> (false).
    /// </summary>
    public bool AllowNewFields { get; set; } = true;

    /// <summary>
    /// Soft limit of custom user fields per project (nested fields count); a write that would pass it fails with
    /// <c>UniqueFieldsLimitExceeded</c>. Default 1000; null disables the check.
    /// </summary>
    public int? MaxUniqueFields { get; set; } = 1000;

    /// <summary>
    /// Most users one bulkUpdate may carry; more gives HTTP 400 <c>BatchTooLarge</c>. Default 1000 (the count the
    /// docs leave open; third-party clients use 1000). Null disables the check.
    /// </summary>
    public int? MaxUsersPerBulkRequest { get; set; } = 1000;

    /// <summary>
    /// Largest bulkUpdate body in bytes; a larger one gives HTTP 413 <c>BatchTooLarge</c>. Default 4,000,000
    /// ("4 MB", read as decimal megabytes so that a client that passes here also passes a 4 MiB server).
    /// </summary>
    public long MaxBulkBodyBytes { get; set; } = 4_000_000;

    /// <summary>
    /// What bulkUpdate does with a type mismatch. Default <see cref="IterableTypeConflictMode.WholeRequest"/>: the one
    /// production client that handles the case (Block's Go client) expects the whole request to fail with
    /// <c>RequestFieldsTypesMismatched</c> and parses a fixture that looks copied from a real answer, while the
    /// per-user <c>invalidData*</c> lists are only documented for "other bad data".
    /// </summary>
    public IterableTypeConflictMode TypeConflictMode { get; set; } = IterableTypeConflictMode.WholeRequest;

    /// <summary>
    /// Whether an integer is accepted into an existing <c>double</c> field (JSON does not tell 4 from 4.0).
    /// Default true. A fractional number into a <c>long</c> field is always a mismatch.
    /// </summary>
    public bool AcceptIntegersInDoubleFields { get; set; } = true;

    /// <summary>What a JSON <c>null</c> in <c>dataFields</c> does. Default <see cref="IterableNullHandling.StoreNull"/>.</summary>
    public IterableNullHandling NullHandling { get; set; } = IterableNullHandling.StoreNull;

    /// <summary>Type name <c>getFields</c> reports for booleans ("boolean" in the spec example, "Boolean" in the docs). Default "boolean".</summary>
    public string BooleanTypeName { get; set; } = "boolean";

    /// <summary>HTTP status for deleting a user that does not exist (body says "User does not exist"). Default 400.</summary>
    public int DeleteUnknownUserStatus { get; set; } = 400;

    /// <summary>Whether per-endpoint rate limits apply (429 <c>RateLimitExceeded</c>). Default true; switch off for engine benchmarks.</summary>
    public bool RateLimits { get; set; } = true;

    /// <summary>The per-endpoint budgets used when <see cref="RateLimits"/> is on.</summary>
    public IterableRateLimitOptions Limits { get; set; } = new();

    /// <summary>
    /// Whether a rate-limit 429 carries a <c>Retry-After</c> header (seconds until the bucket has room). Iterable's
    /// behaviour is unconfirmed; default false, so clients are tested on the no-header path (backoff) first.
    /// </summary>
    public bool RetryAfterOnThrottle { get; set; }

    /// <summary>
    /// Eventual consistency, as on the real service (Iterable processes profile updates asynchronously and asks for
    /// 60 s before dependent calls): reads of a user written less than this long ago see the state from before the
    /// write. A new user is absent (GET answers <c>{}</c>, DELETE "User does not exist"), an update shows the old
    /// values, a changed email or userId is found under the old one only. Writes always see the latest state.
    /// Default zero (read-your-writes); <c>sluice emulate iterable</c> turns it on.
    /// </summary>
    public TimeSpan ReadAfterWriteDelay { get; set; } = TimeSpan.Zero;

    /// <summary>Injected faults (5xx, 429 bursts, latency, dropped connections). Mutable while running.</summary>
    public FaultOptions Faults { get; set; } = new();

    /// <summary>Clock for rate limits, timestamps and read-after-write lag. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}

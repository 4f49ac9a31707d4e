using System.Text.Json.Nodes;

namespace Sluice.Emulators.Iterable;

/// <summary>The emulated endpoints, for per-endpoint counters.</summary>
public enum IterableEndpoint
{
    /// <summary><c>POST /api/users/update</c></summary>
    Update,

    /// <summary><c>POST /api/users/bulkUpdate</c></summary>
    BulkUpdate,

    /// <summary><c>GET /api/users/{email}</c></summary>
    GetByEmailPath,

    /// <summary><c>GET /api/users/getByEmail?email=</c></summary>
    GetByEmailQuery,

    /// <summary><c>GET /api/users/byUserId/{userId}</c></summary>
    GetByUserIdPath,

    /// <summary><c>GET /api/users/byUserId?userId=</c></summary>
    GetByUserIdQuery,

    /// <summary><c>DELETE /api/users/{email}</c></summary>
    DeleteByEmail,

    /// <summary><c>DELETE /api/users/byUserId/{userId}</c></summary>
    DeleteByUserId,

    /// <summary><c>GET /api/users/getFields</c></summary>
    GetFields,

    /// <summary><c>POST /api/users/updateEmail</c></summary>
    UpdateEmail,
}

/// <summary>A copy of one stored user, for test assertions.</summary>
/// <param name="Email">The user's email, if any.</param>
/// <param name="UserId">The user's userId, if any.</param>
/// <param name="DataFields">Custom profile fields (a copy; identifiers and Iterable-managed fields excluded).</param>
/// <param name="SignupDate">When the user was created.</param>
/// <param name="ProfileUpdatedAt">When the profile last changed.</param>
public sealed record IterableUserSnapshot(
    string? Email,
    string? UserId,
    JsonObject DataFields,
    DateTimeOffset SignupDate,
    DateTimeOffset ProfileUpdatedAt);

/// <summary>A user to pre-load, as if it already existed in the Iterable project.</summary>
/// <param name="Email">Email (required unless the project identifies users by userId, or UserId is given in a hybrid project).</param>
/// <param name="UserId">UserId.</param>
/// <param name="DataFields">Profile fields; their types join the project schema as on a normal write.</param>
public sealed record IterableSeedUser(string? Email, string? UserId = null, JsonObject? DataFields = null);

/// <summary>Counters since start or the last reset.</summary>
public sealed record IterableEmulatorStats
{
    /// <summary>Users currently stored.</summary>
    public long UsersStored { get; init; }

    /// <summary>Fields in the project schema (including built-ins such as email and userId).</summary>
    public long FieldsInSchema { get; init; }

    /// <summary>Requests that reached each endpoint (including ones answered 401, 400 or 429).</summary>
    public required IReadOnlyDictionary<IterableEndpoint, long> Requests { get; init; }

    /// <summary>Users received in accepted write requests, per endpoint (each user of a bulk request counts).</summary>
    public required IReadOnlyDictionary<IterableEndpoint, long> UsersReceived { get; init; }

    /// <summary>Users created by writes.</summary>
    public long UsersCreated { get; init; }

    /// <summary>Existing users changed by writes.</summary>
    public long UsersUpdated { get; init; }

    /// <summary>Users deleted.</summary>
    public long UsersDeleted { get; init; }

    /// <summary>Users whose write was refused (per-user failures and failed single updates).</summary>
    public long UsersFailed { get; init; }

    /// <summary>429 answers from the rate limits.</summary>
    public long RateLimited { get; init; }

    /// <summary>
    /// Requests over an endpoint's documented per-second budget, counted whether or not the limits are enforced
    /// (with limits on, each was answered 429). A client that paces itself keeps this at 0.
    /// </summary>
    public long RateLimitViolations { get; init; }

    /// <summary>429 answers from fault injection.</summary>
    public long InjectedThrottles { get; init; }

    /// <summary>5xx answers from fault injection.</summary>
    public long InjectedErrors { get; init; }

    /// <summary>All 429 answers sent.</summary>
    public long TooManyRequests => RateLimited + InjectedThrottles;
}

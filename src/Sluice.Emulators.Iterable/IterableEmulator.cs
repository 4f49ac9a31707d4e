using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Sluice.Emulators.Iterable;

/// <summary>
/// A local, in-memory copy of Iterable's user-profile API (one project) on 127.0.0.1, with Iterable's identity
/// rules, field typing, limits and error shapes, plus injectable faults and an inspection API.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Iterable (key in <c>Api-Key</c> or <c>Api_Key</c>): <c>POST /api/users/update</c>, <c>POST /api/users/bulkUpdate</c>,
/// <c>GET /api/users/{email}</c>, <c>GET /api/users/getByEmail?email=</c>, <c>GET /api/users/byUserId/{userId}</c>,
/// <c>GET /api/users/byUserId?userId=</c>, <c>DELETE /api/users/{email}</c>, <c>DELETE /api/users/byUserId/{userId}</c>,
/// <c>GET /api/users/getFields</c>.</item>
/// <item>Control (not Iterable, no key): <c>GET /_emulator/stats</c>, <c>POST /_emulator/reset</c>,
/// <c>GET|POST /_emulator/faults</c> (the shared fault vocabulary, see <see cref="FaultSettings"/>),
/// <c>POST /_emulator/users</c> (seed: a JSON array of <c>{email,userId,dataFields}</c>), <c>GET /_emulator/users?id=</c>,
/// <c>POST /_emulator/forget</c> (a JSON array of emails or userIds to GDPR-forget).</item>
/// </list>
/// </remarks>
/// <example>
/// <code>
/// await using var iterable = await IterableEmulator.StartAsync(new IterableEmulatorOptions { ApiKey = "test-key" });
/// // point a client at iterable.BaseUrl (paths start with /api/...), then inspect:
/// iterable.TryGetUser("jane@example.com", out var jane);
/// </code>
/// </example>
public sealed class IterableEmulator : IAsyncDisposable
{
    private readonly EmulatorServer _server;
    private readonly UserStore _store;
    private readonly IterableApi _api;

    private readonly FaultInjector _injector;

    private IterableEmulator(EmulatorServer server, UserStore store, IterableApi api, FaultInjector injector, TimeProvider time)
    {
        TimeProvider = time;
        _server = server;
        _store = store;
        _api = api;
        _injector = injector;
    }

    /// <summary>Root URL, e.g. <c>http://127.0.0.1:5081</c>; Iterable paths start with <c>/api/</c> below it.</summary>
    public Uri BaseUrl => _server.BaseUrl;

    /// <summary>The clock of its rate limits and timestamps (<see cref="IterableEmulatorOptions.TimeProvider"/>).</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>Injected faults; change them while the emulator runs.</summary>
    public FaultOptions Faults => _injector.Options;

    /// <summary>Faults injected since start or the last <see cref="Reset"/>, by kind.</summary>
    public InjectedFaultCounts FaultsInjected => _injector.Counts;

    /// <summary>Users currently stored.</summary>
    public long UserCount => _store.UserCount;

    /// <summary>Starts an emulator. Throws <see cref="ArgumentException"/> listing every invalid option.</summary>
    public static async Task<IterableEmulator> StartAsync(IterableEmulatorOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        var store = new UserStore(options);
        var api = new IterableApi(options, store);
        var injector = new FaultInjector(options.Faults);
        IterableControl? control = null;
        var responder = new ControlAwareResponder(new IterableFaultResponder(store.Counters), () => control);
        var server = await EmulatorServer.StartAsync(options.Port, injector, responder, _ => { }, app =>
        {
            api.Map(app);
            app.Map(IterableControl.Prefix + "/{**rest}", (RequestDelegate)(context => control!.HandleAsync(context)));
        }, ct, options.TimeProvider);
        var emulator = new IterableEmulator(server, store, api, injector, options.TimeProvider);
        control = new IterableControl(emulator, injector);
        return emulator;
    }

    private static void Validate(IterableEmulatorOptions options)
    {
        var problems = new List<string>();
        if (string.IsNullOrEmpty(options.ApiKey))
            problems.Add("ApiKey is required.");
        if (options.Port is < 0 or > 65535)
            problems.Add("Port must be between 0 and 65535.");
        if (options.MaxUsersPerBulkRequest is < 1)
            problems.Add("MaxUsersPerBulkRequest must be at least 1 (or null for no limit).");
        if (options.MaxBulkBodyBytes < 1)
            problems.Add("MaxBulkBodyBytes must be positive.");
        if (options.MaxUniqueFields is < 0)
            problems.Add("MaxUniqueFields must not be negative (or null for no limit).");
        if (options.DeleteUnknownUserStatus is < 400 or > 599)
            problems.Add("DeleteUnknownUserStatus must be a 4xx or 5xx status.");
        if (string.IsNullOrWhiteSpace(options.BooleanTypeName))
            problems.Add("BooleanTypeName must not be empty.");
        if (options.ReadAfterWriteDelay < TimeSpan.Zero)
            problems.Add("ReadAfterWriteDelay must not be negative.");
        var limits = options.Limits;
        if (limits is null)
            problems.Add("Limits must not be null.");
        else if (new[] { limits.UpdatePerSecond, limits.BulkUpdatePerSecond, limits.GetPerSecond, limits.DeletePerSecond, limits.GetFieldsPerSecond }
            .Any(rate => !(rate > 0)))
            problems.Add("Every rate in Limits must be positive.");
        if (options.Faults is null)
            problems.Add("Faults must not be null.");
        if (options.TimeProvider is null)
            problems.Add("TimeProvider must not be null.");
        if (problems.Count > 0)
            throw new ArgumentException("Invalid Iterable emulator options: " + string.Join(" ", problems), nameof(options));
    }

    /// <summary>Looks a stored user up by email, then by userId (ignores the read-after-write lag).</summary>
    public bool TryGetUser(string emailOrUserId, [NotNullWhen(true)] out IterableUserSnapshot? user)
    {
        user = _store.Snapshot(emailOrUserId);
        return user is not null;
    }

    /// <summary>The project's field schema (name to type), as getFields reports it.</summary>
    public IReadOnlyDictionary<string, string> GetFields() => _store.SchemaSnapshot();

    /// <summary>
    /// Pre-loads users that "already exist in Iterable": same identity and typing rules as a write, visible at once,
    /// not counted in the stats. Throws <see cref="ArgumentException"/> naming the first user that is refused.
    /// </summary>
    public void SeedUsers(IEnumerable<IterableSeedUser> users)
    {
        ArgumentNullException.ThrowIfNull(users);
        var index = 0;
        foreach (var user in users)
        {
            var write = new UserWrite(user.Email, user.UserId, user.DataFields is { } fields ? ToElement(fields) : null, false, true);
            var result = _store.Write(write, createNewFields: true, seeded: true);
            if (result.Failure != WriteFailure.None)
                throw new ArgumentException($"Seed user {index} was refused: {result.Failure}.", nameof(users));
            index++;
        }
    }

    // Seeds take the write path of HTTP bodies: their fields as the JSON a client would send.
    private static JsonElement ToElement(JsonObject fields)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
            fields.WriteTo(writer);
        return JsonElement.Parse(buffer.WrittenSpan);
    }

    /// <summary>
    /// GDPR-forgets a user, as Iterable's <c>users/forget</c> does: its data is deleted and later writes naming its
    /// email or userId fail (409 <c>ForgottenUserError</c>; <c>forgottenEmails/UserIds</c> in bulkUpdate).
    /// An identifier with no user is blocked all the same. Returns how many users were deleted.
    /// </summary>
    public int ForgetUser(string emailOrUserId)
    {
        ArgumentException.ThrowIfNullOrEmpty(emailOrUserId);
        return _store.Forget(emailOrUserId);
    }

    /// <summary>Counters since start or the last <see cref="Reset"/>.</summary>
    public IterableEmulatorStats GetStats()
    {
        var counters = _store.Counters;
        var endpoints = Enum.GetValues<IterableEndpoint>();
        return new IterableEmulatorStats
        {
            UsersStored = _store.UserCount,
            FieldsInSchema = _store.FieldCount,
            Requests = endpoints.ToDictionary(e => e, e => Interlocked.Read(ref counters.Requests[(int)e])),
            UsersReceived = endpoints.ToDictionary(e => e, e => Interlocked.Read(ref counters.UsersReceived[(int)e])),
            UsersCreated = Interlocked.Read(ref counters.UsersCreated),
            UsersUpdated = Interlocked.Read(ref counters.UsersUpdated),
            UsersDeleted = Interlocked.Read(ref counters.UsersDeleted),
            UsersFailed = Interlocked.Read(ref counters.UsersFailed),
            RateLimited = Interlocked.Read(ref counters.RateLimited),
            RateLimitViolations = Interlocked.Read(ref counters.RateLimitViolations),
            InjectedThrottles = Interlocked.Read(ref counters.InjectedThrottles),
            InjectedErrors = Interlocked.Read(ref counters.InjectedErrors),
        };
    }

    /// <summary>Clears users, the field schema (back to the built-ins), counters and rate-limit buckets. Faults stay.</summary>
    public void Reset()
    {
        _store.Reset();
        _store.Counters.Reset();
        _injector.ResetCounts();
        _api.RefillBuckets();
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    /// <summary>
    /// The shared fault middleware runs before every endpoint, control plane included; so that a test can always
    /// switch faults off again, a 5xx or 429 that lands on <c>/_emulator/...</c> is served by the control plane instead.
    /// </summary>
    private sealed class ControlAwareResponder(IFaultResponder inner, Func<IterableControl?> control) : IFaultResponder
    {
        public Task WriteServerErrorAsync(HttpContext context) =>
            IterableControl.IsControlPath(context) && control() is { } c ? c.HandleAsync(context) : inner.WriteServerErrorAsync(context);

        public Task WriteThrottledAsync(HttpContext context, int? retryAfterSeconds) =>
            IterableControl.IsControlPath(context) && control() is { } c ? c.HandleAsync(context) : inner.WriteThrottledAsync(context, retryAfterSeconds);
    }
}

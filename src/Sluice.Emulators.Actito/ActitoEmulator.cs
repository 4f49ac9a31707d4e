using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Sluice.Emulators.Actito;

/// <summary>
/// A local copy of the Actito Integration Framework API on 127.0.0.1: API-key tokens, profile table structure
/// (read, create table, add attributes), single-profile CRUD, v4 bulk imports with results, and the documented limits.
/// </summary>
/// <remarks>
/// Routes (each also under a per-API prefix, e.g. <c>/profile-data</c>, <c>/profile-table-structure</c>,
/// <c>/mass-imports</c>, <c>/entities</c>: routing starts at the first <c>v4</c>/<c>v5</c> segment):
/// <list type="bullet">
/// <item><c>GET /auth/token</c> with <c>Authorization: &lt;api key&gt;</c>.</item>
/// <item><c>GET /v5/entities</c>; <c>GET|POST /v5/entities/{e}/profile-tables</c>; <c>GET|PUT /v5/entities/{e}/profile-tables/{nameOrId}</c>
/// (PUT takes a full definition and adds new attributes); <c>POST .../profile-tables/{t}/attributes</c> (one attribute in the GET shape).</item>
/// <item><c>GET /v4/entity/{e}/table</c>, <c>GET /v4/entity/{e}/table/{t}</c>.</item>
/// <item><c>/v4/entity/{e}/table/{t}/profile</c>: POST (<c>?allowUpdate=true</c> or header), GET <c>?search=a=v&amp;number=n</c>;
/// <c>.../profile/{id | attr=value}</c>: GET, PUT (merge), DELETE (204); <c>.../subscription[/{name}]</c>, <c>.../segmentation[/{name}]</c>.</item>
/// <item><c>POST /v4/entity/{e}/table/{t}/import</c>; <c>GET /v4/entity/{e}/import/{id}/result</c> and <c>/result-file</c>.</item>
/// <item>Control (not Actito): <c>GET /_emulator/stats</c>, <c>POST /_emulator/reset</c>, <c>GET|POST /_emulator/faults</c>,
/// <c>POST /_emulator/expire-tokens</c>, <c>POST|GET /_emulator/profiles</c>.</item>
/// </list>
/// </remarks>
public sealed class ActitoEmulator : IAsyncDisposable
{
    private readonly EmulatorServer _server;
    private readonly ActitoEmulatorOptions _options;
    private readonly ActitoStore _store;
    private readonly ActitoApi _api;
    private readonly TokenStore _tokens;
    private readonly Counters _counters;

    private ActitoEmulator(EmulatorServer server, ActitoEmulatorOptions options, ActitoStore store, ActitoApi api, TokenStore tokens, Counters counters)
    {
        _server = server;
        _options = options;
        _store = store;
        _api = api;
        _tokens = tokens;
        _counters = counters;
    }

    /// <summary>Root URL, e.g. <c>http://127.0.0.1:5081/</c>; append <c>auth/token</c>, <c>v4/...</c> or <c>v5/...</c>.</summary>
    public Uri BaseUrl => _server.BaseUrl;

    /// <summary>The injected faults; change them while the emulator runs.</summary>
    public FaultOptions Faults => _options.Faults;

    /// <summary>Starts an emulator. Throws <see cref="ArgumentException"/> listing every problem with the options.</summary>
    public static async Task<ActitoEmulator> StartAsync(ActitoEmulatorOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var store = new ActitoStore(options);
        var tokens = new TokenStore(options.TimeProvider, () => options.TokenLifetime);
        var limits = new Limits(options);
        var counters = new Counters();
        var imports = new ImportService(options, store, limits, counters);
        var injector = new FaultInjector(options.Faults);
        var api = new ActitoApi(options, store, tokens, limits, counters, imports, injector);
        api.OnReset = () =>
        {
            store.Reset();
            imports.Reset();
            limits.Reset();
            counters.Reset();
            injector.ResetCounts();
        };
        var server = await EmulatorServer.StartAsync(
            options.Port,
            injector,
            new ActitoFaultResponder(counters),
            _ => { },
            app => app.Run(api.HandleAsync),
            ct,
            options.TimeProvider);
        return new ActitoEmulator(server, options, store, api, tokens, counters);
    }

    /// <summary>Counters since start or the last reset.</summary>
    public ActitoEmulatorStats GetStats() => _counters.Snapshot();

    /// <summary>Clears all data, imports, quotas and counters; tables return to the configured definitions. Tokens stay valid.</summary>
    public void Reset() => _api.OnReset?.Invoke();

    /// <summary>Makes every issued access token expired: the next call with one gets 401.</summary>
    public void ExpireAllTokens() => _tokens.ExpireAll();

    /// <summary>Number of profiles stored in a table.</summary>
    public int ProfileCount(string table = "Profiles", string? entity = null) => Table(table, entity).Count;

    /// <summary>
    /// All profiles of a table as flat attribute maps (technical attributes included; subscriptions as
    /// <c>subscription:&lt;name&gt;</c> = "true"/"false"), ordered by profileId.
    /// </summary>
    public IReadOnlyList<IReadOnlyDictionary<string, string?>> GetProfiles(string table = "Profiles", string? entity = null) =>
        Table(table, entity).Snapshot();

    /// <summary>Attribute names of a table in definition order (technical attributes first).</summary>
    public IReadOnlyList<string> GetAttributeNames(string table = "Profiles", string? entity = null) =>
        [.. Table(table, entity).Attributes.Ordered.Select(a => a.Name)];

    /// <summary>
    /// Stores a profile "created by someone else" with the API's validation; returns its profileId. Not counted
    /// in <see cref="ActitoEmulatorStats.ProfilesCreated"/>. Throws <see cref="ArgumentException"/> when invalid.
    /// </summary>
    public long SeedProfile(IReadOnlyDictionary<string, string?> attributes, string table = "Profiles", string? entity = null)
    {
        var flat = new JsonObject();
        foreach (var (name, value) in attributes) flat[name] = value;
        var errors = new List<string>();
        var id = _api.Seed(Table(table, entity), new JsonObject { ["attributes"] = flat }, errors);
        return id ?? throw new ArgumentException(string.Join(" ", errors), nameof(attributes));
    }

    private TableState Table(string table, string? entity) =>
        _store.Entity(entity ?? _options.Entities[0])?.Find(table)
        ?? throw new ArgumentException($"Unknown table '{table}' in entity '{entity ?? _options.Entities[0]}'.", nameof(table));

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}

/// <summary>Injected faults in Actito's error shape.</summary>
internal sealed class ActitoFaultResponder(Counters counters) : IFaultResponder
{
    public Task WriteServerErrorAsync(HttpContext context) =>
        ActitoApi.ErrorAsync(context, 500, "Internal server error.");

    public Task WriteThrottledAsync(HttpContext context, int? retryAfterSeconds)
    {
        Interlocked.Increment(ref counters.TooManyRequests);
        if (retryAfterSeconds is { } seconds) context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return ActitoApi.ErrorAsync(context, 429, "Too many requests.");
    }
}

using Microsoft.AspNetCore.Builder;
using Sluice.Emulators.Salesforce.Http;

namespace Sluice.Emulators.Salesforce;

/// <summary>
/// A local Salesforce org over HTTP: OAuth token endpoint, describe, sObject rows and collections, SOQL lookups and
/// Bulk API 2.0 ingest, with Salesforce's limits, error shapes and injected faults. Control and inspection live
/// under <c>/_emulator/</c> (not part of the real API).
/// </summary>
public sealed class SalesforceEmulator : IAsyncDisposable
{
    private readonly EmulatorServer _server;
    private readonly SfState _state;

    private SalesforceEmulator(EmulatorServer server, SfState state)
    {
        _server = server;
        _state = state;
    }

    /// <summary>Root URL, e.g. <c>http://127.0.0.1:5123/</c>; also the <c>instance_url</c> of every token.</summary>
    public Uri BaseUrl => _server.BaseUrl;

    /// <summary>Injected failures, mutable while the emulator runs.</summary>
    public FaultOptions Faults => _state.Faults.Options;

    /// <summary>API calls counted so far (what <c>Sforce-Limit-Info</c> reports).</summary>
    public long ApiUsage => Interlocked.Read(ref _state.Counters.ApiUsage);

    /// <summary>Starts the emulator on 127.0.0.1.</summary>
    public static async Task<SalesforceEmulator> StartAsync(SalesforceEmulatorOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var faults = new FaultInjector(options.Faults);
        var state = new SfState(options, faults);
        var server = await EmulatorServer.StartAsync(
            options.Port,
            faults,
            new SalesforceFaultResponder(() => state),
            _ => { },
            app => Routes.Map(app, state),
            ct,
            options.TimeProvider);
        state.BaseUrl = server.BaseUrl.ToString().TrimEnd('/');
        return new SalesforceEmulator(server, state);
    }

    /// <summary>Invalidates every access token issued so far: the next call with one gets 401 INVALID_SESSION_ID.</summary>
    public void ExpireAllTokens() => _state.Tokens.ExpireAll();

    /// <summary>Deletes all records and bulk jobs and zeroes the counters (tokens stay valid).</summary>
    public void Reset() => _state.Reset();

    /// <summary>Stored records of one object, each as field name → value (string, long, double, bool or null).</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, object?>> GetRecords(string objectName) =>
        [.. _state.Store.All(objectName).Select(r => (IReadOnlyDictionary<string, object?>)new Dictionary<string, object?>(r.Values, StringComparer.OrdinalIgnoreCase))];

    /// <summary>One stored record by id (15 or 18 chars), or null.</summary>
    public IReadOnlyDictionary<string, object?>? GetRecord(string id) =>
        Store.SalesforceId.TryNormalize(id, out var normalized) && _state.Store.Get(normalized) is { } r
            ? new Dictionary<string, object?>(r.Values, StringComparer.OrdinalIgnoreCase)
            : null;

    /// <summary>How many records of one object are stored.</summary>
    public int CountRecords(string objectName) => _state.Store.Count(objectName);

    /// <summary>How many records are stored across all objects.</summary>
    public int TotalRecords => _state.Store.TotalCount();

    /// <summary>Requests, writes, limits and faults seen so far.</summary>
    public SalesforceEmulatorStats GetStats() => Routes.Stats(_state);

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}

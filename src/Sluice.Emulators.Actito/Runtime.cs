using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Sluice.Emulators.Actito;

/// <summary>Access tokens issued by <c>GET /auth/token</c>, each with its expiry.</summary>
internal sealed class TokenStore(TimeProvider time, Func<TimeSpan> lifetime)
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _tokens = new(StringComparer.Ordinal);

    public (string Token, TimeSpan Lifetime) Issue()
    {
        if (_tokens.Count > 10_000)
        {
            var now = time.GetUtcNow();
            foreach (var (token, expiry) in _tokens)
            {
                if (expiry <= now) _tokens.TryRemove(token, out _);
            }
        }
        var value = "emu." + Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
        var life = lifetime();
        _tokens[value] = time.GetUtcNow() + life;
        return (value, life);
    }

    public bool IsValid(string token) =>
        _tokens.TryGetValue(token, out var expiry) && time.GetUtcNow() < expiry;

    /// <summary>Makes every issued token expired (kept, so they answer 401 like a real expired token).</summary>
    public void ExpireAll()
    {
        var past = time.GetUtcNow() - TimeSpan.FromSeconds(1);
        foreach (var token in _tokens.Keys) _tokens[token] = past;
    }

    public void Clear() => _tokens.Clear();
}

/// <summary>The licence-wide limits: concurrent requests, calls per minute (throttled), imports per table per day.</summary>
internal sealed class Limits(ActitoEmulatorOptions options)
{
    private readonly object _minuteGate = new();
    private readonly object _importGate = new();
    private readonly Dictionary<(string Entity, string Table, DateOnly Day), int> _imports = [];
    private int _inFlight;
    private long _minute = long.MinValue;
    private int _callsThisMinute;

    public bool TryEnter()
    {
        if (Interlocked.Increment(ref _inFlight) <= options.MaxConcurrentRequests) return true;
        Interlocked.Decrement(ref _inFlight);
        return false;
    }

    public void Exit() => Interlocked.Decrement(ref _inFlight);

    /// <summary>Counts one call in the current minute; returns how long to delay it (zero under the limit).</summary>
    public TimeSpan CountCall()
    {
        var minute = options.TimeProvider.GetUtcNow().ToUnixTimeSeconds() / 60;
        int over;
        lock (_minuteGate)
        {
            if (minute != _minute)
            {
                _minute = minute;
                _callsThisMinute = 0;
            }
            _callsThisMinute++;
            over = _callsThisMinute - options.CallsPerMinute;
        }
        if (over <= 0) return TimeSpan.Zero;
        var delay = options.ThrottleDelayStep * over;
        return delay > options.MaxThrottleDelay ? options.MaxThrottleDelay : delay;
    }

    /// <summary>Takes one import from the table's daily quota; false when it is used up.</summary>
    public bool TryTakeImport(string entity, string table)
    {
        var day = DateOnly.FromDateTime(options.TimeProvider.GetUtcNow().UtcDateTime);
        lock (_importGate)
        {
            var key = (entity, table, day);
            var used = _imports.GetValueOrDefault(key);
            if (used >= options.MaxImportsPerTablePerDay) return false;
            _imports[key] = used + 1;
            return true;
        }
    }

    public void Reset()
    {
        lock (_minuteGate)
        {
            _minute = long.MinValue;
            _callsThisMinute = 0;
        }
        lock (_importGate) _imports.Clear();
    }
}

/// <summary>Counters for the inspection API. Lock-free increments on the hot path.</summary>
internal sealed class Counters
{
    public readonly ConcurrentDictionary<string, long> Endpoints = new(StringComparer.Ordinal);
    public long Calls;
    public long ThrottledCalls;
    public long TooManyRequests;
    public long ProfilesCreated;
    public long ProfilesUpdated;
    public long ProfilesDeleted;
    public long ImportsRun;
    public long ImportRowsRead;
    public long ImportRowsInError;
    public long AttributesCreated;
    public long TokensIssued;
    public long AuthFailures;
    public long RateLimitViolations;

    public void Hit(string endpoint) => Endpoints.AddOrUpdate(endpoint, 1, static (_, n) => n + 1);

    public void Reset()
    {
        Endpoints.Clear();
        Calls = ThrottledCalls = TooManyRequests = ProfilesCreated = ProfilesUpdated = ProfilesDeleted = 0;
        ImportsRun = ImportRowsRead = ImportRowsInError = AttributesCreated = TokensIssued = AuthFailures = RateLimitViolations = 0;
    }

    public ActitoEmulatorStats Snapshot() => new()
    {
        Calls = Interlocked.Read(ref Calls),
        ThrottledCalls = Interlocked.Read(ref ThrottledCalls),
        TooManyRequests = Interlocked.Read(ref TooManyRequests),
        ProfilesCreated = Interlocked.Read(ref ProfilesCreated),
        ProfilesUpdated = Interlocked.Read(ref ProfilesUpdated),
        ProfilesDeleted = Interlocked.Read(ref ProfilesDeleted),
        ImportsRun = Interlocked.Read(ref ImportsRun),
        ImportRowsRead = Interlocked.Read(ref ImportRowsRead),
        ImportRowsInError = Interlocked.Read(ref ImportRowsInError),
        AttributesCreated = Interlocked.Read(ref AttributesCreated),
        TokensIssued = Interlocked.Read(ref TokensIssued),
        AuthFailures = Interlocked.Read(ref AuthFailures),
        RateLimitViolations = Interlocked.Read(ref RateLimitViolations),
        RequestsPerEndpoint = new SortedDictionary<string, long>(Endpoints, StringComparer.Ordinal),
    };
}

namespace Sluice.Emulators.Actito;

/// <summary>What an <see cref="ActitoEmulator"/> has seen since start or the last reset.</summary>
public sealed record ActitoEmulatorStats
{
    /// <summary>API calls received (everything except <c>/_emulator/...</c>), including rejected ones.</summary>
    public long Calls { get; init; }

    /// <summary>Calls over the per-minute limit that were delayed.</summary>
    public long ThrottledCalls { get; init; }

    /// <summary>429 answers sent: concurrency limit, daily import quota and injected throttle bursts.</summary>
    public long TooManyRequests { get; init; }

    /// <summary>Profiles created through the API (single calls and imports; seeded profiles are not counted).</summary>
    public long ProfilesCreated { get; init; }

    /// <summary>Profiles updated (single calls and imports).</summary>
    public long ProfilesUpdated { get; init; }

    /// <summary>Profiles deleted (single calls and deletion imports).</summary>
    public long ProfilesDeleted { get; init; }

    /// <summary>Bulk imports accepted.</summary>
    public long ImportsRun { get; init; }

    /// <summary>Data lines read by imports.</summary>
    public long ImportRowsRead { get; init; }

    /// <summary>Import lines rejected (listed in result files).</summary>
    public long ImportRowsInError { get; init; }

    /// <summary>Attributes added to tables through the API.</summary>
    public long AttributesCreated { get; init; }

    /// <summary>Access tokens issued.</summary>
    public long TokensIssued { get; init; }

    /// <summary>401 answers (bad key, missing, unknown or expired token).</summary>
    public long AuthFailures { get; init; }

    /// <summary>
    /// Requests over a documented limit (more than the concurrent-call limit, calls past the per-minute limit,
    /// imports past the daily quota of a table), counted whether or not the limits are enforced. A client that
    /// paces itself keeps this at 0.
    /// </summary>
    public long RateLimitViolations { get; init; }

    /// <summary>Requests per endpoint name (e.g. <c>profile.create</c>, <c>import.submit</c>).</summary>
    public IReadOnlyDictionary<string, long> RequestsPerEndpoint { get; init; } = new Dictionary<string, long>();
}

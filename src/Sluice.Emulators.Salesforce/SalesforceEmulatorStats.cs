namespace Sluice.Emulators.Salesforce;

/// <summary>A snapshot of what the emulator has seen since start or the last reset.</summary>
public sealed record SalesforceEmulatorStats
{
    /// <summary>Requests per endpoint, keyed like <c>"PATCH /services/data/v{version}/composite/sobjects"</c>.</summary>
    public required IReadOnlyDictionary<string, long> Requests { get; init; }

    /// <summary>Records created, per object.</summary>
    public required IReadOnlyDictionary<string, long> Created { get; init; }

    /// <summary>Records updated, per object.</summary>
    public required IReadOnlyDictionary<string, long> Updated { get; init; }

    /// <summary>Records deleted, per object.</summary>
    public required IReadOnlyDictionary<string, long> Deleted { get; init; }

    /// <summary>Records stored now, per object.</summary>
    public required IReadOnlyDictionary<string, int> Stored { get; init; }

    /// <summary>Per-record failures reported (collections, single calls and bulk rows).</summary>
    public required long RecordErrors { get; init; }

    /// <summary>API calls counted against <see cref="SalesforceEmulatorOptions.DailyApiLimit"/>.</summary>
    public required long ApiUsage { get; init; }

    /// <summary>403 REQUEST_LIMIT_EXCEEDED answers sent because the daily limit was reached.</summary>
    public required long LimitRefusals { get; init; }

    /// <summary>
    /// Calls over the daily API allocation, counted whether or not <see cref="SalesforceEmulatorOptions.RateLimits"/>
    /// enforces it (with limits on, each was refused). A client that watches Sforce-Limit-Info keeps this at 0.
    /// </summary>
    public required long RateLimitViolations { get; init; }

    /// <summary>Faults injected so far, by kind.</summary>
    public required InjectedFaultCounts FaultsInjected { get; init; }

    /// <summary>Throttle answers sent by fault injection.</summary>
    public required long InjectedThrottles { get; init; }

    /// <summary>5xx answers sent by fault injection.</summary>
    public required long InjectedErrors { get; init; }

    /// <summary>401 INVALID_SESSION_ID answers.</summary>
    public required long AuthFailures { get; init; }

    /// <summary>Access tokens issued.</summary>
    public required long TokensIssued { get; init; }
}

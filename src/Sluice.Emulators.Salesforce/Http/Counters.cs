using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Sluice.Emulators.Salesforce.Http;

/// <summary>Thread-safe counters behind the inspection API and <c>/_emulator/stats</c>.</summary>
internal sealed class Counters
{
    private readonly ConcurrentDictionary<string, StrongBox<long>> _requests = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StrongBox<long>> _created = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, StrongBox<long>> _updated = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, StrongBox<long>> _deleted = new(StringComparer.OrdinalIgnoreCase);
    public long ApiUsage;
    public long LimitRefusals;
    public long RateLimitViolations;
    public long InjectedThrottles;
    public long InjectedErrors;
    public long AuthFailures;
    public long TokensIssued;
    public long RecordErrors;

    public void Request(string key) => Interlocked.Increment(ref _requests.GetOrAdd(key, static _ => new StrongBox<long>()).Value);

    public void Created(string type, long n = 1) => Add(_created, type, n);
    public void Updated(string type, long n = 1) => Add(_updated, type, n);
    public void Deleted(string type, long n = 1) => Add(_deleted, type, n);

    private static void Add(ConcurrentDictionary<string, StrongBox<long>> map, string key, long n)
    {
        if (n != 0)
            Interlocked.Add(ref map.GetOrAdd(key, static _ => new StrongBox<long>()).Value, n);
    }

    public static IReadOnlyDictionary<string, long> Snapshot(ConcurrentDictionary<string, StrongBox<long>> map) =>
        map.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(p => p.Key, p => Interlocked.Read(ref p.Value.Value));

    public IReadOnlyDictionary<string, long> Requests => Snapshot(_requests);
    public IReadOnlyDictionary<string, long> CreatedCounts => Snapshot(_created);
    public IReadOnlyDictionary<string, long> UpdatedCounts => Snapshot(_updated);
    public IReadOnlyDictionary<string, long> DeletedCounts => Snapshot(_deleted);

    public void Reset()
    {
        _requests.Clear();
        _created.Clear();
        _updated.Clear();
        _deleted.Clear();
        Interlocked.Exchange(ref ApiUsage, 0);
        Interlocked.Exchange(ref LimitRefusals, 0);
        Interlocked.Exchange(ref RateLimitViolations, 0);
        Interlocked.Exchange(ref InjectedThrottles, 0);
        Interlocked.Exchange(ref InjectedErrors, 0);
        Interlocked.Exchange(ref AuthFailures, 0);
        Interlocked.Exchange(ref TokensIssued, 0);
        Interlocked.Exchange(ref RecordErrors, 0);
    }
}

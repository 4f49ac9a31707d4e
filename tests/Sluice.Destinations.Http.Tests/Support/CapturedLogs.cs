using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Sluice.Destinations.Tests.Support;

/// <summary>Keeps every log entry with its level and structured values, so tests can read what was reported.</summary>
internal sealed class CapturedLogs : ILoggerFactory, ILogger
{
    public ConcurrentQueue<Entry> Entries { get; } = new();

    /// <summary>The retry reports of the shared policy, in order.</summary>
    public IReadOnlyList<Entry> Retries => [.. Entries.Where(e => e.Values.ContainsKey("WaitSeconds"))];

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var values = state is IEnumerable<KeyValuePair<string, object?>> pairs
            ? pairs.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal)
            : new Dictionary<string, object?>(StringComparer.Ordinal);
        Entries.Enqueue(new Entry(logLevel, formatter(state, exception), values));
    }

    public void Dispose()
    {
    }

    internal sealed record Entry(LogLevel Level, string Message, IReadOnlyDictionary<string, object?> Values)
    {
        public TimeSpan Wait => TimeSpan.FromSeconds((double)Values["WaitSeconds"]!);
    }
}

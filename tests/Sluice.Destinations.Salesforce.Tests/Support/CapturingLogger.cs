using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Sluice.Destinations.Salesforce.Tests.Support;

/// <summary>Keeps every log line a destination writes, so tests can check that no secret ever appears.</summary>
internal sealed class CapturingLoggerFactory : ILoggerFactory, ILoggerProvider, ILogger
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Lines.Enqueue(formatter(state, exception) + (exception is null ? "" : " " + exception));

    public void Dispose()
    {
    }
}

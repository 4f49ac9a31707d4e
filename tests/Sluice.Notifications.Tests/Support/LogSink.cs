using Microsoft.Extensions.Logging;

namespace Sluice.Notifications.Tests.Support;

/// <summary>Keeps every log line written through it, formatted, so tests can read what a user would see.</summary>
internal sealed class LogSink : ILoggerProvider, ILoggerFactory
{
    private readonly List<string> _lines = [];

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines) return [.. _lines];
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Logger(LogSink sink) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (sink._lines) sink._lines.Add($"{logLevel}: {formatter(state, exception)}");
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Sluice.Server.Telemetry;

public sealed class SluiceConsoleFormatterOptions : ConsoleFormatterOptions
{
    /// <summary>One JSON object per line instead of text.</summary>
    public bool Json { get; set; }
}

/// <summary>
/// The server's console lines, with the sync and the run id of the run they were written in (the engine's log scope, or
/// the message's own <c>{Sync}</c> and <c>{RunId}</c>). Other scopes (Quartz's scheduler name, ASP.NET Core's request ids)
/// are left out: they would prefix every line with what the reader does not need; a trace id links a line to its span.
/// </summary>
internal sealed class SluiceConsoleFormatter(IOptionsMonitor<SluiceConsoleFormatterOptions> options, TimeProvider time)
    : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "sluice";

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (message is null && logEntry.Exception is null)
            return;
        var run = new RunFields();
        run.Read(logEntry.State);
        scopeProvider?.ForEachScope(static (scope, fields) => fields.Read(scope), run);
        var at = time.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        if (options.CurrentValue.Json)
            WriteJson(textWriter, at, logEntry.LogLevel, logEntry.Category, message, logEntry.Exception, run);
        else
            WriteText(textWriter, at, logEntry.LogLevel, logEntry.Category, message, logEntry.Exception, run);
    }

    private static void WriteText(TextWriter writer, string at, LogLevel level, string category, string? message, Exception? exception, RunFields run)
    {
        writer.Write(at);
        writer.Write(' ');
        writer.Write(Level(level));
        writer.Write(": ");
        writer.Write(category);
        if (run.Sync is not null)
            writer.Write($" [sync={run.Sync}]");
        if (run.RunId is not null)
            writer.Write($" [run={run.RunId}]");
        writer.Write(' ');
        writer.Write(message?.ReplaceLineEndings(" "));
        writer.WriteLine();
        if (exception is not null)
            writer.WriteLine(exception.ToString());
    }

    private static void WriteJson(TextWriter writer, string at, LogLevel level, string category, string? message, Exception? exception, RunFields run)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("timestamp", at);
            json.WriteString("level", level.ToString().ToLowerInvariant());
            json.WriteString("category", category);
            json.WriteString("message", message);
            if (run.Sync is not null)
                json.WriteString("sync", run.Sync);
            if (run.RunId is not null)
                json.WriteString("run_id", run.RunId);
            if (Activity.Current is { } span)
            {
                json.WriteString("trace_id", span.TraceId.ToHexString());
                json.WriteString("span_id", span.SpanId.ToHexString());
            }
            if (exception is not null)
                json.WriteString("exception", exception.ToString());
            json.WriteEndObject();
        }
        writer.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => "none",
    };

    /// <summary>The run's sync and id, from the innermost place that names them.</summary>
    private sealed class RunFields
    {
        public string? Sync { get; private set; }

        public string? RunId { get; private set; }

        public void Read(object? state)
        {
            if (state is not IReadOnlyList<KeyValuePair<string, object?>> values)
                return;
            foreach (var (key, value) in values)
            {
                if (key == "Sync" && Sync is null && value is not null)
                    Sync = Convert.ToString(value, CultureInfo.InvariantCulture);
                else if (key == "RunId" && RunId is null && value is not null)
                    RunId = Convert.ToString(value, CultureInfo.InvariantCulture);
            }
        }
    }
}

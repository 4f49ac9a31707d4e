using System.Data.Common;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Sluice.Core.State;
using Sluice.Core.Telemetry;

namespace Sluice.Server.Telemetry;

/// <summary>
/// The server's observability: Sluice's spans and metrics (<see cref="SluiceTelemetry"/>) with ASP.NET Core's, HttpClient's
/// and the runtime's, scraped at <c>/metrics</c> (Prometheus) and exported over OTLP when an endpoint is configured;
/// console logs that carry each run's sync and id; <c>/health</c> and <c>/health/live</c> for orchestrators.
/// </summary>
internal static class ServerTelemetry
{
    /// <summary>The standard variable that turns OTLP export on (the SDK reads it and the other OTEL_* variables itself).</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public const string MetricsPath = "/metrics";

    public static void AddSluiceTelemetry(this WebApplicationBuilder builder, ServerOptions options)
    {
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r =>
            {
                if (string.IsNullOrEmpty(builder.Configuration["OTEL_SERVICE_NAME"]))
                    r.AddService("sluice", serviceVersion: typeof(SluiceServer).Assembly.GetName().Version?.ToString());
            })
            .WithTracing(t => t.AddSource(SluiceTelemetry.Name)
                // Scrapes, health probes and the run page's polling would drown the runs' traces.
                .AddAspNetCoreInstrumentation(o => o.Filter = c => c.Request.Path.StartsWithSegments("/api")
                    && !(HttpMethods.IsGet(c.Request.Method) && c.Request.Path.StartsWithSegments("/api/runs")))
                .AddHttpClientInstrumentation())
            .WithMetrics(m => m.AddMeter(SluiceTelemetry.Name)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddPrometheusExporter());
        if (options.OtlpEndpoint is { } endpoint)
            otel.UseOtlpExporter(OtlpExportProtocol.HttpProtobuf, endpoint);
        else if (!string.IsNullOrEmpty(builder.Configuration[OtlpEndpointVariable]))
            otel.UseOtlpExporter(); // endpoint, protocol, headers and intervals from the OTEL_EXPORTER_OTLP_* variables
    }

    /// <summary>The console logs of <c>sluice serve</c>: one line per message (or one JSON object), with the run's sync and id.</summary>
    public static ILoggingBuilder AddSluiceConsole(this ILoggingBuilder logging, LogFormat format) => logging
        .AddConsole(o => o.FormatterName = SluiceConsoleFormatter.FormatterName)
        .AddConsoleFormatter<SluiceConsoleFormatter, SluiceConsoleFormatterOptions>(o => o.Json = format == LogFormat.Json);

    public static void MapSluiceTelemetry(this IEndpointRouteBuilder app)
    {
        // Anonymous like /health: it holds sync names and counts, never a secret; keep the port internal.
        app.MapPrometheusScrapingEndpoint(MetricsPath).AllowAnonymous();
        app.MapGet("/health/live", () => TypedResults.Ok(new { Status = "ok" })).AllowAnonymous().ExcludeFromDescription();
        // Ready when the state answers: a server that cannot read its state cannot run or record a sync.
        app.MapGet("/health", async (SyncRunner runner, ProjectHost project, IStateStore state, ILoggerFactory loggers, CancellationToken ct) =>
        {
            string? problem = null;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                await state.Runs.HistoryAsync(null, 1, timeout.Token);
            }
            catch (Exception e) when (e is StateException or IOException or OperationCanceledException or InvalidOperationException or DbException)
            {
                // The answer is anonymous: it says what is wrong, the log says where and why.
                problem = ct.IsCancellationRequested ? "cancelled" : "the state does not answer";
                loggers.CreateLogger("Sluice.Server.Health").LogWarning("Not ready: the state {Location} does not answer: {Message}", state.Location, e.Message);
            }
            var body = new
            {
                Status = problem is null ? "ok" : "unavailable",
                State = problem ?? "ok",
                Syncs = project.Current.Syncs.Count,
                Running = runner.Active.Count,
                ConfigProblems = project.Problems.Count,
            };
            return problem is null ? Results.Ok(body) : Results.Json(body, statusCode: StatusCodes.Status503ServiceUnavailable);
        }).AllowAnonymous().ExcludeFromDescription();
    }
}

/// <summary>How <c>sluice serve</c> writes its console logs.</summary>
public enum LogFormat
{
    /// <summary>One line per message: time, level, category, the run's sync and id, the message.</summary>
    Text,

    /// <summary>One JSON object per line, for log collectors.</summary>
    Json,
}

using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Sluice.Core.Telemetry;

namespace Sluice.Cli;

/// <summary>
/// The traces and metrics of a `sluice run` (<see cref="SluiceTelemetry"/>'s spans and metrics, with HttpClient's calls to
/// the destinations), exported over OTLP as <c>sluice serve</c> does, when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set; the
/// other <c>OTEL_*</c> variables (protocol, headers, service name) are read by the SDK. Without the variable nothing is
/// started. Disposing flushes what the exporters hold, so a run's spans and its final metrics leave before the process exits.
/// </summary>
internal static class CliTelemetry
{
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>The exporters, or null when no endpoint is configured.</summary>
    public static IDisposable? Start()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(OtlpEndpointVariable)))
            return null;
        var serviceNamed = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_SERVICE_NAME"));
        return OpenTelemetrySdk.Create(otel => otel
            .ConfigureResource(r =>
            {
                if (!serviceNamed)
                    r.AddService("sluice", serviceVersion: typeof(CliTelemetry).Assembly.GetName().Version?.ToString());
            })
            .WithTracing(t => t.AddSource(SluiceTelemetry.Name).AddHttpClientInstrumentation())
            .WithMetrics(m => m.AddMeter(SluiceTelemetry.Name).AddHttpClientInstrumentation())
            .UseOtlpExporter());
    }
}

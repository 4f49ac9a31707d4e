using System.Text;
using Sluice.EndToEnd.Tests.Support;
using Sluice.Server.Tests.Support;

namespace Sluice.EndToEnd.Tests;

/// <summary>`sluice run` exports its traces and metrics over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set, nothing when unset.</summary>
public sealed class CliTelemetryTests
{
    private const string Sync = "customers-to-iterable";

    [Fact]
    public async Task A_run_exports_its_spans_and_metrics_to_the_otlp_endpoint_before_it_exits_and_nothing_without_one()
    {
        await using var collector = await OtlpCollector.StartAsync();
        await using var project = await IterableProject.CreateAsync();
        await project.WriteCustomersAsync(IterableProject.Customers(40));

        var unset = new Dictionary<string, string?> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = null };
        var quiet = await SluiceCommand.RunAsync(project.Directory, unset, "run", Sync);
        Assert.True(quiet.ExitCode == 0, quiet.ToString());
        Assert.Empty(collector.Received("/v1/traces"));
        Assert.Empty(collector.Received("/v1/metrics"));

        await project.WriteCustomersAsync(IterableProject.Customers(60));
        var set = new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Url.ToString().TrimEnd('/'),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            // Longer than the run: what arrives was flushed at exit, not exported on an interval.
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "600000",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "600000",
        };
        var run = await SluiceCommand.RunAsync(project.Directory, set, "run", Sync);
        Assert.True(run.ExitCode == 0, run.ToString());

        // The process has exited: everything it exported is here already.
        var traces = Encoding.UTF8.GetString([.. collector.Received("/v1/traces").SelectMany(b => b)]);
        var metrics = Encoding.UTF8.GetString([.. collector.Received("/v1/metrics").SelectMany(b => b)]);
        // OTLP protobuf keeps strings as UTF-8 bytes: span and metric names and the sync's tag are readable in the bodies.
        Assert.Contains("sluice.run", traces, StringComparison.Ordinal);
        Assert.Contains("sluice.batch", traces, StringComparison.Ordinal);
        Assert.Contains(Sync, traces, StringComparison.Ordinal);
        Assert.Contains("sluice.rows.delivered", metrics, StringComparison.Ordinal);
        Assert.Contains("sluice.run.duration", metrics, StringComparison.Ordinal);
        Assert.Contains(Sync, metrics, StringComparison.Ordinal);
        foreach (var text in new[] { traces, metrics })
        {
            Assert.DoesNotContain(IterableProject.ApiKey, text, StringComparison.Ordinal);
            Assert.DoesNotContain("c41@example.com", text, StringComparison.Ordinal);
        }
    }
}

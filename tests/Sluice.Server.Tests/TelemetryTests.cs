using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Sluice.Core.Telemetry;
using Sluice.Emulators;
using Sluice.Emulators.Iterable;
using Sluice.Server.Tests.Support;

namespace Sluice.Server.Tests;

/// <summary>
/// Traces, metrics and logs of real runs against the real Iterable emulator: spans seen by an <see cref="ActivityListener"/>,
/// OTLP/HTTP received by a real local Kestrel endpoint, <c>/metrics</c> and JSON logs of the real <c>sluice serve</c> binary.
/// The meter and the source are the process's: each test runs a sync of its own name and reads only its series.
/// </summary>
public sealed class TelemetryTests
{
    [Fact]
    public async Task A_run_is_one_span_with_its_phases_and_a_span_per_batch_tagged_without_keys_or_values()
    {
        const string sync = "telemetry-spans";
        var spans = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == SluiceTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Add,
        };
        ActivitySource.AddActivityListener(listener);
        await using var project = await ServerProject.CreateAsync(ServerProject.Sync(sync, "manual"), customers: 30, batchSize: 10);
        await project.StartAsync();

        var runId = await project.RunNowAsync(sync);
        Assert.Equal("succeeded", (await project.WaitForRunAsync(runId))["status"]!.GetValue<string>());

        var run = Assert.Single(spans, s => s.OperationName == "sluice.run" && (string?)s.GetTagItem(SluiceTelemetry.Tags.Sync) == sync);
        Assert.Equal(runId, run.GetTagItem(SluiceTelemetry.Tags.RunId));
        Assert.Equal("succeeded", run.GetTagItem(SluiceTelemetry.Tags.Outcome));
        Assert.Equal("upsert", run.GetTagItem(SluiceTelemetry.Tags.Mode));
        Assert.Equal("iterable", run.GetTagItem(SluiceTelemetry.Tags.DestinationType));
        // Its own trace, linked to the API request that started it.
        Assert.Equal(default, run.ParentSpanId);
        Assert.Single(run.Links);
        var children = spans.Where(s => s.ParentSpanId == run.SpanId).Select(s => s.OperationName).Order().ToList();
        Assert.Equal(["sluice.check", "sluice.deliver", "sluice.plan"], children);
        var deliver = spans.Single(s => s.ParentSpanId == run.SpanId && s.OperationName == "sluice.deliver");
        var batches = spans.Where(s => s.ParentSpanId == deliver.SpanId && s.OperationName == "sluice.batch").ToList();
        Assert.Equal(3, batches.Count); // 30 rows in batches of 10
        Assert.Equal(30, batches.Sum(b => (int)b.GetTagItem(SluiceTelemetry.Tags.BatchRows)!));
        Assert.Equal(26, batches.Sum(b => (long)b.GetTagItem(SluiceTelemetry.Tags.BatchDelivered)!));
        Assert.Equal(4, batches.Sum(b => (long)b.GetTagItem(SluiceTelemetry.Tags.BatchRejected)!));
        var trace = spans.Where(s => s.TraceId == run.TraceId).ToList();
        Assert.All(trace.SelectMany(s => s.TagObjects), t => Assert.DoesNotContain("@example.com", Convert.ToString(t.Value, CultureInfo.InvariantCulture) ?? "",
            StringComparison.Ordinal));
        Assert.All(trace.SelectMany(s => s.TagObjects), t => Assert.DoesNotContain(ServerProject.ApiKey,
            Convert.ToString(t.Value, CultureInfo.InvariantCulture) ?? "", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_an_otlp_endpoint_the_runs_traces_and_metrics_reach_the_collector_over_http()
    {
        const string sync = "telemetry-otlp";
        await using var collector = await OtlpCollector.StartAsync();
        await using var project = await ServerProject.CreateAsync(ServerProject.Sync(sync, "manual"), customers: 30);
        await project.StartAsync(otlp: collector.Url);

        var runId = await project.RunNowAsync(sync);
        Assert.Equal("succeeded", (await project.WaitForRunAsync(runId))["status"]!.GetValue<string>());
        // Stopping the server flushes what its exporters hold: no waiting for an export interval.
        await project.Server!.StopAsync();
        await project.Server.DisposeAsync();

        var traces = collector.Received("/v1/traces");
        var metrics = collector.Received("/v1/metrics");
        Assert.NotEmpty(traces);
        Assert.NotEmpty(metrics);
        // OTLP protobuf keeps strings as UTF-8 bytes: the span and metric names and the sync's tag are readable in the bodies.
        var traceText = Encoding.UTF8.GetString([.. traces.SelectMany(b => b)]);
        var metricText = Encoding.UTF8.GetString([.. metrics.SelectMany(b => b)]);
        Assert.Contains("sluice.run", traceText, StringComparison.Ordinal);
        Assert.Contains("sluice.batch", traceText, StringComparison.Ordinal);
        Assert.Contains(sync, traceText, StringComparison.Ordinal);
        Assert.Contains("sluice.rows.delivered", metricText, StringComparison.Ordinal);
        Assert.Contains("sluice.run.duration", metricText, StringComparison.Ordinal);
        Assert.Contains(sync, metricText, StringComparison.Ordinal);
        foreach (var text in new[] { traceText, metricText })
        {
            Assert.DoesNotContain(ServerProject.ApiKey, text, StringComparison.Ordinal);
            Assert.DoesNotContain(ServerProject.Token, text, StringComparison.Ordinal);
            Assert.DoesNotContain("c1@example.com", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Serve_logs_json_lines_with_the_run_id_and_its_metrics_count_the_rows_and_the_throttled_retries()
    {
        const string sync = "telemetry-serve";
        // Every fourth request is answered 429 (Retry-After: 0), so the run retries and its retry lines are logged during the run.
        var emulator = new IterableEmulatorOptions { Faults = new FaultOptions { ThrottleBurstEvery = 4, ThrottleBurstLength = 1, ThrottleRetryAfterSeconds = 0 } };
        await using var project = await ServerProject.CreateAsync(ServerProject.Sync(sync, "manual"), customers: 30, emulator, batchSize: 5);
        using var process = ServeCommandTests.Start(project.Directory, ServerProject.Token, "--log-format", "json");
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        var lines = new List<string>();
        var url = await ServeCommandTests.ReadAddressAsync(process, lines);
        Assert.True(url is not null, string.Join('\n', lines));
        var reading = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                lock (lines)
                    lines.Add(line);
            }
        });

        using var http = new HttpClient { BaseAddress = url };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ServerProject.Token);
        using var started = await http.PostAsync($"/api/syncs/{sync}/runs", null, TestContext.Current.CancellationToken);
        var runId = JsonNode.Parse(await started.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!["run_id"]!.GetValue<long>();
        JsonNode run;
        do
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
            run = JsonNode.Parse(await http.GetStringAsync($"/api/runs/{runId}", TestContext.Current.CancellationToken))!;
        }
        while (run["status"]!.GetValue<string>() == "running");
        Assert.Equal("succeeded", run["status"]!.GetValue<string>());

        using var anonymous = new HttpClient { BaseAddress = url };
        var scrape = await anonymous.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
            await kill.WaitForExitAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        await reading;
        Assert.Equal(0, process.ExitCode);

        // The scrape: this process ran one run, so its series are exact.
        var counts = run["counts"]!;
        Assert.Equal(1, Sample(scrape, "sluice_runs_total", $"sluice_sync=\"{sync}\"", "sluice_run_outcome=\"succeeded\""));
        Assert.Equal(1, Sample(scrape, "sluice_run_duration_seconds_count", $"sluice_sync=\"{sync}\""));
        // Buckets in seconds up to hours (the advice on the instrument), not the SDK's millisecond defaults.
        Assert.Equal(1, Sample(scrape, "sluice_run_duration_seconds_bucket", $"sluice_sync=\"{sync}\"", "le=\"14400\""));
        Assert.Equal(counts["planned"]!.GetValue<long>(), Sample(scrape, "sluice_rows_planned_total", $"sluice_sync=\"{sync}\""));
        Assert.Equal(counts["sent"]!.GetValue<long>(), Sample(scrape, "sluice_rows_sent_total", $"sluice_sync=\"{sync}\""));
        Assert.Equal(26, Sample(scrape, "sluice_rows_delivered_total", $"sluice_sync=\"{sync}\""));
        Assert.Equal(4, Sample(scrape, "sluice_rows_rejected_total", $"sluice_sync=\"{sync}\"", "sluice_row_reason=\"rejected\""));
        var throttled = Sample(scrape, "sluice_api_throttled_total", "sluice_service=\"iterable\"");
        Assert.True(throttled > 0, scrape);
        Assert.Equal(throttled, Sample(scrape, "sluice_api_retries_total", "sluice_service=\"iterable\"", "sluice_retry_reason=\"throttled\""));
        Assert.Equal(throttled, Sample(scrape, "sluice_api_calls_total", "sluice_service=\"iterable\"", "http_response_status_class=\"4xx\""));
        Assert.True(Sample(scrape, "sluice_api_calls_total", "sluice_service=\"iterable\"", "http_response_status_class=\"2xx\"") >= 6, scrape);

        // The logs: the destination's retry lines name neither the sync nor the run; the run's scope adds both.
        var json = lines.Where(l => l.StartsWith('{')).Select(l => JsonNode.Parse(l)!).ToList();
        var retries = json.Where(j => j["message"]!.GetValue<string>().Contains("retry 1 of", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(retries);
        Assert.All(retries, r =>
        {
            Assert.Equal(sync, r["sync"]?.GetValue<string>());
            Assert.Equal(runId.ToString(CultureInfo.InvariantCulture), r["run_id"]?.GetValue<string>());
            Assert.Equal("Sluice.Destinations.Iterable", r["category"]!.GetValue<string>());
        });
        var all = string.Join('\n', lines) + await stderr;
        Assert.DoesNotContain(ServerProject.ApiKey, all, StringComparison.Ordinal);
        Assert.DoesNotContain(ServerProject.Token, all, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_is_ready_while_the_state_answers_and_503_when_it_does_not_while_liveness_stays_ok()
    {
        await using var project = await ServerProject.CreateAsync(ServerProject.Sync("telemetry-health", "manual"));
        await project.StartAsync();
        using (var ready = await project.Anonymous.GetAsync("/health"))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, ready.StatusCode);
            Assert.Contains("\"state\":\"ok\"", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // The run history's file damaged under the running server: it can no longer record a run.
        await File.WriteAllBytesAsync(project.Service<Core.State.IStateStore>().Location, Encoding.ASCII.GetBytes(new string('x', 4096)));

        using var unready = await project.Anonymous.GetAsync("/health");
        var body = await unready.Content.ReadAsStringAsync();
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, unready.StatusCode);
        Assert.Contains("\"status\":\"unavailable\"", body, StringComparison.Ordinal);
        using var live = await project.Anonymous.GetAsync("/health/live");
        Assert.Equal(System.Net.HttpStatusCode.OK, live.StatusCode);
    }

    /// <summary>The value of the one Prometheus sample of <paramref name="name"/> whose labels include all of <paramref name="labels"/>.</summary>
    private static double Sample(string scrape, string name, params string[] labels)
    {
        var matches = scrape.Split('\n')
            .Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) && labels.All(x => l.Contains(x, StringComparison.Ordinal)))
            .ToList();
        Assert.True(matches.Count == 1, $"{name} {string.Join(',', labels)}: {matches.Count} samples in\n{scrape}");
        var value = matches[0][(matches[0].LastIndexOf('}') + 1)..].Trim().Split(' ')[0];
        return double.Parse(value, CultureInfo.InvariantCulture);
    }
}

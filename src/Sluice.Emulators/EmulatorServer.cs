using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sluice.Emulators;

/// <summary>
/// A running emulator: a Kestrel server on the loopback interface. Dispose it to stop.
/// </summary>
public sealed class EmulatorServer : IAsyncDisposable
{
    private static readonly TimeSpan LatencyStep = TimeSpan.FromMilliseconds(50);

    private readonly WebApplication _app;

    private EmulatorServer(WebApplication app, Uri baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    /// <summary>The root URL clients talk to, e.g. <c>http://127.0.0.1:5081</c> (no trailing slash).</summary>
    public Uri BaseUrl { get; }

    /// <summary>The services of the running app, for emulator-specific state lookups.</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>
    /// Builds and starts an emulator on 127.0.0.1. Port 0 picks a free port.
    /// Faults (latency, 5xx, 429 bursts, dropped connections) run before the emulator's own endpoints;
    /// "apply then drop" and "apply then delay" run the endpoint first, with its answer held back in a buffer.
    /// Delays run on <paramref name="timeProvider"/> (default <see cref="TimeProvider.System"/>).
    /// </summary>
    public static async Task<EmulatorServer> StartAsync(
        int port,
        FaultInjector faults,
        IFaultResponder responder,
        Action<IServiceCollection> configureServices,
        Action<WebApplication> mapEndpoints,
        CancellationToken cancellationToken = default,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(faults);
        ArgumentNullException.ThrowIfNull(responder);
        var time = timeProvider ?? TimeProvider.System;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, port);
            k.Limits.MaxRequestBodySize = 200L * 1024 * 1024;
        });
        builder.Services.AddSingleton(faults);
        configureServices(builder.Services);

        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            // The control plane (/_emulator/...) is never faulted: tests must always be able to switch faults off.
            if (context.Request.Path.StartsWithSegments("/_emulator", StringComparison.Ordinal))
            {
                await next(context);
                return;
            }
            // The latency is read again while a request waits, so lowering it releases requests already held.
            for (var waited = TimeSpan.Zero; faults.Options.Latency - waited is var left && left > TimeSpan.Zero;)
            {
                var step = left < LatencyStep ? left : LatencyStep;
                await Task.Delay(step, time, context.RequestAborted);
                waited += step;
            }
            switch (faults.Next())
            {
                case InjectedFault.ServerError:
                    await responder.WriteServerErrorAsync(context);
                    return;
                case InjectedFault.Throttle:
                    await responder.WriteThrottledAsync(context, faults.Options.ThrottleRetryAfterSeconds);
                    return;
                case InjectedFault.DropConnection:
                    context.Abort();
                    return;
                case InjectedFault.ApplyThenDrop:
                    await ApplyThenAsync(context, next, drop: true, TimeSpan.Zero, time);
                    return;
                case InjectedFault.ApplyThenDelay:
                    await ApplyThenAsync(context, next, drop: false, faults.Options.ApplyThenDelay, time);
                    return;
                default:
                    await next(context);
                    return;
            }
        });
        mapEndpoints(app);
        await app.StartAsync(cancellationToken);

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!
            .Addresses.First();
        return new EmulatorServer(app, new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal)));
    }

    /// <summary>
    /// Runs the endpoint with its answer captured (nothing reaches the socket), then either resets the connection,
    /// so the client never learns that the request was applied, or sends the answer after <paramref name="delay"/>.
    /// </summary>
    private static async Task ApplyThenAsync(HttpContext context, RequestDelegate next, bool drop, TimeSpan delay, TimeProvider time)
    {
        var original = context.Features.Get<IHttpResponseBodyFeature>()!;
        using var buffer = new MemoryStream();
        var captured = new StreamResponseBodyFeature(buffer);
        context.Features.Set<IHttpResponseBodyFeature>(captured);
        try
        {
            await next(context);
            await captured.CompleteAsync();
        }
        finally
        {
            context.Features.Set(original);
        }
        if (drop)
        {
            context.Abort();
            return;
        }
        try
        {
            await Task.Delay(delay, time, context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            // The client gave up (or the server is stopping): the answer is lost, as intended.
            return;
        }
        if (buffer.Length > 0 && context.Response.ContentLength is null)
            context.Response.ContentLength = buffer.Length;
        buffer.Position = 0;
        await buffer.CopyToAsync(original.Stream, context.RequestAborted);
    }

    /// <summary>Waits until the server is stopped (Ctrl+C from the CLI, or cancellation).</summary>
    public async Task WaitForShutdownAsync(CancellationToken cancellationToken)
    {
        // A wait for cancellation, not for time: no clock involved.
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (cancellationToken.Register(() => stopped.TrySetResult()))
            await stopped.Task;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

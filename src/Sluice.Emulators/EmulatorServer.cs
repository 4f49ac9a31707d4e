using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sluice.Emulators;

/// <summary>
/// A running emulator: a Kestrel server on the loopback interface. Dispose it to stop.
/// </summary>
public sealed class EmulatorServer : IAsyncDisposable
{
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
    /// Faults (latency, 5xx, 429 bursts, dropped connections) run before the emulator's own endpoints.
    /// </summary>
    public static async Task<EmulatorServer> StartAsync(
        int port,
        FaultInjector faults,
        IFaultResponder responder,
        Action<IServiceCollection> configureServices,
        Action<WebApplication> mapEndpoints,
        CancellationToken cancellationToken = default)
    {
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
            if (faults.Options.Latency > TimeSpan.Zero)
                await Task.Delay(faults.Options.Latency, context.RequestAborted);
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

    /// <summary>Waits until the server is stopped (Ctrl+C from the CLI, or cancellation).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken) =>
        Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Sluice.Core.Destinations;

/// <summary>
/// What the host gives a destination: HTTP, logging and time. Tests replace the clock; the CLI and the
/// server share one handler so connections are pooled.
/// </summary>
public sealed class DestinationServices
{
    /// <summary>Creates the HttpClient a destination uses (one per destination instance).</summary>
    public Func<HttpClient> HttpClientFactory { get; init; } = () => new HttpClient(new SocketsHttpHandler
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        MaxConnectionsPerServer = 64,
    });

    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    public static DestinationServices Default { get; } = new();
}

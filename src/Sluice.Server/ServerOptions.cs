using Sluice.Core.Configuration;
using Sluice.Core.Destinations;
using Sluice.Core.State;

namespace Sluice.Server;

/// <summary>What <c>sluice serve</c> is given by its host (the CLI or a test): the project, how to open its state, and who may call it.</summary>
public sealed class ServerOptions
{
    /// <summary>The project folder (with sluice.yaml).</summary>
    public required string ProjectDirectory { get; init; }

    /// <summary>The source and destination types this build knows.</summary>
    public required ProjectCatalog Catalog { get; init; }

    /// <summary>Loggers and HTTP plumbing for destinations.</summary>
    public required DestinationServices Services { get; init; }

    /// <summary>
    /// Opens the project's state, whichever store the project's configuration names (embedded today, PostgreSQL when
    /// it lands). The server never picks a store itself, so the CLI and the server always share one.
    /// </summary>
    public required Func<CancellationToken, Task<IStateStore>> OpenState { get; init; }

    /// <summary>The addresses to listen on, such as <c>http://127.0.0.1:5080</c> (port 0: any free port).</summary>
    public IReadOnlyList<string> Urls { get; init; } = ["http://127.0.0.1:5080"];

    /// <summary>The web UI's address as people reach it (behind a proxy), for links in warnings; default: the first listening address.</summary>
    public Uri? PublicUrl { get; init; }

    /// <summary>Bearer tokens accepted by the API and the login page. Secrets: never logged or returned.</summary>
    public required IReadOnlyList<string> Tokens { get; init; }

    /// <summary>Variables for <c>${VAR}</c> in sluice.yaml; default: the process environment (and .env).</summary>
    public IReadOnlyDictionary<string, string?>? Environment { get; init; }

    /// <summary>The clock of the scheduler and of the server's own decisions.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>
    /// Where to send traces and metrics over OTLP/HTTP (protobuf), such as <c>http://collector:4318</c>. When null, the
    /// standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> variable turns the export on; without either nothing is exported.
    /// </summary>
    public Uri? OtlpEndpoint { get; init; }

    /// <summary>How the console logs are written (when the host does not configure logging itself).</summary>
    public Telemetry.LogFormat LogFormat { get; init; } = Telemetry.LogFormat.Text;

    /// <summary>
    /// How often paused syncs are checked (and resumed when the check passes) and <c>not_succeeded_hours</c> is judged for
    /// syncs that do not run.
    /// </summary>
    public TimeSpan CheckInterval { get; init; } = DefaultCheckInterval;

    /// <summary>The default of <see cref="CheckInterval"/>.</summary>
    public static readonly TimeSpan DefaultCheckInterval = TimeSpan.FromMinutes(1);

    /// <summary>Watch sluice.yaml and reload it on change (a bad edit keeps the last good configuration).</summary>
    public bool WatchProject { get; init; } = true;
}

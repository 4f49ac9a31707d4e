using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.OpenApi;
using Quartz;
using Scalar.AspNetCore;
using Sluice.Core.State;
using Sluice.Server.Api;
using Sluice.Server.Auth;
using Sluice.Server.Scheduling;
using Sluice.Server.Telemetry;
using Sluice.State.Postgres;

namespace Sluice.Server;

/// <summary>
/// <c>sluice serve</c>: one ASP.NET Core process that runs the project's syncs on their schedules (Quartz.NET), answers
/// the REST API under <c>/api</c> (OpenAPI document at <c>/openapi/v1.json</c>, browsable at <c>/scalar</c>) and serves
/// the web UI. The state is the host's (<see cref="ServerOptions.OpenState"/>): with the embedded state Quartz keeps its
/// schedule in memory (one worker); with the PostgreSQL state in its clustered ADO.NET store in the same database, so
/// that several workers share the schedule and each firing runs on one of them.
/// </summary>
public sealed class SluiceServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly IStateStore _state;
    private readonly FileStream? _embeddedLock;

    private SluiceServer(WebApplication app, IStateStore state, FileStream? embeddedLock)
    {
        _app = app;
        _state = state;
        _embeddedLock = embeddedLock;
    }

    /// <summary>The addresses the server listens on (with the real port when 0 was asked).</summary>
    public IReadOnlyList<Uri> Urls =>
        _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a)).ToList();

    public IServiceProvider Services => _app.Services;

    /// <summary>
    /// Loads the project (a <see cref="Core.Configuration.ConfigException"/> with every problem when it can't run),
    /// opens the state and starts listening and scheduling.
    /// </summary>
    public static async Task<SluiceServer> StartAsync(ServerOptions options, Action<ILoggingBuilder>? logging = null, CancellationToken ct = default)
    {
        if (options.Tokens.Count == 0 || new TokenSet(options.Tokens).Count == 0)
            throw new ArgumentException("sluice serve needs at least one API token.", nameof(options));
        if (options.CheckInterval <= TimeSpan.Zero)
            throw new ArgumentException($"The check interval is {options.CheckInterval}: give a positive duration.", nameof(options));
        var state = await options.OpenState(ct);
        FileStream? embeddedLock = null;
        try
        {
            // A PostgreSQL state is shared by every worker: Quartz keeps the schedule beside it, clustered. The embedded
            // one keeps it in memory, so a second server there would run every slot again: one server per project.
            var store = state is PostgresState pg ? await pg.OpenSchedulerStoreAsync(ct) : null;
            embeddedLock = store is null ? LockEmbedded(options.ProjectDirectory) : null;
            var app = Build(options, state, store, logging);
            // Loading the project now makes a bad sluice.yaml stop the start with its problems, before anything listens.
            _ = app.Services.GetRequiredService<ProjectHost>();
            await app.StartAsync(ct);
            var server = new SluiceServer(app, state, embeddedLock);
            app.Services.GetRequiredService<SyncRunner>().BaseUrl = options.PublicUrl ?? server.Urls.FirstOrDefault();
            return server;
        }
        catch
        {
            if (embeddedLock is not null)
                await embeddedLock.DisposeAsync();
            await state.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Holds <c>.sluice/serve.lock</c> exclusively for the server's life (on Linux and macOS .NET takes an flock for
    /// <see cref="FileShare.None"/>; the system drops it when the process dies, however it dies).
    /// </summary>
    private static FileStream LockEmbedded(string projectDirectory)
    {
        var folder = Path.Combine(projectDirectory, ".sluice");
        Directory.CreateDirectory(folder);
        try
        {
            return new FileStream(Path.Combine(folder, "serve.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            throw new StateException(
                $"Another `sluice serve` is running on {projectDirectory}: with the embedded state (.sluice/) one server runs a project's " +
                "schedules. Stop that one first, or put the state in PostgreSQL (`state:` in sluice.yaml) to run several workers on one schedule.");
        }
    }

    private static WebApplication Build(ServerOptions options, IStateStore state, SchedulerStore? store, Action<ILoggingBuilder>? logging)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(SluiceServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
            Args = [],
        });
        builder.WebHost.UseUrls([.. options.Urls]);
        builder.Logging.ClearProviders();
        if (logging is null)
            builder.Logging.AddSluiceConsole(options.LogFormat).SetMinimumLevel(LogLevel.Information).AddFilter("Microsoft.AspNetCore", LogLevel.Warning).AddFilter("Quartz", LogLevel.Warning);
        else
            logging(builder.Logging);

        builder.AddSluiceTelemetry(options);
        var services = builder.Services;
        services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(60));
        services.AddSingleton(options);
        services.AddSingleton(options.Time);
        services.AddSingleton(state);
        services.AddSingleton<ProjectHost>();
        services.AddSingleton<SyncRunner>();
        services.AddSingleton<SyncScheduler>();
        services.AddSingleton<ServerQueries>();
        services.AddSingleton<SyncHealth>();
        services.AddSingleton<ServerChecks>();
        services.AddQuartz(q =>
        {
            q.ConfigureScheduler(s =>
            {
                // Clustered workers must share the name (the tables are keyed by it); Quartz 4 keeps schedulers per
                // container, so several servers in one process (the tests) do not collide on it.
                s.InstanceName = store?.SchedulerName ?? "sluice";
                // A stopping server asks running syncs to stop; the runner lets their batches in flight commit first.
                s.ShutdownJobInterruption = ShutdownJobInterruption.WhenWaitingForJobs;
            });
            if (store is null)
                q.UseInMemoryStore();
            else
                q.UsePersistentStore(p => UseClusteredStore(p, store));
            q.UseDefaultThreadPool(pool => pool.MaxConcurrency = Math.Max(2, Environment.ProcessorCount));
            q.UseTimeProvider(options.Time);
        });
        services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        services.AddHostedService(sp => sp.GetRequiredService<SyncScheduler>());
        services.AddHostedService<RunnerLifetime>();
        services.AddHostedService<ProjectWatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<ServerChecks>());

        services.AddProblemDetails();
        services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
        {
            // The API takes a bearer token: say so, so that Scalar asks for one.
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes["Bearer"] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "One of the tokens the server was started with (SLUICE_API_TOKENS or --tokens-file).",
            };
            document.Security ??= [];
            document.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("Bearer", document)] = [] });
            return Task.CompletedTask;
        }));
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        });
        services.AddTokenAuthentication(new TokenSet(options.Tokens));
        services.AddAuthorization();
        services.AddRazorPages(o =>
        {
            o.Conventions.AuthorizeFolder("/");
            o.Conventions.AllowAnonymousToPage("/Login");
        });

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapOpenApi().AllowAnonymous();
        app.MapScalarApiReference().AllowAnonymous();
        app.MapSluiceTelemetry();
        app.MapSluiceApi();
        app.MapRazorPages();
        return app;
    }

    /// <summary>
    /// Quartz's ADO.NET job store on the state database, clustered: each worker checks in every few seconds, and one
    /// that stops checking in (killed) has its firings recovered by another (<see cref="SyncScheduler"/> marks sync jobs
    /// RequestRecovery). Instance ids are generated (host and clock), so two workers on one host differ.
    /// </summary>
    private static void UseClusteredStore(IPersistentStoreBuilder p, SchedulerStore store)
    {
        p.UsePostgres(d => d.ConnectionString = store.ConnectionString);
        p.ConfigureStore(o => o.TablePrefix = store.TablePrefix);
        p.UseSystemTextJsonSerializer();
        p.UseClustering(c =>
        {
            c.CheckinInterval = TimeSpan.FromSeconds(5);
            c.CheckinMisfireThreshold = TimeSpan.FromSeconds(10);
        });
    }

    /// <summary>Aborts the running syncs at once (a second Ctrl+C), without waiting for their batches in flight.</summary>
    public void CancelRuns() => _app.Services.GetRequiredService<SyncRunner>().CancelAll();

    /// <summary>Stops listening, lets the running syncs commit their batches in flight, and closes the state.</summary>
    public async Task StopAsync(CancellationToken ct = default) => await _app.StopAsync(ct);

    /// <summary>Waits until the server stops (Ctrl+C, SIGTERM, or <paramref name="ct"/>).</summary>
    public Task WaitForShutdownAsync(CancellationToken ct) => _app.WaitForShutdownAsync(ct);

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        await _state.DisposeAsync();
        if (_embeddedLock is not null)
            await _embeddedLock.DisposeAsync();
    }

    /// <summary>Stops the runner with the host, so runs started by the API stop cleanly as the scheduler's do.</summary>
    private sealed class RunnerLifetime(SyncRunner runner) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        // The token is the host's shutdown timeout: past it, runs still going are aborted.
        public Task StopAsync(CancellationToken cancellationToken) => runner.StopAsync(cancellationToken);
    }
}

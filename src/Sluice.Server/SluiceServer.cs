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

namespace Sluice.Server;

/// <summary>
/// <c>sluice serve</c>: one ASP.NET Core process that runs the project's syncs on their schedules (Quartz.NET), answers
/// the REST API under <c>/api</c> (OpenAPI document at <c>/openapi/v1.json</c>, browsable at <c>/scalar</c>) and serves
/// the web UI. The state is the host's (<see cref="ServerOptions.OpenState"/>); Quartz keeps its schedule in memory,
/// which is right for the embedded state (one worker).
/// </summary>
public sealed class SluiceServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly IStateStore _state;

    private SluiceServer(WebApplication app, IStateStore state)
    {
        _app = app;
        _state = state;
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
        try
        {
            var app = Build(options, state, logging);
            // Loading the project now makes a bad sluice.yaml stop the start with its problems, before anything listens.
            _ = app.Services.GetRequiredService<ProjectHost>();
            await app.StartAsync(ct);
            var server = new SluiceServer(app, state);
            app.Services.GetRequiredService<SyncRunner>().BaseUrl = options.PublicUrl ?? server.Urls.FirstOrDefault();
            return server;
        }
        catch
        {
            await state.DisposeAsync();
            throw;
        }
    }

    private static WebApplication Build(ServerOptions options, IStateStore state, Action<ILoggingBuilder>? logging)
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
                // Quartz names schedulers process-wide: each server (tests start several in one process) has its own.
                s.InstanceName = $"sluice-{Guid.NewGuid():N}";
                // A stopping server asks running syncs to stop; the engine commits what was acknowledged and records the run.
                s.ShutdownJobInterruption = ShutdownJobInterruption.WhenWaitingForJobs;
            });
            q.UseInMemoryStore();
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

    /// <summary>Stops listening, lets the running syncs stop cleanly and closes the state.</summary>
    public async Task StopAsync(CancellationToken ct = default) => await _app.StopAsync(ct);

    /// <summary>Waits until the server stops (Ctrl+C, SIGTERM, or <paramref name="ct"/>).</summary>
    public Task WaitForShutdownAsync(CancellationToken ct) => _app.WaitForShutdownAsync(ct);

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        await _state.DisposeAsync();
    }

    /// <summary>Stops the runner with the host, so runs started by the API stop cleanly as the scheduler's do.</summary>
    private sealed class RunnerLifetime(SyncRunner runner) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => runner.StopAsync();
    }
}

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Sluice.Core.Configuration;
using Sluice.Core.State;
using Sluice.Engine;

namespace Sluice.Server.Api;

/// <summary>
/// The REST API under <c>/api</c>: every endpoint needs a bearer token (or the UI's login cookie); bad requests and
/// missing things are RFC 7807 problems; no endpoint returns a setting of a source or destination, so none returns a secret.
/// </summary>
internal static class ApiEndpoints
{
    public static void MapSluiceApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").RequireAuthorization().WithTags("syncs");

        api.MapGet("/syncs", async (ServerQueries q, CancellationToken ct) => TypedResults.Ok(await q.SyncsAsync(ct)))
            .WithSummary("Every sync with its schedule, last run, next run and the run in progress.");

        api.MapGet("/syncs/{name}", async Task<Results<Ok<SyncView>, ProblemHttpResult>> (string name, ServerQueries q, CancellationToken ct) =>
                await q.SyncAsync(name, ct) is { } view ? TypedResults.Ok(view) : NoSync(q, name))
            .WithSummary("One sync.");

        api.MapPost("/syncs/{name}/runs", async Task<Results<Accepted<RunStarted>, ProblemHttpResult>> (
                string name, [FromBody] RunRequest? body, ServerQueries q, SyncRunner runner) =>
            {
                if (!q.Project.Syncs.ContainsKey(name))
                    return NoSync(q, name);
                var result = await runner.StartAsync(name, new RunOptions(body?.FullResync ?? false), "api");
                if (result.RunId is { } id)
                    return TypedResults.Accepted($"/api/runs/{id}", new RunStarted(id, name, $"/api/runs/{id}"));
                return result.AlreadyRunning is { } holder
                    ? Problem(StatusCodes.Status409Conflict, $"Sync '{name}' is running already",
                        holder.RunId is { } running ? $"Run {running} is in progress: follow it at /api/runs/{running}." : "A run is starting.")
                    : Problem(StatusCodes.Status409Conflict, $"Sync '{name}' could not start", result.Refused);
            })
            .WithSummary("Run a sync now; answers with the run's id at once (202) while the run goes on. Body: {\"full_resync\": true} sends every row again.");

        api.MapGet("/syncs/{name}/runs", async Task<Results<Ok<IReadOnlyList<RunView>>, ProblemHttpResult>> (
                string name, ServerQueries q, CancellationToken ct, int limit = 50) =>
            {
                if (!q.Project.Syncs.ContainsKey(name))
                    return NoSync(q, name);
                if (limit is < 1 or > 1000)
                    return Invalid("limit", $"limit is {limit}: give a number from 1 to 1000.");
                return TypedResults.Ok(await q.RunsAsync(name, limit, ct));
            })
            .WithSummary("The sync's latest runs, newest first.");

        api.MapGet("/syncs/{name}/plan", async Task<Results<Ok<PlanView>, ProblemHttpResult>> (
                string name, ServerQueries q, CancellationToken ct, bool full_resync = false, int samples = 5) =>
            {
                if (!q.Project.Syncs.TryGetValue(name, out var sync))
                    return NoSync(q, name);
                if (samples is < 0 or > 100)
                    return Invalid("samples", $"samples is {samples}: give a number from 0 to 100.");
                try
                {
                    return TypedResults.Ok(await q.PlanAsync(sync, full_resync, samples, ct));
                }
                catch (ConfigException e)
                {
                    return Problem(StatusCodes.Status422UnprocessableEntity, $"Sync '{name}' cannot be planned",
                        string.Join(" ", e.Problems.Select(p => p.ToString())));
                }
                catch (SyncBusyException e)
                {
                    return Problem(StatusCodes.Status409Conflict, $"Sync '{name}' is running", e.Message);
                }
            })
            .WithSummary("What the next run would send and delete (as `sluice plan`), without sending anything.");

        api.MapPost("/syncs/{name}/resume", async Task<Results<Ok<SyncView>, ProblemHttpResult>> (
                string name, ServerQueries q, SyncHealth health, CancellationToken ct) =>
            {
                if (!q.Project.Syncs.ContainsKey(name))
                    return NoSync(q, name);
                if (await health.ResumeAsync(name, "asked through the API", ct) && await q.SyncAsync(name, ct) is { } view)
                    return TypedResults.Ok(view);
                return await health.PauseOfAsync(name, ct) is { Upstream: { } upstream }
                    ? Problem(StatusCodes.Status409Conflict, $"Sync '{name}' is paused with '{upstream}'",
                        $"It runs after '{upstream}', which is paused: resume that one (POST /api/syncs/{upstream}/resume).")
                    : Problem(StatusCodes.Status409Conflict, $"Sync '{name}' is not paused", "Nothing to resume.");
            })
            .WithSummary("Resume a paused sync now, without waiting for its check (a run that fails the same way pauses it again).");

        api.MapGet("/warnings", async (ServerQueries q, CancellationToken ct) => TypedResults.Ok(await q.WarningsAsync(null, ct)))
            .WithTags("warnings")
            .WithSummary("The warnings in force (started and not cleared) for every sync: since when, and their numbers.");

        api.MapGet("/syncs/{name}/warnings", async Task<Results<Ok<IReadOnlyList<WarningView>>, ProblemHttpResult>> (
                string name, ServerQueries q, CancellationToken ct) =>
                q.Project.Syncs.ContainsKey(name) ? TypedResults.Ok(await q.WarningsAsync(name, ct)) : NoSync(q, name))
            .WithTags("warnings")
            .WithSummary("The sync's warnings in force.");

        api.MapGet("/runs/{id:long}", async Task<Results<Ok<RunView>, ProblemHttpResult>> (long id, ServerQueries q, CancellationToken ct) =>
                await q.RunAsync(id, ct) is { } run ? TypedResults.Ok(run) : NoRun(id))
            .WithSummary("A run with its counts, warnings, error and, while it runs, its progress.");

        api.MapPost("/runs/{id:long}/cancel", async Task<Results<Accepted, ProblemHttpResult>> (long id, ServerQueries q, SyncRunner runner, CancellationToken ct) =>
            {
                if (runner.Cancel(id))
                    return TypedResults.Accepted($"/api/runs/{id}");
                return await q.RunAsync(id, ct) is { } run
                    ? Problem(StatusCodes.Status409Conflict, $"Run {id} is not running here", $"Its status is {run.Status}.")
                    : NoRun(id);
            })
            .WithSummary("Stop a run: acknowledged batches are committed, the rest waits for the next run.");

        api.MapGet("/runs/{id:long}/rejected", async Task<Results<Ok<RejectedPage>, ProblemHttpResult>> (
                long id, ServerQueries q, CancellationToken ct, int page = 1, int page_size = 50, string? key = null) =>
            {
                if (page < 1)
                    return Invalid("page", $"page is {page}: pages start at 1.");
                if (page_size is < 1 or > 500)
                    return Invalid("page_size", $"page_size is {page_size}: give a number from 1 to 500.");
                return await q.RunAsync(id, ct) is { } run ? TypedResults.Ok(await q.RejectedAsync(run, page, page_size, key, ct)) : NoRun(id);
            })
            .WithSummary("The run's rejected rows (key, reason, code) in key order, a page at a time; key= keeps keys containing it.");

        api.MapGet("/config", (ProjectHost project) => TypedResults.Ok(
                new ConfigView(project.LoadedAt, project.Current.Syncs.Count, project.Problems.Select(p => p.ToString()).ToList())))
            .WithSummary("When the running configuration was loaded, and the problems of the last reload (empty when it worked).");

        api.MapPost("/reload", Results<Ok<ConfigView>, ProblemHttpResult> (ProjectHost project) =>
            {
                var problems = project.Reload();
                return problems.Count == 0
                    ? TypedResults.Ok(new ConfigView(project.LoadedAt, project.Current.Syncs.Count, []))
                    : Problem(StatusCodes.Status422UnprocessableEntity, "sluice.yaml has problems; the last good configuration keeps running",
                        string.Join(" ", problems.Select(p => p.ToString())));
            })
            .WithSummary("Read sluice.yaml again now (it is also watched); a bad edit keeps the last good configuration.");
    }

    private static ProblemHttpResult NoSync(ServerQueries q, string name)
    {
        var names = q.Project.Syncs.Keys.Order(StringComparer.Ordinal).ToList();
        var close = Suggestions.Closest(name, names) is { } c ? $"Did you mean '{c}'? " : "";
        return Problem(StatusCodes.Status404NotFound, $"There is no sync named '{name}'",
            close + (names.Count == 0 ? "sluice.yaml declares no syncs." : $"Syncs: {string.Join(", ", names)}."));
    }

    private static ProblemHttpResult NoRun(long id) =>
        Problem(StatusCodes.Status404NotFound, $"There is no run {id}", "GET /api/syncs/{name}/runs lists a sync's runs.");

    private static ProblemHttpResult Invalid(string parameter, string detail) =>
        TypedResults.Problem(new ProblemDetails
        {
            Status = StatusCodes.Status400BadRequest,
            Title = $"The {parameter} parameter is invalid",
            Detail = detail,
            Extensions = { ["parameter"] = parameter },
        });

    private static ProblemHttpResult Problem(int status, string title, string? detail) =>
        TypedResults.Problem(detail, statusCode: status, title: title);
}

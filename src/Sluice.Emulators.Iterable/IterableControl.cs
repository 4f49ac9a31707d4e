using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Sluice.Emulators.Iterable;

/// <summary>
/// The emulator's own control plane under <c>/_emulator/...</c> (not part of Iterable's API, no key needed):
/// stats, reset, faults and seeding, so tests can drive an emulator that runs in another process.
/// </summary>
internal sealed class IterableControl(IterableEmulator emulator, FaultInjector injector)
{
    public const string Prefix = "/_emulator";

    public static bool IsControlPath(HttpContext context) =>
        context.Request.Path.StartsWithSegments(Prefix, StringComparison.Ordinal);

    public async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        var method = context.Request.Method;
        switch (path[Prefix.Length..].TrimEnd('/'))
        {
            case "/stats" when HttpMethods.IsGet(method):
                await IterableResponses.WriteJsonAsync(context, 200, StatsJson(emulator.GetStats()));
                return;
            case "/reset" when HttpMethods.IsPost(method):
                emulator.Reset();
                await IterableResponses.WriteJsonAsync(context, 200, new JsonObject { ["reset"] = true });
                return;
            case "/faults" when HttpMethods.IsGet(method):
                await IterableResponses.WriteJsonAsync(context, 200, FaultsJson(emulator.Faults));
                return;
            case "/faults" when HttpMethods.IsPost(method):
                await SetFaultsAsync(context);
                return;
            case "/users" when HttpMethods.IsPost(method):
                await SeedAsync(context);
                return;
            case "/users" when HttpMethods.IsGet(method):
                await GetUserAsync(context);
                return;
            case "/forget" when HttpMethods.IsPost(method):
                await ForgetAsync(context);
                return;
            default:
                await IterableResponses.WriteJsonAsync(context, 404, new JsonObject
                {
                    ["error"] = "Unknown emulator control endpoint. Try GET /_emulator/stats, POST /_emulator/reset, " +
                        "GET|POST /_emulator/faults, POST /_emulator/users, GET /_emulator/users?id=, POST /_emulator/forget",
                });
                return;
        }
    }

    private static async Task<JsonNode?> ReadAsync(HttpContext context)
    {
        try
        {
            return await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private async Task SetFaultsAsync(HttpContext context)
    {
        var error = FaultSettings.Apply(await ReadAsync(context), injector, bulkJobs: false);
        if (error is not null)
        {
            await IterableResponses.WriteJsonAsync(context, 400, new JsonObject { ["error"] = error });
            return;
        }
        await IterableResponses.WriteJsonAsync(context, 200, FaultsJson(injector.Options));
    }

    private async Task SeedAsync(HttpContext context)
    {
        if (await ReadAsync(context) is not JsonArray body)
        {
            await IterableResponses.WriteJsonAsync(context, 400, new JsonObject { ["error"] = "Expected a JSON array of {email,userId,dataFields}" });
            return;
        }
        var users = new List<IterableSeedUser>(body.Count);
        foreach (var entry in body)
        {
            if (entry is not JsonObject user
                || (user["email"] is { } e && e.GetValueKind() != JsonValueKind.String)
                || (user["userId"] is { } u && u.GetValueKind() != JsonValueKind.String)
                || (user["dataFields"] is { } d && d is not JsonObject))
            {
                await IterableResponses.WriteJsonAsync(context, 400, new JsonObject { ["error"] = $"User {users.Count} is not {{email,userId,dataFields}}" });
                return;
            }
            users.Add(new IterableSeedUser(
                user["email"]?.GetValue<string>(),
                user["userId"]?.GetValue<string>(),
                (JsonObject?)user["dataFields"]?.DeepClone()));
        }
        try
        {
            emulator.SeedUsers(users);
        }
        catch (ArgumentException e)
        {
            await IterableResponses.WriteJsonAsync(context, 400, new JsonObject { ["error"] = e.Message });
            return;
        }
        await IterableResponses.WriteJsonAsync(context, 200, new JsonObject { ["seeded"] = users.Count });
    }

    private async Task ForgetAsync(HttpContext context)
    {
        if (await ReadAsync(context) is not JsonArray body
            || body.Any(id => id is null || id.GetValueKind() != JsonValueKind.String || id.GetValue<string>().Length == 0))
        {
            await IterableResponses.WriteJsonAsync(context, 400, new JsonObject { ["error"] = "Expected a JSON array of emails or userIds" });
            return;
        }
        var deleted = body.Sum(id => emulator.ForgetUser(id!.GetValue<string>()));
        await IterableResponses.WriteJsonAsync(context, 200, new JsonObject { ["forgotten"] = body.Count, ["deleted"] = deleted });
    }

    private async Task GetUserAsync(HttpContext context)
    {
        var id = context.Request.Query["id"].ToString();
        if (!emulator.TryGetUser(id, out var user))
        {
            await IterableResponses.WriteJsonAsync(context, 404, new JsonObject { ["error"] = "No such user" });
            return;
        }
        await IterableResponses.WriteJsonAsync(context, 200, new JsonObject
        {
            ["email"] = user.Email,
            ["userId"] = user.UserId,
            ["dataFields"] = user.DataFields,
        });
    }

    private JsonObject StatsJson(IterableEmulatorStats stats)
    {
        var requests = new JsonObject();
        foreach (var (endpoint, count) in stats.Requests)
            requests[JsonNamingPolicy.CamelCase.ConvertName(endpoint.ToString())] = count;
        var received = new JsonObject();
        foreach (var (endpoint, count) in stats.UsersReceived)
            received[JsonNamingPolicy.CamelCase.ConvertName(endpoint.ToString())] = count;
        return new JsonObject
        {
            ["usersStored"] = stats.UsersStored,
            ["fieldsInSchema"] = stats.FieldsInSchema,
            ["requests"] = requests,
            ["usersReceived"] = received,
            ["usersCreated"] = stats.UsersCreated,
            ["usersUpdated"] = stats.UsersUpdated,
            ["usersDeleted"] = stats.UsersDeleted,
            ["usersFailed"] = stats.UsersFailed,
            ["rateLimited"] = stats.RateLimited,
            ["injectedThrottles"] = stats.InjectedThrottles,
            ["injectedErrors"] = stats.InjectedErrors,
            ["tooManyRequests"] = stats.TooManyRequests,
            ["rateLimitViolations"] = stats.RateLimitViolations,
            ["faultsInjected"] = FaultSettings.CountsJson(injector.Counts),
        };
    }

    private static JsonObject FaultsJson(FaultOptions faults) => FaultSettings.ToJson(faults, bulkJobs: false);
}

using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Sluice.Emulators.Actito;

/// <summary>
/// The HTTP surface. Routing is done by hand on the path suffix that starts at the first <c>v4</c> or <c>v5</c>
/// segment, so both URL styles work: <c>/v4/entity/...</c> and <c>/profile-data/v4/entity/...</c>,
/// <c>/v5/entities/...</c> and <c>/profile-table-structure/v5/entities/...</c>, <c>/mass-imports/v4/...</c>.
/// </summary>
internal sealed partial class ActitoApi(
    ActitoEmulatorOptions options,
    ActitoStore store,
    TokenStore tokens,
    Limits limits,
    Counters counters,
    ImportService imports,
    FaultInjector faults)
{
    private TimeProvider Time => options.TimeProvider;

    public async Task HandleAsync(HttpContext context)
    {
        var segments = (context.Request.Path.Value ?? "/").Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length > 0 && segments[0] == "_emulator")
        {
            await HandleControlAsync(context, segments);
            return;
        }

        Interlocked.Increment(ref counters.Calls);
        // The limits are measured even when not enforced, so a client that would have broken them is still counted.
        var entered = limits.TryEnter();
        if (!entered)
        {
            Interlocked.Increment(ref counters.RateLimitViolations);
            if (options.RateLimits)
            {
                counters.Hit("limit.concurrency");
                await TooManyAsync(context, $"More than {options.MaxConcurrentRequests} concurrent requests.");
                return;
            }
        }
        try
        {
            var delay = limits.CountCall();
            if (delay > TimeSpan.Zero)
            {
                Interlocked.Increment(ref counters.RateLimitViolations);
                if (options.RateLimits)
                {
                    // Over the per-minute limit Actito slows responses down rather than rejecting them.
                    Interlocked.Increment(ref counters.ThrottledCalls);
                    await Task.Delay(delay, Time, context.RequestAborted);
                }
            }
            await RouteAsync(context, segments);
        }
        finally
        {
            if (entered)
                limits.Exit();
        }
    }

    private async Task RouteAsync(HttpContext context, string[] segments)
    {
        var method = context.Request.Method;
        if (segments.Length >= 2 && segments[^2] == "auth" && segments[^1] == "token")
        {
            counters.Hit("auth.token");
            if (!HttpMethods.IsGet(method) && !HttpMethods.IsPost(method))
            {
                await MethodNotAllowedAsync(context);
                return;
            }
            await TokenAsync(context);
            return;
        }

        var start = Array.FindIndex(segments, s => s is "v4" or "v5");
        if (start < 0)
        {
            await ErrorAsync(context, 404, "Unknown resource.");
            return;
        }
        var s = segments.AsSpan(start).ToArray();

        if (!Authenticated(context))
        {
            Interlocked.Increment(ref counters.AuthFailures);
            await ErrorAsync(context, 401, "Missing, invalid or expired access token.");
            return;
        }
        var isFile = s.Length == 6 && s[^1] == "error-file";
        if (!isFile && !AcceptsJson(context))
        {
            await ErrorAsync(context, 406, "The Accept header must allow application/json.");
            return;
        }

        if (s[0] == "v5")
            await RouteV5Async(context, s, method);
        else
            await RouteV4Async(context, s, method);
    }

    private async Task RouteV5Async(HttpContext context, string[] s, string method)
    {
        if (s.Length < 2 || s[1] != "entities")
        {
            await ErrorAsync(context, 404, "Unknown resource.");
            return;
        }
        if (s.Length == 2)
        {
            counters.Hit("entities.list");
            if (!HttpMethods.IsGet(method)) await MethodNotAllowedAsync(context);
            else await ListEntitiesAsync(context);
            return;
        }
        var entity = store.Entity(s[2]);
        if (entity is null)
        {
            await ErrorAsync(context, 404, "Unknown entity.");
            return;
        }
        if (s.Length >= 4 && s[3] == "etl-executions")
        {
            await RouteEtlExecutionsAsync(context, entity, s, method);
            return;
        }
        if (s.Length < 4 || s[3] != "profile-tables" || s.Length > 6)
        {
            await ErrorAsync(context, 404, "Unknown resource.");
            return;
        }
        if (s.Length == 4)
        {
            if (HttpMethods.IsGet(method))
            {
                counters.Hit("tables.list");
                await ListTablesAsync(context, entity);
            }
            else if (HttpMethods.IsPost(method))
            {
                counters.Hit("tables.create");
                await CreateTableAsync(context, entity);
            }
            else await MethodNotAllowedAsync(context);
            return;
        }
        var table = entity.Find(s[4]);
        if (table is null)
        {
            await ErrorAsync(context, 404, "Unknown profile table.");
            return;
        }
        if (s.Length == 5)
        {
            if (HttpMethods.IsGet(method))
            {
                counters.Hit("tables.get");
                await JsonAsync(context, 200, table.DefinitionJson());
            }
            else if (HttpMethods.IsPut(method) || HttpMethods.IsPatch(method))
            {
                counters.Hit("tables.update");
                await UpdateTableAsync(context, table);
            }
            else await MethodNotAllowedAsync(context);
            return;
        }
        if (s[5] != "attributes")
        {
            await ErrorAsync(context, 404, "Unknown resource.");
            return;
        }
        if (HttpMethods.IsPost(method))
        {
            counters.Hit("attributes.create");
            await CreateAttributeAsync(context, table);
        }
        else if (HttpMethods.IsGet(method))
        {
            counters.Hit("attributes.list");
            await JsonAsync(context, 200, new JsonObject { ["attributes"] = table.DefinitionJson()["attributes"]!.DeepClone() });
        }
        else await MethodNotAllowedAsync(context);
    }

    /// <summary>
    /// One-shot ETL executions: <c>POST .../etl-executions</c> (multipart data file + ETL definition),
    /// <c>GET .../etl-executions/{id}</c> (status and report) and <c>GET .../etl-executions/{id}/error-file</c>.
    /// </summary>
    private async Task RouteEtlExecutionsAsync(HttpContext context, EntityState entity, string[] s, string method)
    {
        if (s.Length == 4)
        {
            counters.Hit("etl.execute");
            if (!HttpMethods.IsPost(method)) await MethodNotAllowedAsync(context);
            else await imports.SubmitAsync(context, entity);
            return;
        }
        if (!long.TryParse(s[4], NumberStyles.None, CultureInfo.InvariantCulture, out var executionId) || s.Length > 6
            || (s.Length == 6 && s[5] != "error-file"))
        {
            await ErrorAsync(context, 404, "Unknown resource.");
            return;
        }
        if (!HttpMethods.IsGet(method))
        {
            await MethodNotAllowedAsync(context);
            return;
        }
        if (s.Length == 5)
        {
            counters.Hit("etl.execution");
            await imports.WriteExecutionAsync(context, entity, executionId);
        }
        else
        {
            counters.Hit("etl.errorFile");
            await imports.WriteErrorFileAsync(context, entity, executionId);
        }
    }

    /// <summary>The v4 profile import was removed at the end of June 2025: its routes no longer exist.</summary>
    private Task V4ImportRemovedAsync(HttpContext context)
    {
        counters.Hit("import.v4Removed");
        return ErrorAsync(context, 404,
            "The v4 mass import was removed at the end of June 2025; use POST /mass-imports/v5/entities/{entity}/etl-executions.",
            "V4_IMPORT_REMOVED");
    }

    private async Task RouteV4Async(HttpContext context, string[] s, string method)
    {
        if (s.Length < 3 || s[1] != "entity")
        {
            await ErrorAsync(context, 404, "Unknown resource.");
            return;
        }
        var entity = store.Entity(s[2]);
        if (entity is null)
        {
            await ErrorAsync(context, 404, "Unknown entity.");
            return;
        }
        if (s.Length >= 5 && s[3] == "import")
        {
            await V4ImportRemovedAsync(context);
            return;
        }
        if (s.Length < 4 || s[3] != "table")
        {
            await ErrorAsync(context, 404, "Unknown resource.");
            return;
        }
        if (s.Length == 4)
        {
            counters.Hit("tables.names");
            if (!HttpMethods.IsGet(method)) await MethodNotAllowedAsync(context);
            else
            {
                var names = new JsonArray();
                foreach (var t in entity.Tables) names.Add(new JsonObject { ["name"] = t.Name });
                await JsonAsync(context, 200, new JsonObject { ["tables"] = names });
            }
            return;
        }
        var table = entity.Find(s[4]);
        if (table is null)
        {
            await ErrorAsync(context, 404, "Unknown profile table.");
            return;
        }
        if (s.Length == 5)
        {
            counters.Hit("tables.get");
            if (!HttpMethods.IsGet(method)) await MethodNotAllowedAsync(context);
            else await JsonAsync(context, 200, table.DefinitionJson());
            return;
        }
        if (s[5] == "import" && s.Length == 6)
        {
            await V4ImportRemovedAsync(context);
            return;
        }
        if (s[5] != "profile" || s.Length > 9)
        {
            await ErrorAsync(context, 404, "Unknown resource.");
            return;
        }
        if (s.Length == 6)
        {
            if (HttpMethods.IsPost(method))
            {
                counters.Hit("profile.create");
                await CreateProfileAsync(context, entity, table);
            }
            else if (HttpMethods.IsGet(method))
            {
                counters.Hit("profile.search");
                await SearchProfilesAsync(context, table);
            }
            else await MethodNotAllowedAsync(context);
            return;
        }

        var (profileId, refError) = Resolve(table, s[6]);
        if (s.Length == 7)
        {
            var endpoint = method switch
            {
                "GET" => "profile.get",
                "PUT" or "PATCH" => "profile.update",
                "DELETE" => "profile.delete",
                _ => null,
            };
            if (endpoint is null)
            {
                await MethodNotAllowedAsync(context);
                return;
            }
            counters.Hit(endpoint);
            if (profileId is null)
            {
                await ErrorAsync(context, refError is null ? 404 : 400, refError ?? "Profile not found.");
                return;
            }
            switch (endpoint)
            {
                case "profile.get":
                    if (table.ToJson(profileId.Value) is { } json) await JsonAsync(context, 200, json);
                    else await ErrorAsync(context, 404, "Profile not found.");
                    break;
                case "profile.update":
                    await UpdateProfileAsync(context, table, profileId.Value);
                    break;
                default:
                    if (table.Delete(profileId.Value))
                    {
                        Interlocked.Increment(ref counters.ProfilesDeleted);
                        context.Response.StatusCode = 204;
                    }
                    else await ErrorAsync(context, 404, "Profile not found.");
                    break;
            }
            return;
        }

        await SubResourceAsync(context, table, profileId, refError, s, method);
    }

    private async Task SubResourceAsync(HttpContext context, TableState table, long? profileId, string? refError, string[] s, string method)
    {
        var kind = s[7];
        if (kind is not ("subscription" or "subscriptions" or "segmentation" or "segmentations"))
        {
            await ErrorAsync(context, 404, "Unknown resource.");
            return;
        }
        var isSubscription = kind.StartsWith("subscription", StringComparison.Ordinal);
        counters.Hit(isSubscription ? "profile.subscription" : "profile.segmentation");
        if (profileId is null)
        {
            await ErrorAsync(context, refError is null ? 404 : 400, refError ?? "Profile not found.");
            return;
        }
        if (s.Length == 8)
        {
            if (!HttpMethods.IsGet(method))
            {
                await MethodNotAllowedAsync(context);
                return;
            }
            var json = table.ToJson(profileId.Value);
            if (json is null) await ErrorAsync(context, 404, "Profile not found.");
            else if (isSubscription) await JsonAsync(context, 200, new JsonObject { ["subscriptions"] = json["subscriptions"]!.DeepClone() });
            else await JsonAsync(context, 200, new JsonObject { ["segmentations"] = json["segmentations"]!.DeepClone() });
            return;
        }
        var name = s[8];
        bool on;
        if (isSubscription && (HttpMethods.IsPost(method) || HttpMethods.IsPut(method))) on = true;
        else if (!isSubscription && (HttpMethods.IsPut(method) || HttpMethods.IsPost(method))) on = true;
        else if (HttpMethods.IsDelete(method)) on = false;
        else
        {
            await MethodNotAllowedAsync(context);
            return;
        }
        if (isSubscription && !table.HasSubscription(name))
        {
            await ErrorAsync(context, 404, "Unknown subscription.");
            return;
        }
        // A segment is addressed by name; the category comes from ?category= when given.
        var category = context.Request.Query["category"].ToString();
        var now = Now();
        var found = table.WithProfile(profileId.Value, profile =>
        {
            if (isSubscription) profile.Subscriptions[name] = on;
            else if (on) profile.Segments.Add((category, name));
            else profile.Segments.RemoveWhere(x => x.Name == name);
            profile.UpdateMoment = now;
        });
        if (!found) await ErrorAsync(context, 404, "Profile not found.");
        else context.Response.StatusCode = 204;
    }

    /// <summary>A profile reference from the path: a numeric id or <c>attribute=value</c> on a unique attribute.</summary>
    private static (long? Id, string? Error) Resolve(TableState table, string reference)
    {
        var eq = reference.IndexOf('=', StringComparison.Ordinal);
        if (eq < 0)
        {
            return long.TryParse(reference, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
                ? (id, null)
                : (null, "A profile is addressed by its numeric id or by attribute=value.");
        }
        var attribute = reference[..eq];
        var value = reference[(eq + 1)..];
        if (!table.Attributes.ByName.TryGetValue(attribute, out var spec))
            return (null, $"Unknown attribute '{attribute}'.");
        if (!spec.Unique)
            return (null, $"Attribute '{attribute}' is not unique and cannot address a profile.");
        var ids = table.Find(attribute, value, 1);
        return ids.Count == 1 ? (ids[0], null) : (null, null);
    }

    private async Task TokenAsync(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (header.Length == 0 || !FixedEquals(header, options.ApiKey))
        {
            Interlocked.Increment(ref counters.AuthFailures);
            await ErrorAsync(context, 401, "Invalid API key.");
            return;
        }
        var (token, lifetime) = tokens.Issue();
        Interlocked.Increment(ref counters.TokensIssued);
        await JsonAsync(context, 200, new JsonObject
        {
            ["accessToken"] = token,
            ["tokenType"] = "bearer",
            ["expiresIn"] = ((long)lifetime.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s",
            ["scope"] = "read write",
            ["jti"] = Guid.NewGuid().ToString(),
        });
    }

    private static bool FixedEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));

    private bool Authenticated(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        return header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) && tokens.IsValid(header[scheme.Length..].Trim());
    }

    private static bool AcceptsJson(HttpContext context)
    {
        var accept = context.Request.Headers.Accept;
        if (accept.Count == 0 || string.IsNullOrWhiteSpace(accept.ToString())) return true;
        if (!MediaTypeHeaderValue.TryParseList(accept, out var types)) return false;
        foreach (var type in types)
        {
            var media = type.MediaType.Value ?? "";
            if (media is "*/*" or "application/*" or "application/json" || media.EndsWith("+json", StringComparison.OrdinalIgnoreCase))
                return true;
        }
        return false;
    }

    private async Task ListEntitiesAsync(HttpContext context)
    {
        var list = new JsonArray();
        foreach (var entity in store.Entities.OrderBy(e => e.Id))
            list.Add(new JsonObject { ["id"] = entity.Id, ["name"] = entity.Name, ["comment"] = null });
        await JsonAsync(context, 200, new JsonObject { ["entities"] = list });
    }

    private async Task ListTablesAsync(HttpContext context, EntityState entity)
    {
        var namesOnly = context.Request.Query["fields"].ToString().Split(',').Contains("name") &&
                        !context.Request.Query["fields"].ToString().Contains("attributes", StringComparison.Ordinal);
        var list = new JsonArray();
        foreach (var table in entity.Tables)
        {
            list.Add(namesOnly ? new JsonObject { ["name"] = table.Name } : table.DefinitionJson());
        }
        if (options.WrapProfileTableList) await JsonAsync(context, 200, new JsonObject { ["profileTables"] = list });
        else await JsonAsync(context, 200, list);
    }

    private async Task CreateTableAsync(HttpContext context, EntityState entity)
    {
        var body = await ReadJsonAsync(context);
        if (body is not JsonObject obj || obj["name"] is not JsonValue nameNode || !nameNode.TryGetValue<string>(out var name) ||
            string.IsNullOrWhiteSpace(name))
        {
            await ErrorAsync(context, 400, "A table definition needs a 'name'.");
            return;
        }
        if (obj.ContainsKey("id"))
        {
            await ErrorAsync(context, 400, "A new table definition must not contain 'id'.");
            return;
        }
        var errors = new List<string>();
        var specs = ReadAttributes(obj["attributes"], errors, rejectTechnical: true);
        var subscriptions = ReadSubscriptionNames(obj["subscriptions"]);
        if (errors.Count > 0)
        {
            await ErrorAsync(context, 400, string.Join(" ", errors));
            return;
        }
        var table = new TableState(store.NextTableId(), name, specs, subscriptions);
        if (!entity.TryAdd(table))
        {
            await ErrorAsync(context, 400, $"Table '{name}' already exists.");
            return;
        }
        context.Response.Headers.Location = $"{context.Request.Path.Value!.TrimEnd('/')}/{table.Id}";
        await JsonAsync(context, 201, new JsonObject { ["id"] = table.Id, ["name"] = table.Name });
    }

    private async Task UpdateTableAsync(HttpContext context, TableState table)
    {
        var body = await ReadJsonAsync(context);
        if (body is not JsonObject obj)
        {
            await ErrorAsync(context, 400, "The body must be a table definition object.");
            return;
        }
        if (obj["name"] is JsonValue n && n.TryGetValue<string>(out var name) && name != table.Name)
        {
            await ErrorAsync(context, 400, "A table cannot be renamed.");
            return;
        }
        var errors = new List<string>();
        var specs = ReadAttributes(obj["attributes"], errors, rejectTechnical: false);
        if (errors.Count == 0)
        {
            var before = table.Attributes.Ordered.Count;
            errors.AddRange(table.ApplyDefinition(specs, ReadSubscriptionNames(obj["subscriptions"])));
            Interlocked.Add(ref counters.AttributesCreated, table.Attributes.Ordered.Count - before);
        }
        if (errors.Count > 0)
        {
            await ErrorAsync(context, 400, string.Join(" ", errors));
            return;
        }
        await JsonAsync(context, 200, table.DefinitionJson());
    }

    private async Task CreateAttributeAsync(HttpContext context, TableState table)
    {
        var body = await ReadJsonAsync(context);
        var spec = AttributeRules.FromJson(body, out var error);
        error ??= spec is null ? "Invalid attribute." : AttributeRules.CheckDefinition(spec);
        if (error is null && spec!.Mandatory && table.Count > 0)
            error = $"Attribute '{spec.Name}' cannot be mandatory: the table already holds profiles without a value.";
        error ??= table.AddAttribute(spec!);
        if (error is not null)
        {
            await ErrorAsync(context, 400, error);
            return;
        }
        Interlocked.Increment(ref counters.AttributesCreated);
        await JsonAsync(context, 201, AttributeRules.ToJson(spec!));
    }

    private static List<AttributeSpec> ReadAttributes(JsonNode? node, List<string> errors, bool rejectTechnical)
    {
        var specs = new List<AttributeSpec>();
        if (node is null) return specs;
        if (node is not JsonArray array)
        {
            errors.Add("'attributes' must be an array.");
            return specs;
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in array)
        {
            var spec = AttributeRules.FromJson(item, out var error);
            if (spec is null)
            {
                errors.Add(error!);
                continue;
            }
            if (spec.IsTechnical)
            {
                if (rejectTechnical) errors.Add($"A new table definition must not contain the technical attribute '{spec.Name}'.");
                continue;
            }
            if (!names.Add(spec.Name))
            {
                errors.Add($"Attribute '{spec.Name}' appears twice.");
                continue;
            }
            if (rejectTechnical && AttributeRules.CheckDefinition(spec) is { } problem) errors.Add(problem);
            specs.Add(spec);
        }
        return specs;
    }

    private static List<string> ReadSubscriptionNames(JsonNode? node)
    {
        var names = new List<string>();
        if (node is not JsonArray array) return names;
        foreach (var item in array)
        {
            var name = item is JsonObject o ? o["name"] : item;
            if (name is JsonValue v && v.TryGetValue<string>(out var s) && !string.IsNullOrWhiteSpace(s)) names.Add(s);
        }
        return names;
    }

    private async Task CreateProfileAsync(HttpContext context, EntityState entity, TableState table)
    {
        var allowUpdate = IsTrue(context.Request.Query["allowUpdate"].ToString()) ||
                          IsTrue(context.Request.Headers["allowUpdate"].ToString());
        var body = await ReadJsonAsync(context);
        var errors = new List<string>();
        var change = ProfileJson.Read(body, table, errors);
        if (errors.Count > 0)
        {
            await ErrorAsync(context, 400, string.Join(" ", errors));
            return;
        }
        var outcome = table.Write(change, allowUpdate ? WriteMode.CreateOrUpdate : WriteMode.CreateOnly, null, null, store.NextProfileId, Now());
        switch (outcome.Status)
        {
            case WriteStatus.Created:
                Interlocked.Increment(ref counters.ProfilesCreated);
                if (options.CreatedStatusCode == 201)
                    context.Response.Headers.Location = $"/v4/entity/{entity.Name}/table/{table.Name}/profile/{outcome.ProfileId}";
                await JsonAsync(context, options.CreatedStatusCode, new JsonObject { ["profileId"] = outcome.ProfileId });
                break;
            case WriteStatus.Updated:
                Interlocked.Increment(ref counters.ProfilesUpdated);
                await JsonAsync(context, 200, new JsonObject { ["profileId"] = outcome.ProfileId });
                break;
            case WriteStatus.AlreadyExists or WriteStatus.Conflict:
                await ErrorAsync(context, options.DuplicateProfileStatusCode, outcome.Message!, outcome.Code);
                break;
            default:
                await ErrorAsync(context, 400, outcome.Message!, outcome.Code);
                break;
        }
    }

    private async Task UpdateProfileAsync(HttpContext context, TableState table, long profileId)
    {
        var body = await ReadJsonAsync(context);
        var errors = new List<string>();
        var change = ProfileJson.Read(body, table, errors);
        if (errors.Count > 0)
        {
            await ErrorAsync(context, 400, string.Join(" ", errors));
            return;
        }
        var outcome = table.Write(change, WriteMode.UpdateOnly, profileId, null, store.NextProfileId, Now());
        switch (outcome.Status)
        {
            case WriteStatus.Updated:
                Interlocked.Increment(ref counters.ProfilesUpdated);
                await JsonAsync(context, 200, new JsonObject { ["profileId"] = outcome.ProfileId });
                break;
            case WriteStatus.NotFound:
                await ErrorAsync(context, 404, "Profile not found.");
                break;
            case WriteStatus.Conflict:
                await ErrorAsync(context, options.DuplicateProfileStatusCode, outcome.Message!, outcome.Code);
                break;
            default:
                await ErrorAsync(context, 400, outcome.Message!, outcome.Code);
                break;
        }
    }

    private async Task SearchProfilesAsync(HttpContext context, TableState table)
    {
        var number = 10;
        var numberText = context.Request.Query["number"].ToString();
        if (numberText.Length > 0 && (!int.TryParse(numberText, NumberStyles.None, CultureInfo.InvariantCulture, out number) || number <= 0))
        {
            await ErrorAsync(context, 400, "'number' must be a positive integer.");
            return;
        }
        number = Math.Min(number, 1000);
        var search = context.Request.Query["search"].ToString();
        List<long> ids;
        if (search.Length == 0)
        {
            ids = table.Ids(number);
        }
        else
        {
            var eq = search.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                await ErrorAsync(context, 400, "'search' must have the form attribute=value.");
                return;
            }
            var attribute = search[..eq];
            if (!table.Attributes.ByName.ContainsKey(attribute))
            {
                await ErrorAsync(context, 400, $"Unknown attribute '{attribute}'.");
                return;
            }
            ids = table.Find(attribute, search[(eq + 1)..], number);
        }
        var profiles = new JsonArray();
        foreach (var id in ids)
        {
            if (table.ToJson(id) is { } json) profiles.Add(json);
        }
        await JsonAsync(context, 200, new JsonObject { ["profiles"] = profiles });
    }

    private static bool IsTrue(string value) => value.Equals("true", StringComparison.OrdinalIgnoreCase);

    private string Now() => options.TimeProvider.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    internal static async Task<JsonNode?> ReadJsonAsync(HttpContext context)
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

    internal static async Task JsonAsync(HttpContext context, int status, JsonNode body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }

    internal static Task ErrorAsync(HttpContext context, int status, string message, string? code = null)
    {
        var body = new JsonObject { ["status"] = status, ["message"] = message };
        if (code is not null) body["errorCode"] = code;
        return JsonAsync(context, status, body);
    }

    private Task MethodNotAllowedAsync(HttpContext context) => ErrorAsync(context, 405, "Method not allowed on this resource.");

    internal async Task TooManyAsync(HttpContext context, string message)
    {
        Interlocked.Increment(ref counters.TooManyRequests);
        await ErrorAsync(context, 429, message);
    }
}

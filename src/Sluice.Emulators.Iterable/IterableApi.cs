using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace Sluice.Emulators.Iterable;

/// <summary>The emulated <c>/api/users/...</c> endpoints.</summary>
internal sealed class IterableApi
{
    private readonly IterableEmulatorOptions _options;
    private readonly UserStore _store;
    private readonly Counters _counters;
    private readonly byte[] _apiKey;
    private readonly TokenBucket[] _buckets;

    public IterableApi(IterableEmulatorOptions options, UserStore store)
    {
        _options = options;
        _store = store;
        _counters = store.Counters;
        _apiKey = Encoding.UTF8.GetBytes(options.ApiKey);
        var limits = options.Limits;
        _buckets = Enum.GetValues<IterableEndpoint>()
            .Select(endpoint => new TokenBucket(endpoint switch
            {
                IterableEndpoint.Update => limits.UpdatePerSecond,
                IterableEndpoint.BulkUpdate => limits.BulkUpdatePerSecond,
                IterableEndpoint.DeleteByEmail or IterableEndpoint.DeleteByUserId => limits.DeletePerSecond,
                IterableEndpoint.GetFields => limits.GetFieldsPerSecond,
                _ => limits.GetPerSecond,
            }, options.TimeProvider))
            .ToArray();
    }

    public void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/api/users/update", (RequestDelegate)UpdateAsync);
        app.MapPost("/api/users/bulkUpdate", (RequestDelegate)BulkUpdateAsync);
        app.MapGet("/api/users/getFields", (RequestDelegate)GetFieldsAsync);
        app.MapGet("/api/users/getByEmail", context =>
            GetAsync(context, IterableEndpoint.GetByEmailQuery, context.Request.Query["email"].ToString(), byEmail: true));
        app.MapGet("/api/users/byUserId", context =>
            GetAsync(context, IterableEndpoint.GetByUserIdQuery, context.Request.Query["userId"].ToString(), byEmail: false));
        app.MapGet("/api/users/byUserId/{userId}", context =>
            GetAsync(context, IterableEndpoint.GetByUserIdPath, LastPathSegment(context), byEmail: false));
        app.MapGet("/api/users/{email}", context =>
            GetAsync(context, IterableEndpoint.GetByEmailPath, LastPathSegment(context), byEmail: true));
        app.MapDelete("/api/users/byUserId/{userId}", context =>
            DeleteAsync(context, IterableEndpoint.DeleteByUserId, LastPathSegment(context), byEmail: false));
        app.MapDelete("/api/users/{email}", context =>
            DeleteAsync(context, IterableEndpoint.DeleteByEmail, LastPathSegment(context), byEmail: true));
    }

    public void RefillBuckets()
    {
        foreach (var bucket in _buckets)
            bucket.Refill();
    }

    /// <summary>Counts the request, checks the key, then the endpoint's budget. False when already answered.</summary>
    private async ValueTask<bool> AdmitAsync(HttpContext context, IterableEndpoint endpoint)
    {
        Interlocked.Increment(ref _counters.Requests[(int)endpoint]);
        if (!KeyMatches(context.Request.Headers))
        {
            await IterableResponses.BadApiKeyAsync(context);
            return false;
        }
        if (_options.RateLimits && !_buckets[(int)endpoint].TryTake(out var wait))
        {
            Interlocked.Increment(ref _counters.RateLimited);
            await IterableResponses.RateLimitedAsync(context, _options.RetryAfterOnThrottle ? wait : null);
            return false;
        }
        return true;
    }

    private bool KeyMatches(IHeaderDictionary headers)
    {
        var key = headers["Api-Key"].ToString();
        if (key.Length == 0)
            key = headers["Api_Key"].ToString();
        return key.Length > 0 && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(key), _apiKey);
    }

    // The raw (still encoded) last segment, so an email containing an encoded '/' survives routing intact.
    private static string LastPathSegment(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "";
        var query = raw.IndexOf('?', StringComparison.Ordinal);
        if (query >= 0)
            raw = raw[..query];
        return Uri.UnescapeDataString(raw[(raw.LastIndexOf('/') + 1)..]);
    }

    private static async Task<(JsonNode? Json, bool TooLarge, bool Malformed)> ReadJsonAsync(HttpContext context, long maxBytes)
    {
        if (context.Request.ContentLength > maxBytes)
            return (null, true, false);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > maxBytes)
                return (null, true, false);
        }
        try
        {
            buffer.Position = 0;
            var json = JsonNode.Parse(buffer);
            // Materialise now so duplicate keys or bad nesting surface as BadJsonBody, not later.
            if (json is JsonObject obj)
                _ = obj.Count;
            return (json, false, false);
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            return (null, false, true);
        }
    }

    private static bool TryParseUser(JsonObject body, out UserWrite write, out string error)
    {
        write = null!;
        if (!TryText(body, "email", out var email) || !TryText(body, "userId", out var userId))
        {
            error = "email and userId must be strings";
            return false;
        }
        JsonObject? dataFields = null;
        if (body["dataFields"] is { } fields)
        {
            if (fields is not JsonObject fieldsObject)
            {
                error = "dataFields must be an object";
                return false;
            }
            dataFields = fieldsObject;
        }
        if (!TryFlag(body, "mergeNestedObjects", out var merge) || !TryFlag(body, "preferUserId", out var prefer))
        {
            error = "mergeNestedObjects and preferUserId must be booleans";
            return false;
        }
        write = new UserWrite(email, userId, dataFields, merge ?? false, prefer ?? false);
        error = "";
        return true;
    }

    private static bool TryText(JsonObject body, string name, out string? value)
    {
        value = null;
        if (body[name] is not { } node)
            return true;
        if (node.GetValueKind() != JsonValueKind.String)
            return false;
        value = node.GetValue<string>();
        return true;
    }

    private static bool TryFlag(JsonObject body, string name, out bool? value)
    {
        value = null;
        if (body[name] is not { } node)
            return true;
        if (node.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
            return false;
        value = node.GetValue<bool>();
        return true;
    }

    private async Task UpdateAsync(HttpContext context)
    {
        if (!await AdmitAsync(context, IterableEndpoint.Update))
            return;
        var (json, _, malformed) = await ReadJsonAsync(context, long.MaxValue);
        if (malformed || json is not JsonObject body)
        {
            await IterableResponses.BadJsonAsync(context);
            return;
        }
        if (!TryParseUser(body, out var write, out var error) || !TryFlag(body, "createNewFields", out var createNew))
        {
            await IterableResponses.BadParamsAsync(context, error.Length > 0 ? error : "createNewFields must be a boolean");
            return;
        }
        Interlocked.Increment(ref _counters.UsersReceived[(int)IterableEndpoint.Update]);
        var result = _store.Write(write, createNew ?? _options.AllowNewFields);
        Count(result);
        if (result.Failure == WriteFailure.None)
        {
            await IterableResponses.WriteEnvelopeAsync(context, StatusCodes.Status200OK, "Success", "User update requested");
            return;
        }
        var (status, body2) = result.Failure switch
        {
            WriteFailure.MissingIdentifier => (400, IterableResponses.Envelope("BadParams",
                _options.ProjectType == IterableProjectType.UserId
                    ? "userId is required in a userID-based project"
                    : "Either email or userId must be provided")),
            WriteFailure.InvalidEmail => (400, IterableResponses.Envelope("InvalidEmailAddressError", $"Invalid email: {result.ReportedId}")),
            WriteFailure.InvalidUserId => (400, IterableResponses.Envelope("InvalidUserIdError", $"Invalid userId: {result.ReportedId}")),
            WriteFailure.IdentityMismatch => (409, IterableResponses.Envelope("ExternalKeyConflict",
                "The email and userId in the request belong to different users")),
            WriteFailure.EmailTaken => (409, IterableResponses.Envelope("EmailAlreadyExists", "Another user already has this email")),
            WriteFailure.UserIdTaken => (409, IterableResponses.Envelope("UserIdAlreadyExists", "Another user already has this userId")),
            WriteFailure.UnknownUserId => (400, IterableResponses.Envelope("UnknownUserIdError",
                "No user exists with this userId; send an email or preferUserId=true to create one")),
            WriteFailure.TypeMismatch => (400, IterableResponses.TypeMismatch(_options.ProjectId, result.Conflicts!)),
            WriteFailure.Forgotten => (409, IterableResponses.Envelope("ForgottenUserError",
                "This user has been forgotten (GDPR) and cannot be updated")),
            _ => (400, IterableResponses.Envelope("UniqueFieldsLimitExceeded",
                $"Project {_options.ProjectId} would exceed its limit of {_options.MaxUniqueFields} unique user fields")),
        };
        await IterableResponses.WriteJsonAsync(context, status, body2);
    }

    private void Count(WriteResult result)
    {
        if (result.Failure != WriteFailure.None)
            Interlocked.Increment(ref _counters.UsersFailed);
        else if (result.UserCreated)
            Interlocked.Increment(ref _counters.UsersCreated);
        else
            Interlocked.Increment(ref _counters.UsersUpdated);
    }

    private async Task BulkUpdateAsync(HttpContext context)
    {
        if (!await AdmitAsync(context, IterableEndpoint.BulkUpdate))
            return;
        var (json, tooLarge, malformed) = await ReadJsonAsync(context, _options.MaxBulkBodyBytes);
        if (tooLarge)
        {
            await IterableResponses.WriteEnvelopeAsync(context, StatusCodes.Status413PayloadTooLarge, "BatchTooLarge",
                $"Request body is larger than the limit of {_options.MaxBulkBodyBytes} bytes");
            return;
        }
        if (malformed || json is not JsonObject body)
        {
            await IterableResponses.BadJsonAsync(context);
            return;
        }
        if (body["users"] is not JsonArray users)
        {
            await IterableResponses.BadParamsAsync(context, "users is required and must be an array");
            return;
        }
        if (_options.MaxUsersPerBulkRequest is { } max && users.Count > max)
        {
            await IterableResponses.WriteEnvelopeAsync(context, StatusCodes.Status400BadRequest, "BatchTooLarge",
                $"Too many users in one request: {users.Count} (the limit is {max})");
            return;
        }
        if (!TryFlag(body, "createNewFields", out var createNew))
        {
            await IterableResponses.BadParamsAsync(context, "createNewFields must be a boolean");
            return;
        }
        var writes = new List<UserWrite>(users.Count);
        foreach (var entry in users)
        {
            if (entry is not JsonObject user)
            {
                await IterableResponses.BadParamsAsync(context, "Each entry of users must be an object");
                return;
            }
            if (!TryParseUser(user, out var write, out var error))
            {
                await IterableResponses.BadParamsAsync(context, error);
                return;
            }
            writes.Add(write);
        }
        Interlocked.Add(ref _counters.UsersReceived[(int)IterableEndpoint.BulkUpdate], writes.Count);

        var (conflicts, results) = _store.WriteBulk(writes, createNew ?? _options.AllowNewFields,
            _options.TypeConflictMode == IterableTypeConflictMode.WholeRequest);
        if (conflicts is not null)
        {
            Interlocked.Add(ref _counters.UsersFailed, writes.Count);
            await IterableResponses.WriteJsonAsync(context, StatusCodes.Status400BadRequest,
                IterableResponses.TypeMismatch(_options.ProjectId, conflicts));
            return;
        }
        await IterableResponses.WriteJsonAsync(context, StatusCodes.Status200OK, BulkResponse(results!));
    }

    private JsonObject BulkResponse(WriteResult[] results)
    {
        string[] listNames =
        [
            "invalidEmails", "invalidUserIds", "notFoundEmails", "notFoundUserIds", "forgottenEmails",
            "forgottenUserIds", "conflictEmails", "conflictUserIds", "invalidDataEmails", "invalidDataUserIds",
        ];
        var lists = listNames.ToDictionary(name => name, _ => new JsonArray(), StringComparer.Ordinal);
        var created = new List<string>();
        var createdSet = new HashSet<string>(StringComparer.Ordinal);
        var filtered = new List<string>();
        var filteredSet = new HashSet<string>(StringComparer.Ordinal);
        var successes = 0;
        foreach (var result in results)
        {
            Count(result);
            foreach (var name in result.FilteredOut ?? [])
            {
                if (filteredSet.Add(name))
                    filtered.Add(name);
            }
            if (result.Failure == WriteFailure.None)
            {
                successes++;
                foreach (var name in result.Created ?? [])
                {
                    if (createdSet.Add(name))
                        created.Add(name);
                }
                continue;
            }
            var id = result.ReportedId ?? "";
            var asEmail = result.ReportedIdIsEmail;
            var list = result.Failure switch
            {
                WriteFailure.MissingIdentifier => "invalidUserIds",
                WriteFailure.InvalidEmail => "invalidEmails",
                WriteFailure.InvalidUserId => "invalidUserIds",
                WriteFailure.EmailTaken => "conflictEmails",
                WriteFailure.UserIdTaken => "conflictUserIds",
                WriteFailure.IdentityMismatch => asEmail ? "conflictEmails" : "conflictUserIds",
                WriteFailure.UnknownUserId => "notFoundUserIds",
                WriteFailure.Forgotten => asEmail ? "forgottenEmails" : "forgottenUserIds",
                _ => asEmail ? "invalidDataEmails" : "invalidDataUserIds",
            };
            if (result.Failure == WriteFailure.MissingIdentifier)
                id = "";
            lists[list].Add(id);
        }
        var failedUpdates = new JsonObject();
        foreach (var name in listNames)
            failedUpdates[name] = lists[name];
        return new JsonObject
        {
            ["successCount"] = successes,
            ["failCount"] = results.Length - successes,
            ["invalidEmails"] = lists["invalidEmails"].DeepClone(),
            ["invalidUserIds"] = lists["invalidUserIds"].DeepClone(),
            ["failedUpdates"] = failedUpdates,
            ["createdFields"] = new JsonArray(created.Select(name => (JsonNode?)name).ToArray()),
            ["filteredOutFields"] = new JsonArray(filtered.Select(name => (JsonNode?)name).ToArray()),
        };
    }

    private async Task GetAsync(HttpContext context, IterableEndpoint endpoint, string key, bool byEmail)
    {
        if (!await AdmitAsync(context, endpoint))
            return;
        if (key.Length == 0)
        {
            await IterableResponses.BadParamsAsync(context, byEmail ? "email is required" : "userId is required");
            return;
        }
        var user = _store.Render(key, byEmail);
        // Iterable answers an unknown user with 200 and an empty object, not 404.
        await IterableResponses.WriteJsonAsync(context, StatusCodes.Status200OK,
            user is null ? new JsonObject() : new JsonObject { ["user"] = user });
    }

    private async Task DeleteAsync(HttpContext context, IterableEndpoint endpoint, string key, bool byEmail)
    {
        if (!await AdmitAsync(context, endpoint))
            return;
        if (byEmail && _options.ProjectType == IterableProjectType.UserId)
        {
            await IterableResponses.BadParamsAsync(context,
                "Deleting by email is not available in userID-based projects; delete by userId");
            return;
        }
        var deleted = key.Length == 0 ? 0 : _store.Delete(key, byEmail);
        if (deleted == 0)
        {
            await IterableResponses.WriteEnvelopeAsync(context, _options.DeleteUnknownUserStatus, "BadParams",
                "User does not exist");
            return;
        }
        Interlocked.Add(ref _counters.UsersDeleted, deleted);
        await IterableResponses.WriteEnvelopeAsync(context, StatusCodes.Status200OK, "Success", "User deletion requested");
    }

    private async Task GetFieldsAsync(HttpContext context)
    {
        if (!await AdmitAsync(context, IterableEndpoint.GetFields))
            return;
        var fields = new JsonObject();
        foreach (var (name, type) in _store.SchemaSnapshot())
            fields[name] = type;
        await IterableResponses.WriteJsonAsync(context, StatusCodes.Status200OK, new JsonObject { ["fields"] = fields });
    }
}

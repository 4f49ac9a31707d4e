using System.Buffers;
using System.Runtime.CompilerServices;
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
    // Duplicate property names anywhere in a body are malformed JSON (BadJsonBody), neither last-wins nor a 500.
    private static readonly JsonDocumentOptions ParseOptions = new() { AllowDuplicateProperties = false };

    private readonly IterableEmulatorOptions _options;
    private readonly UserStore _store;
    private readonly Counters _counters;
    private readonly byte[] _apiKey;
    private readonly TokenBucket[] _buckets;
    private readonly SemaphoreSlim _bulkGate = new(1, 1);

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
                IterableEndpoint.Update or IterableEndpoint.UpdateEmail => limits.UpdatePerSecond,
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
        app.MapPost("/api/users/updateEmail", (RequestDelegate)UpdateEmailAsync);
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
        // The budget is checked even with limits off, so a client that would have been refused is still counted.
        if (!_buckets[(int)endpoint].TryTake(out var wait))
        {
            Interlocked.Increment(ref _counters.RateLimitViolations);
            if (!_options.RateLimits)
                return true;
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

    /// <summary>
    /// Reads and parses the body into a self-contained element (its own copy of the bytes, so values can be stored as
    /// they are). Walking elements instead of a JsonNode tree keeps bulkUpdate cheap per user; the read buffer is
    /// pooled because bulk bodies are large enough to land on the large-object heap.
    /// </summary>
    private static async Task<(JsonElement? Json, bool TooLarge, bool Malformed)> ReadJsonAsync(HttpContext context, long maxBytes)
    {
        var declared = context.Request.ContentLength;
        if (declared > maxBytes)
            return (null, true, false);
        var buffer = ArrayPool<byte>.Shared.Rent(declared is > 0 and <= 64 * 1024 * 1024 ? (int)declared + 1 : 64 * 1024);
        try
        {
            var length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
                var read = await context.Request.Body.ReadAsync(buffer.AsMemory(length), context.RequestAborted);
                if (read == 0)
                    break;
                length += read;
                if (length > maxBytes)
                    return (null, true, false);
            }
            var bytes = buffer.AsSpan(0, length);
            if (bytes.StartsWith(Utf8Bom))
                bytes = bytes[Utf8Bom.Length..];
            try
            {
                return (JsonElement.Parse(bytes, ParseOptions), false, false);
            }
            catch (JsonException)
            {
                return (null, false, true);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    // Hot paths of bulkUpdate are compiled fully optimised at once: a freshly started emulator would otherwise
    // run its first hundred thousand users through unoptimised (tier-0) code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool TryParseUsers(JsonElement users, int count, out List<UserWrite> writes, out string error)
    {
        writes = new List<UserWrite>(count);
        foreach (var user in users.EnumerateArray())
        {
            if (user.ValueKind != JsonValueKind.Object)
            {
                error = "Each entry of users must be an object";
                return false;
            }
            if (!TryParseUser(user, out var write, out error))
                return false;
            writes.Add(write);
        }
        error = "";
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool TryParseUser(JsonElement body, out UserWrite write, out string error)
    {
        write = null!;
        string? email = null;
        string? userId = null;
        JsonElement? dataFields = null;
        bool? merge = null;
        bool? prefer = null;
        var badText = false;
        var badFlag = false;
        var badFields = false;
        // One pass over the user's properties (names are unique: duplicates were refused when parsing).
        foreach (var property in body.EnumerateObject())
        {
            if (property.NameEquals("email"u8))
                badText |= !TryText(property.Value, out email);
            else if (property.NameEquals("userId"u8))
                badText |= !TryText(property.Value, out userId);
            else if (property.NameEquals("dataFields"u8))
            {
                if (property.Value.ValueKind == JsonValueKind.Object)
                    dataFields = property.Value;
                else if (property.Value.ValueKind != JsonValueKind.Null)
                    badFields = true;
            }
            else if (property.NameEquals("mergeNestedObjects"u8))
                badFlag |= !TryFlag(property.Value, out merge);
            else if (property.NameEquals("preferUserId"u8))
                badFlag |= !TryFlag(property.Value, out prefer);
        }
        if (badText)
        {
            error = "email and userId must be strings";
            return false;
        }
        if (badFields)
        {
            error = "dataFields must be an object";
            return false;
        }
        if (badFlag)
        {
            error = "mergeNestedObjects and preferUserId must be booleans";
            return false;
        }
        write = new UserWrite(email, userId, dataFields, merge ?? false, prefer ?? false);
        error = "";
        return true;
    }

    /// <summary>A string, or null when absent or JSON null; false for any other kind.</summary>
    private static bool TryText(JsonElement node, out string? value)
    {
        value = null;
        if (node.ValueKind == JsonValueKind.Null)
            return true;
        if (node.ValueKind != JsonValueKind.String)
            return false;
        value = node.GetString();
        return true;
    }

    /// <summary>A boolean, or null when absent or JSON null; false for any other kind.</summary>
    private static bool TryFlag(JsonElement node, out bool? value)
    {
        value = null;
        switch (node.ValueKind)
        {
            case JsonValueKind.Null:
                return true;
            case JsonValueKind.True:
            case JsonValueKind.False:
                value = node.GetBoolean();
                return true;
            default:
                return false;
        }
    }

    private static bool TryFlag(JsonElement body, string name, out bool? value)
    {
        value = null;
        return !body.TryGetProperty(name, out var node) || TryFlag(node, out value);
    }

    private async Task UpdateAsync(HttpContext context)
    {
        if (!await AdmitAsync(context, IterableEndpoint.Update))
            return;
        var (json, _, malformed) = await ReadJsonAsync(context, long.MaxValue);
        if (malformed || json is not { ValueKind: JsonValueKind.Object } body)
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

    // Errors and texts from Iterable's "Updating a User's Email Address" article; the statuses are inferred (the spec
    // declares 409 for updateEmail conflicts).
    private async Task UpdateEmailAsync(HttpContext context)
    {
        if (!await AdmitAsync(context, IterableEndpoint.UpdateEmail))
            return;
        var (json, _, malformed) = await ReadJsonAsync(context, long.MaxValue);
        if (malformed || json is not { ValueKind: JsonValueKind.Object } body)
        {
            await IterableResponses.BadJsonAsync(context);
            return;
        }
        string? currentEmail = null, currentUserId = null, newEmail = null;
        var typed = (!body.TryGetProperty("currentEmail", out var ce) || TryText(ce, out currentEmail))
                    & (!body.TryGetProperty("currentUserId", out var cu) || TryText(cu, out currentUserId))
                    & (!body.TryGetProperty("newEmail", out var ne) || TryText(ne, out newEmail));
        if (!typed || string.IsNullOrEmpty(newEmail) || (string.IsNullOrEmpty(currentEmail) && string.IsNullOrEmpty(currentUserId)))
        {
            await IterableResponses.BadParamsAsync(context, "newEmail and one of currentEmail or currentUserId are required");
            return;
        }
        if (string.IsNullOrEmpty(currentEmail))
            currentEmail = null;
        var failure = _store.ChangeEmail(currentEmail, currentUserId, newEmail);
        var who = currentEmail ?? currentUserId;
        var (status, code, msg) = failure switch
        {
            EmailChangeFailure.None => (200, "Success", ""),
            EmailChangeFailure.WrongProjectType => (400, "BadParams",
                "updateEmail is only available in email-based projects; change the email with users/update (current identifier at the top level, the new email in dataFields)"),
            EmailChangeFailure.InvalidEmail => (400, "InvalidEmailAddressError", $"Invalid email: {newEmail}"),
            EmailChangeFailure.UnknownUser => (400, "BadParams", $"Cannot change user Some({who}) to {newEmail}. User does not exist"),
            EmailChangeFailure.EmailForgotten => (409, "EmailAlreadyExists", $"Cannot change user {who} to {newEmail}. New email is on the forgotten list"),
            _ => (409, "EmailAlreadyExists", $"Cannot change user Some({who}) to {newEmail}. New email already exists"),
        };
        if (failure == EmailChangeFailure.None)
            Interlocked.Increment(ref _counters.UsersUpdated);
        else
            Interlocked.Increment(ref _counters.UsersFailed);
        await IterableResponses.WriteEnvelopeAsync(context, status, code, msg);
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
        if (malformed || json is not { ValueKind: JsonValueKind.Object } body)
        {
            await IterableResponses.BadJsonAsync(context);
            return;
        }
        if (!body.TryGetProperty("users", out var users) || users.ValueKind != JsonValueKind.Array)
        {
            await IterableResponses.BadParamsAsync(context, "users is required and must be an array");
            return;
        }
        var count = users.GetArrayLength();
        if (_options.MaxUsersPerBulkRequest is { } max && count > max)
        {
            await IterableResponses.WriteEnvelopeAsync(context, StatusCodes.Status400BadRequest, "BatchTooLarge",
                $"Too many users in one request: {count} (the limit is {max})");
            return;
        }
        if (!TryFlag(body, "createNewFields", out var createNew))
        {
            await IterableResponses.BadParamsAsync(context, "createNewFields must be a boolean");
            return;
        }
        if (!TryParseUsers(users, count, out var writes, out var error))
        {
            await IterableResponses.BadParamsAsync(context, error);
            return;
        }
        Interlocked.Add(ref _counters.UsersReceived[(int)IterableEndpoint.BulkUpdate], writes.Count);

        // Bulk writes take the store's lock for a whole batch: concurrent requests queue here without holding a thread.
        (List<TypeConflict>? Conflicts, WriteResult[]? Results) written;
        await _bulkGate.WaitAsync(CancellationToken.None);
        try
        {
            written = _store.WriteBulk(writes, createNew ?? _options.AllowNewFields,
                _options.TypeConflictMode == IterableTypeConflictMode.WholeRequest);
        }
        finally
        {
            _bulkGate.Release();
        }
        var (conflicts, results) = written;
        if (conflicts is not null)
        {
            Interlocked.Add(ref _counters.UsersFailed, writes.Count);
            await IterableResponses.WriteJsonAsync(context, StatusCodes.Status400BadRequest,
                IterableResponses.TypeMismatch(_options.ProjectId, conflicts));
            return;
        }
        await IterableResponses.WriteJsonAsync(context, StatusCodes.Status200OK, BulkResponse(results!));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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

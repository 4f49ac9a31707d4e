using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sluice.Destinations.Iterable;

/// <summary>Iterable's envelope <c>{msg, code, params}</c>; also the body of most errors.</summary>
internal sealed class ApiEnvelope
{
    public string? Msg { get; set; }

    public string? Code { get; set; }

    public JsonElement? Params { get; set; }
}

/// <summary>UserBulkUpdateListResponse. Only the counts are required; missing lists mean empty.</summary>
internal sealed class BulkUpdateResponse
{
    public int SuccessCount { get; set; }

    public int FailCount { get; set; }

    public List<string?>? InvalidEmails { get; set; }

    public List<string?>? InvalidUserIds { get; set; }

    public FailedUpdates? FailedUpdates { get; set; }

    public string? Code { get; set; }
}

internal sealed class FailedUpdates
{
    public List<string?>? InvalidEmails { get; set; }

    public List<string?>? InvalidUserIds { get; set; }

    public List<string?>? NotFoundEmails { get; set; }

    public List<string?>? NotFoundUserIds { get; set; }

    public List<string?>? ForgottenEmails { get; set; }

    public List<string?>? ForgottenUserIds { get; set; }

    public List<string?>? ConflictEmails { get; set; }

    public List<string?>? ConflictUserIds { get; set; }

    public List<string?>? InvalidDataEmails { get; set; }

    public List<string?>? InvalidDataUserIds { get; set; }
}

/// <summary>UserResponse: <c>user</c> is missing (<c>{}</c>) when there is no such user.</summary>
internal sealed class UserResponse
{
    public UserDto? User { get; set; }

    public string? Code { get; set; }
}

internal sealed class UserDto
{
    public string? Email { get; set; }

    public string? UserId { get; set; }
}

/// <summary>getFields: field name to Iterable type name.</summary>
internal sealed class FieldsResponse
{
    public Dictionary<string, JsonElement>? Fields { get; set; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    PropertyNameCaseInsensitive = true,
    NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(ApiEnvelope))]
[JsonSerializable(typeof(BulkUpdateResponse))]
[JsonSerializable(typeof(UserResponse))]
[JsonSerializable(typeof(FieldsResponse))]
internal sealed partial class IterableJsonContext : JsonSerializerContext;

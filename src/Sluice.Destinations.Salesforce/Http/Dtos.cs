using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sluice.Destinations.Salesforce.Http;

internal sealed class TokenResponse
{
    [JsonPropertyName("access_token")] public string? AccessToken { get; init; }
    [JsonPropertyName("instance_url")] public string? InstanceUrl { get; init; }

    /// <summary>The identity URL, <c>https://login.salesforce.com/id/{orgId}/{userId}</c>: whose token this is.</summary>
    [JsonPropertyName("id")] public string? Identity { get; init; }
}

internal sealed class OAuthError
{
    [JsonPropertyName("error")] public string? Error { get; init; }
    [JsonPropertyName("error_description")] public string? Description { get; init; }
}

/// <summary>A request-level error: <c>[{"message","errorCode","fields"?}]</c>.</summary>
internal sealed class ApiErrorItem
{
    [JsonPropertyName("message")] public string? Message { get; init; }
    [JsonPropertyName("errorCode")] public string? ErrorCode { get; init; }
}

/// <summary>A per-record error inside a Collections answer: <c>{"statusCode","message","fields"}</c>.</summary>
internal sealed class RecordError
{
    [JsonPropertyName("statusCode")] public string? StatusCode { get; init; }
    [JsonPropertyName("message")] public string? Message { get; init; }
    [JsonPropertyName("fields")] public string[]? Fields { get; init; }
}

/// <summary>SaveResult / UpsertResult. A failed item has no <c>id</c> key at all.</summary>
internal sealed class SaveResult
{
    [JsonPropertyName("id")] public string? Id { get; init; }
    [JsonPropertyName("success")] public bool Success { get; init; }
    [JsonPropertyName("created")] public bool? Created { get; init; }
    [JsonPropertyName("errors")] public RecordError[]? Errors { get; init; }
}

internal sealed class DescribeResult
{
    [JsonPropertyName("name")] public string? Name { get; init; }
    [JsonPropertyName("fields")] public FieldDescribe[]? Fields { get; init; }
}

internal sealed class FieldDescribe
{
    [JsonPropertyName("name")] public string Name { get; init; } = "";
    [JsonPropertyName("label")] public string? Label { get; init; }
    [JsonPropertyName("type")] public string Type { get; init; } = "";
    [JsonPropertyName("createable")] public bool Createable { get; init; }
    [JsonPropertyName("updateable")] public bool Updateable { get; init; }
    [JsonPropertyName("nillable")] public bool Nillable { get; init; }
    [JsonPropertyName("defaultedOnCreate")] public bool DefaultedOnCreate { get; init; }
    [JsonPropertyName("externalId")] public bool ExternalId { get; init; }
    [JsonPropertyName("idLookup")] public bool IdLookup { get; init; }
    [JsonPropertyName("filterable")] public bool? Filterable { get; init; }
    [JsonPropertyName("caseSensitive")] public bool CaseSensitive { get; init; }
    [JsonPropertyName("unique")] public bool Unique { get; init; }
}

internal sealed class QueryResult
{
    [JsonPropertyName("totalSize")] public long TotalSize { get; init; }
    [JsonPropertyName("done")] public bool Done { get; init; } = true;
    [JsonPropertyName("nextRecordsUrl")] public string? NextRecordsUrl { get; init; }
    [JsonPropertyName("records")] public JsonElement[]? Records { get; init; }
}

internal sealed class JobInfo
{
    [JsonPropertyName("id")] public string? Id { get; init; }
    [JsonPropertyName("state")] public string? State { get; init; }
    [JsonPropertyName("errorMessage")] public string? ErrorMessage { get; init; }
    [JsonPropertyName("numberRecordsProcessed")] public long NumberRecordsProcessed { get; init; }
    [JsonPropertyName("numberRecordsFailed")] public long NumberRecordsFailed { get; init; }
}

[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TokenResponse))]
[JsonSerializable(typeof(OAuthError))]
[JsonSerializable(typeof(ApiErrorItem[]))]
[JsonSerializable(typeof(SaveResult[]))]
[JsonSerializable(typeof(DescribeResult))]
[JsonSerializable(typeof(QueryResult))]
[JsonSerializable(typeof(JobInfo))]
internal sealed partial class SalesforceJson : JsonSerializerContext;

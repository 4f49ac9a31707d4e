namespace Sluice.Emulators.Salesforce.Store;

/// <summary>A request-level error: HTTP status plus the <c>[{"message","errorCode","fields"?}]</c> body.</summary>
internal sealed record ApiError(int Status, string ErrorCode, string Message, IReadOnlyList<string>? Fields = null);

/// <summary>Error texts in one place, worded as Salesforce words them.</summary>
internal static class Errors
{
    public const string NotFoundMessage = "The requested resource does not exist";

    public static ApiError NotFound { get; } = new(404, "NOT_FOUND", NotFoundMessage);

    public static ApiError SessionInvalid { get; } = new(401, "INVALID_SESSION_ID", "Session expired or invalid");

    public static ApiError RequestLimit { get; } = new(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.");

    public static RecordError EntityIsDeleted { get; } = new("ENTITY_IS_DELETED", "entity is deleted", []);

    public static RecordError NotFoundRecord(string statusCode) => statusCode switch
    {
        "INVALID_CROSS_REFERENCE_KEY" => new(statusCode, "invalid cross reference id", []),
        _ => new(statusCode, NotFoundMessage, []),
    };

    public static RecordError RequiredMissing(IReadOnlyList<string> fields) =>
        new("REQUIRED_FIELD_MISSING", $"Required fields are missing: [{string.Join(", ", fields)}]", fields);

    public static ApiError NoSuchColumn(string field, string objectName) =>
        new(400, "INVALID_FIELD", $"No such column '{field}' on sobject of type {objectName}");

    public static ApiError UnsupportedType(string objectName) =>
        new(404, "NOT_FOUND", NotFoundMessage);

    public static ApiError JsonParser(string detail) => new(400, "JSON_PARSER_ERROR", detail);

    public static RecordError MalformedId(string label, string value, string field) =>
        new("MALFORMED_ID", $"{label}: id value of incorrect type: {value}", [field]);

    public static RecordError NotWritable(IReadOnlyList<string> fields) => new(
        "INVALID_FIELD_FOR_INSERT_UPDATE",
        $"Unable to create/update fields: {string.Join(", ", fields)}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.",
        fields);
}

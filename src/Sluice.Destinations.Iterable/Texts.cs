using System.Globalization;
using System.Text;
using System.Text.Json;
using Sluice.Core.Destinations;
using Sluice.Core.Models;

namespace Sluice.Destinations.Iterable;

internal enum BulkFailureKind
{
    InvalidEmail,
    InvalidUserId,
    Forgotten,
    Conflict,
}

/// <summary>
/// Every text a user can read from this destination, in one place so they read alike. None of them may
/// contain the API key.
/// </summary>
internal static class Texts
{
    private const int MaxServiceText = 300;

    // ---- configuration (CheckSync) ----

    public const string ModeHint = "Use mode: upsert to create missing users (insert mode on) or mode: update to only update existing ones.";

    public const string MatchHint = "Set match.field to email or userId, as your Iterable project identifies users.";

    public const string IdentifierHint = "The identifier is set by match; remove this mapping. When match is email, a changed email is applied to the existing user (users/updateEmail); a userId-matched sync may map email.";

    public const string DottedHint = "Iterable reads '.' as a path into a nested object; use a name without dots, e.g. with '_' instead.";

    public static string UnsupportedMode(SyncMode mode) =>
        $"Iterable syncs support the upsert and update modes, not {mode.ToString().ToLowerInvariant()}.";

    public static string BadMatchField(string field) =>
        $"Iterable matches users by 'email' or 'userId', not '{field}'.";

    public static string EmailMatchNotText(ModelColumn column) =>
        $"The match column '{column.Name}' is {column.SourceType}; an email match needs a text column.";

    public static string EmptyField(string column) =>
        $"Column '{column}' is mapped to an empty Iterable field name.";

    public static string IdentifierMapped(string column, string field) =>
        $"Column '{column}' is mapped to '{field}', which is an Iterable user identifier; writing it in dataFields would change the user's identity.";

    public static string ManagedField(string column, string field) =>
        $"Column '{column}' is mapped to '{field}', a field Iterable manages itself (lists, subscriptions, signup and update dates, itbl* fields); map it to a field of your own.";

    public static string DottedField(string column, string field) =>
        $"Column '{column}' is mapped to '{field}', whose name contains '.'.";

    public static string DuplicateField(string column, string otherColumn, string field) =>
        $"Columns '{otherColumn}' and '{column}' are both mapped to the Iterable field '{field}'.";

    // ---- schema (CheckAsync) ----

    public static string TypeConflict(ModelColumn column, string field, string iterableType) =>
        $"Column '{column.Name}' ({column.SourceType}, sent as {FieldRules.WireType(column)}) is mapped to the Iterable field '{field}', which is of type {iterableType}; Iterable would reject every value.";

    public static string TypeConflictHint(string field) =>
        $"Cast the column in the model's SQL to match {field}'s type, or map it to another field (an Iterable field's type can't change).";

    public static string FieldWouldBeDropped(string column, string field) =>
        $"Column '{column}' is mapped to '{field}', which doesn't exist in Iterable, and create_new_fields is false: Iterable would drop its values.";

    public const string FieldWouldBeDroppedHint = "Create the field in Iterable first, or set create_new_fields: true.";

    // ---- run failures (DeliveryException) ----

    public static string BadApiKey(IterableSettings s, string? code) =>
        $"Iterable refused the API key of destination '{s.DestinationName}' (HTTP 401{Code(code)}). Check api_key: it must be a " +
        $"server-side key of the project, and keys only work in their own data center (this destination calls {Root(s)}; set region or base_url).";

    public static string Forbidden(IterableSettings s, ApiEndpoint endpoint, string? code) =>
        $"Iterable refused {Name(endpoint)} for destination '{s.DestinationName}' (HTTP 403{Code(code)}). Use a server-side API key with access to user data.";

    public static string StillThrottled(IterableSettings s, ApiEndpoint endpoint) =>
        $"Iterable kept answering 429 Too Many Requests to {Name(endpoint)} for destination '{s.DestinationName}' after {s.MaxRetries} retries. " +
        "Another client may be using this project's rate limit; run again later (nothing delivered is lost) or raise max_retries.";

    public static string StillFailing(IterableSettings s, ApiEndpoint endpoint, int status, string? code) =>
        $"Iterable kept failing {Name(endpoint)} for destination '{s.DestinationName}' (HTTP {status}{Code(code)}) after {s.MaxRetries} retries. " +
        "Iterable may be having an incident; run again later (nothing delivered is lost).";

    public static string Unreachable(IterableSettings s, ApiEndpoint endpoint, string detail) =>
        $"Could not reach Iterable at {Root(s)} ({Name(endpoint)}) for destination '{s.DestinationName}': {detail}. " +
        "Check the network and base_url/region, then run again.";

    public static string TimedOut(IterableSettings s, ApiEndpoint endpoint) =>
        $"Iterable did not answer {Name(endpoint)} in time for destination '{s.DestinationName}' after {s.MaxRetries} retries. Run again later.";

    public static string WrongBaseUrl(IterableSettings s, string path) =>
        $"{Root(s)} has no Iterable API at /api/{path} (HTTP 404) for destination '{s.DestinationName}'. Check base_url.";

    public static string UnexpectedAnswer(IterableSettings s, ApiEndpoint endpoint, int status, string? code) =>
        $"Iterable answered {Name(endpoint)} for destination '{s.DestinationName}' with HTTP {status}{Code(code)}.";

    // ---- per-record outcomes ----

    public static string MissingIdentifier(string idName) =>
        $"The match value ({idName}) is empty; Iterable needs it to identify the user.";

    public static string UnsupportedOperation(RecordOperation operation) =>
        $"Iterable syncs do not support the {operation.ToString().ToLowerInvariant()} operation.";

    public static string UserNotFound(string idName) =>
        $"No Iterable user has this {idName}; update mode does not create users (use mode: upsert to create them).";

    public static string BulkNotFound(string idName) =>
        $"Iterable reported no user with this {idName} (failedUpdates.notFound*).";

    public const string NoAnswer = "Iterable gave no answer for this user.";

    public static string DuplicateIdentifier(string idName, string id, string firstKey) =>
        $"Row with key '{firstKey}' in the same batch has the same {idName} ({id}); Iterable would merge both rows into one user. " +
        $"The first row (key '{firstKey}') was sent; fix the model so that each {idName} belongs to one row.";

    public static string EmailChangeRefused(string oldEmail, string newEmail, ApiReply reply) =>
        $"Iterable refused to change the user's email from {oldEmail} to {newEmail} (HTTP {reply.Status}{Code(reply.Code)}){Detail(reply)}. " +
        "Sluice does not create a second profile: if both addresses have a profile in Iterable, merge them there (users/merge) and run again.";

    public static string EmailSwap(string oldEmail, string newEmail, IEnumerable<string> otherKeys) =>
        $"This row's email changes from {oldEmail} to {newEmail}, and the rows with keys {string.Join(", ", otherKeys.Select(k => $"'{k}'"))} in the same batch " +
        "take each other's addresses in a cycle: Iterable changes one email at a time and each new address still belongs to another user. " +
        "Change one of these emails in Iterable by hand (or in the model over two runs), then run again.";

    public static string NotFinite(string column) =>
        $"Column '{column}' holds NaN or an infinity, which JSON (and Iterable) can't represent.";

    public static string UserTooLarge(int bytes) =>
        $"This user's data is {bytes.ToString("N0", CultureInfo.InvariantCulture)} bytes of JSON, more than Iterable's 4 MB request limit.";

    public static (string Reason, string Code) BulkFailure(BulkFailureKind kind, bool byEmail) => kind switch
    {
        BulkFailureKind.InvalidEmail => (
            "Iterable refused the email address as invalid (failedUpdates.invalidEmails).", "InvalidEmailAddressError"),
        BulkFailureKind.InvalidUserId => (
            "Iterable refused the userId as invalid: it must be 1 to 52 printable ASCII characters without a trailing space (failedUpdates.invalidUserIds).",
            "InvalidUserIdError"),
        BulkFailureKind.Forgotten => (
            $"The user was forgotten (GDPR) in Iterable, which blocks any update (failedUpdates.forgotten{(byEmail ? "Emails" : "UserIds")}).",
            "ForgottenUserError"),
        _ => (
            $"Iterable refused the update because the identifier belongs to another user (failedUpdates.conflict{(byEmail ? "Emails" : "UserIds")}).",
            byEmail ? "conflictEmails" : "conflictUserIds"),
    };

    public static string LookupRefused(ApiReply reply) =>
        $"Iterable refused to look the user up (HTTP {reply.Status}{Code(reply.Code)}){Detail(reply)}.";

    /// <summary>The reason of a refused users/update, with the field-by-field detail of a type mismatch.</summary>
    public static string SingleFailure(ApiReply reply, IReadOnlyList<FieldMapping> fields)
    {
        if (reply.Code == "RequestFieldsTypesMismatched" && TypeMismatchDetail(reply, fields) is { } detail)
            return $"Iterable refused the user's values: {detail} (RequestFieldsTypesMismatched).";
        return $"Iterable refused the user (HTTP {reply.Status}{Code(reply.Code)}){Detail(reply)}.";
    }

    // validationErrors: { "<prefix>:::<field>": { "incomingTypes": [...], "expectedType": "long", ... } }
    private static string? TypeMismatchDetail(ApiReply reply, IReadOnlyList<FieldMapping> fields)
    {
        if (reply.Envelope?.Params is not { ValueKind: JsonValueKind.Object } parameters
            || !parameters.TryGetProperty("validationErrors", out var errors) || errors.ValueKind != JsonValueKind.Object)
            return null;
        var text = new StringBuilder();
        foreach (var error in errors.EnumerateObject())
        {
            var name = error.Name;
            var cut = name.LastIndexOf(":::", StringComparison.Ordinal);
            var field = cut >= 0 ? name[(cut + 3)..] : name;
            var expected = error.Value.ValueKind == JsonValueKind.Object && error.Value.TryGetProperty("expectedType", out var e)
                ? e.ToString() : "another type";
            var incoming = error.Value.ValueKind == JsonValueKind.Object && error.Value.TryGetProperty("incomingTypes", out var inc)
                && inc.ValueKind == JsonValueKind.Array && inc.GetArrayLength() > 0
                ? inc[0].ToString() : "a different type";
            var column = fields.FirstOrDefault(m => m.Field == field)?.Column;
            if (text.Length > 0)
                text.Append("; ");
            text.Append(CultureInfo.InvariantCulture,
                $"field '{field}'{(column is null ? "" : $" (column '{column}')")} is {expected} in Iterable but the value sent is {incoming}");
        }
        return text.Length == 0 ? null : text.ToString();
    }

    private static string Detail(ApiReply reply) =>
        reply.Envelope?.Msg is { Length: > 0 } msg ? ": " + Truncate(msg) : "";

    private static string Truncate(string text) => text.Length <= MaxServiceText ? text : text[..MaxServiceText] + "...";

    private static string Code(string? code) => code is null ? "" : " " + code;

    // Scheme, host and port only: never user info from the URL.
    private static string Root(IterableSettings s) => $"{s.BaseUrl.Scheme}://{s.BaseUrl.Authority}";

    private static string Name(ApiEndpoint endpoint) => EndpointName(endpoint);

    public static string EndpointName(ApiEndpoint endpoint) => endpoint switch
    {
        ApiEndpoint.BulkUpdate => "users/bulkUpdate",
        ApiEndpoint.Update => "users/update",
        ApiEndpoint.GetUser => "the user lookup",
        ApiEndpoint.UpdateEmail => "users/updateEmail",
        _ => "users/getFields",
    };
}

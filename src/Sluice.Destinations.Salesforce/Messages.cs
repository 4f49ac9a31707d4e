using Sluice.Core.Models;

namespace Sluice.Destinations.Salesforce;

/// <summary>Every user-facing text of the Salesforce destination, in one place so they read alike.</summary>
internal static class Messages
{
    public const string SetupHint =
        "Create or change it in Salesforce Setup > Object Manager > {0} > Fields & Relationships; Sluice cannot create fields.";

    public static string ObjectKindMismatch(string obj, ModelKind need, ModelKind have) =>
        $"Salesforce {obj} records are {(need == ModelKind.User ? "people" : "not people")}: this sync needs a {Kind(need)} model, but its model is a {Kind(have)} model.";

    public const string ObjectKindHint =
        "Use a user model or segment (kind: user) for Contact and Lead, and a custom model (kind: custom) for Account, Case and Contract.";

    public static string Kind(ModelKind kind) => kind == ModelKind.User ? "user" : "custom";

    public const string MissingCredentials =
        "The Salesforce destination needs 'client_secret' (client credentials flow) or 'refresh_token' (refresh token flow).";

    public const string MissingCredentialsHint =
        "Set client_secret: ${SF_CLIENT_SECRET} (or refresh_token) in the destination block; keep the value in the environment or .env.";

    public static string ModeNotSupported(SyncMode mode) =>
        $"Salesforce destinations support insert, update and upsert, not {mode.ToString().ToLowerInvariant()}: Sluice never deletes Salesforce records.";

    public static string MatchRequired(SyncMode mode) =>
        $"{Mode(mode)} mode needs the \"Object ID\" match: a model column and the Salesforce field that identifies the record (Id or an External ID field).";

    public static string UpsertNeedsExternalId(string obj) =>
        $"Upsert matches {obj} records by an External ID field; Salesforce does not upsert by record Id.";

    public static string UpsertNeedsExternalIdHint(string obj) =>
        $"Match on an External ID field of {obj} (e.g. a custom field marked External ID), or use update mode to match on Id.";

    public static string UpsertNeedsVersion(string version) =>
        $"Upsert through sObject Collections needs API version 46.0 or later; this destination uses {version}.";

    public static string InsertCannotMatchId(string obj) =>
        $"Insert mode creates new {obj} records, so it cannot match on Id: Salesforce sets the Id of a new record.";

    public const string InsertCannotMatchIdHint =
        "Match on a field the created records carry (an External ID, or e.g. Email), so Sluice can find them again after an interruption.";

    public static string MappingToId(string column) =>
        $"Column '{column}' is mapped to Id, which Salesforce sets itself and never accepts as a value.";

    public static string DuplicateField(string field, string column, string other) =>
        $"Field {field} is mapped from both '{other}' and '{column}'; a field takes one column.";

    public static string MatchFieldAlsoMapped(string field, string column, string matchColumn) =>
        $"Field {field} is the match field (from column '{matchColumn}') and is also mapped from column '{column}'.";

    public static string UnknownField(string obj, string field) =>
        $"{obj} has no field '{field}'.";

    public static string FieldNotCreateable(string obj, string field, SyncMode mode) =>
        $"{obj}.{field} cannot be set when a record is created, and {Mode(mode).ToLowerInvariant()} mode creates records.";

    public static string FieldNotUpdateable(string obj, string field, SyncMode mode) =>
        $"{obj}.{field} cannot be changed on an existing record, and {Mode(mode).ToLowerInvariant()} mode updates records.";

    public const string WritableHint =
        "Make the field editable for the integration user (field-level security), or remove the mapping.";

    public static string TypeMismatch(ModelColumn column, string obj, string field, string sfType, string expected) =>
        $"Column '{column.Name}' ({column.SourceType}, {column.Kind.ToString().ToLowerInvariant()}) does not fit {obj}.{field} ({sfType}): a {sfType} field takes {expected}.";

    public const string TypeMismatchHint =
        "Cast the column in the model's SQL to the matching type, or map it to a field of a matching type.";

    public static string UnsupportedFieldType(string obj, string field, string sfType) =>
        $"{obj}.{field} is a {sfType} field, which Sluice cannot write.";

    public static string RequiredFieldMissing(string obj, string field, SyncMode mode) =>
        $"{obj} requires {field} on every new record, but no column is mapped to it ({Mode(mode).ToLowerInvariant()} mode creates records).";

    public static string RequiredFieldHint(string field) => $"Map a model column to {field}.";

    public static string MatchNotLookup(string obj, string field) =>
        $"{obj}.{field} is neither Id nor an External ID (or lookup) field, so Sluice cannot use it to find records.";

    public static string MatchNotExternalId(string obj, string field) =>
        $"{obj}.{field} is not an External ID field; upsert can only match on Salesforce External ID fields.";

    public static string MatchHint(string obj) =>
        $"Mark the field as External ID (Setup > Object Manager > {obj} > Fields & Relationships), or match on Id (update mode) or another External ID field.";

    public static string MatchNotFilterable(string obj, string field) =>
        $"{obj}.{field} cannot be searched (not filterable), so Sluice could not find records it created after an interruption.";

    public static string MatchIdNeedsText(ModelColumn column) =>
        $"Column '{column.Name}' ({column.SourceType}) is matched to Id, which holds 15 or 18 character text record ids; the column must be text.";

    public static string ObjectNotAvailable(string obj) =>
        $"Salesforce does not show the {obj} object to this integration user.";

    public const string ObjectNotAvailableHint =
        "Give the connected app's run-as user read and edit access to the object (profile or permission set).";

    public static string AuthRefused(string login, string error) =>
        $"Salesforce at {login} refused the OAuth credentials ({error}). Check client_id and client_secret (or refresh_token), and that the connected app allows this grant (client credentials need a run-as user and the org's My Domain URL as login_url).";

    public static string Unreachable(string host, string detail) =>
        $"Could not reach Salesforce at {host} ({detail}) after several attempts. Check login_url and the network, then run again.";

    public static string KeptFailing(string what, int status, string? code, string? message) =>
        $"Salesforce kept answering {status}{(code is null ? "" : " " + code)}{(string.IsNullOrEmpty(message) ? "" : $" ({message})")} to {what} after several attempts. Try again later; nothing that failed was recorded as delivered.";

    public const string SessionRejected =
        "Salesforce rejected a freshly issued access token (INVALID_SESSION_ID). Check that the connected app's policies allow API access for the run-as user.";

    public static string DailyLimitExhausted(string? message) =>
        $"Salesforce refused the call: the org's daily API allowance is used up (REQUEST_LIMIT_EXCEEDED{(string.IsNullOrEmpty(message) ? "" : ": " + message)}). Run again when the rolling 24-hour allowance recovers, or ask Salesforce for a larger allocation.";

    public static string ReserveReached(long remaining, long max, double percent) =>
        $"Stopped before using the Salesforce API reserve: {remaining} of the org's {max} daily API calls are left, and api_reserve_percent keeps {percent:0.##}% ({Math.Ceiling(max * percent / 100):0}) for other integrations. Run again when the rolling 24-hour allowance recovers, lower api_reserve_percent, or lower bulk_threshold so large runs go through Bulk API, which needs far fewer calls.";

    public static string PermissionRefused(string what, string? code, string? message) =>
        $"Salesforce refused {what} ({code ?? "403"}{(string.IsNullOrEmpty(message) ? "" : ": " + message)}). Give the integration user the permission it needs (API Enabled, and read/edit on the object).";

    public static string Unexpected(string what, int status, string? code, string? message) =>
        $"Salesforce answered {status}{(code is null ? "" : " " + code)} to {what}{(string.IsNullOrEmpty(message) ? "" : $": {message}")}.";

    public static string SchemaProblems(string obj, IEnumerable<string> problems) =>
        $"The sync does not fit the Salesforce {obj} object: {string.Join(" ", problems)} Run `sluice validate` for details.";

    public static string BulkJobTimedOut(string jobId, TimeSpan waited) =>
        $"Salesforce Bulk API job {jobId} was still running after {waited.TotalMinutes:0} minutes; Sluice stopped waiting. Its rows are planned again next run; check the job in Setup > Bulk Data Load Jobs.";

    public const string NullMatchValue =
        "The match column is empty, so Sluice cannot tell which Salesforce record this row is.";

    public static string MultipleMatches(int count, string obj, string field, string value) =>
        $"{count} {obj} records have {field} = '{value}'; Sluice updates a record only when exactly one matches. Remove the duplicates or match on a unique External ID field.";

    public static string InvalidValue(string field, string why) => $"The value for {field} {why}.";

    public static string BinaryNotText(ModelColumn column, string obj, string field, string sfType) =>
        $"Column {column.Name} ({column.SourceType}) holds binary data, which {obj}.{field} ({sfType}) cannot take: Salesforce takes binary only in base64 fields. "
        + $"Map it to a base64 field, or turn it into text in the model (e.g. hex({column.Name}) or base64({column.Name})).";

    public static string NestedNeedsText(ModelColumn column, string obj, string field, string sfType) =>
        $"Column {column.Name} ({column.SourceType}) is a nested value, sent as JSON text, which {obj}.{field} ({sfType}) cannot take: map it to a text or text-area field, "
        + $"or flatten it in the model (for a multi-select picklist: array_to_string({column.Name}, ';')).";

    public static string IntervalNeedsText(ModelColumn column, string obj, string field, string sfType) =>
        $"Column {column.Name} ({column.SourceType}) is an interval, sent as text (d.hh:mm:ss), which {obj}.{field} ({sfType}) cannot take: "
        + $"map it to a text field, or give a number in the model (e.g. epoch({column.Name}) for seconds).";

    public static string ValueMisfit(Schema.PlannedField field, string obj, string value, string why) =>
        $"Column {Named(field.Column)}{(field.SourceType.Length > 0 ? $" ({field.SourceType})" : "")} holds {value}, which {obj}.{field.Name} ({field.SfType}) cannot take: {why}. "
        + "The row was not sent (Salesforce would refuse the whole request of 200 rows for it).";

    private static string Named(string column) => column.Length > 0 ? column : "(match)";

    public static string DuplicateMatch(string field, string value, string otherKey) =>
        $"Another row of this run (key {otherKey}) has the same {field} '{value}'. Salesforce refuses every row that shares a match value within one request, "
        + $"and across requests both rows would write the same record; this row was not sent. Make {field} unique in the model.";

    public static string NoResult(string where) =>
        $"Salesforce returned no result for this row ({where}); it is sent again next run.";

    public static string Unprocessed(string jobId, string state, string? error) =>
        $"Salesforce did not process this row: Bulk API job {jobId} ended {state}{(string.IsNullOrEmpty(error) ? "" : ": " + error)}.";

    public const string DeleteNotSupported = "Salesforce destinations never delete records.";

    public const string NotCreatedBeforeCrash = "not found in Salesforce: it was not created before the interruption";

    private static string Mode(SyncMode mode) => mode switch
    {
        SyncMode.Insert => "Insert",
        SyncMode.Update => "Update",
        SyncMode.Upsert => "Upsert",
        _ => "Mirror",
    };
}

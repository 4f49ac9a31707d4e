namespace Sluice.Destinations.Actito;

/// <summary>The texts users read, in one place so they stay consistent. None of them ever holds the API key or a token.</summary>
internal static class Messages
{
    public static string KeyRefused(string host) =>
        $"Actito refused the API key (401) at {host}. Check the destination's api_key (Manage API users > View the API key) " +
        "and that environment/base_url is the host shown with that key.";

    public static string TokenRefused(string host) =>
        $"Actito kept refusing fresh access tokens (401) at {host}. The API key may have been revoked; check it in Manage API users.";

    public static string Forbidden(string operation) =>
        $"Actito refused '{operation}' (403): the API key lacks the access right for it. Grant the right to the API user in Manage API users.";

    public static string Unreachable(string host, string detail) =>
        $"Could not reach Actito at {host} ({detail}). Check base_url/environment and the network, then run again.";

    public static string Throttled(string operation) =>
        $"Actito kept answering 429 Too Many Requests to '{operation}' after several retries. Another client may be using the licence's " +
        "5 concurrent requests; lower max_concurrent_requests or run again later.";

    public static string ServerErrors(string operation, int status) =>
        $"Actito kept failing '{operation}' with HTTP {status} after several retries. The service may be down; run again later.";

    public static string TimedOut(string operation) =>
        $"Actito did not answer '{operation}' in time after several retries. Run again later.";

    public static string Unexpected(string operation, int status, string reason) =>
        $"Actito answered '{operation}' with HTTP {status}: {reason}";

    public static string TableMissing(string entity, string table, IEnumerable<string> available)
    {
        var names = string.Join(", ", available.Take(20));
        return names.Length == 0
            ? $"Entity '{entity}' has no profile table '{table}' (or the API key cannot see it)."
            : $"Entity '{entity}' has no profile table '{table}'. Its profile tables are: {names}.";
    }

    public static string ImportBudget(int needed, int left, int perDay) =>
        $"This run needs {needed} bulk import(s) but only {left} of the {perDay} allowed per table per day are left. " +
        "Nothing was sent. Run again after midnight UTC, raise imports_per_day if the licence has an extension pack, " +
        "or raise bulk_threshold so more of the run goes through single-profile calls.";

    public static string ImportQuotaRefused(string table) =>
        $"Actito refused a bulk import into '{table}' with 429: the table's daily quota of bulk imports is used up. " +
        "Run again after midnight UTC, or raise bulk_threshold so small runs use single-profile calls.";

    public static string ImportRefused(string table, int status, string reason) =>
        $"Actito refused the ETL execution into '{table}' (HTTP {status}): {reason}";

    public static string ErrorsUnreadable(string importId, int linesRead) =>
        $"Actito reported errors for ETL execution {importId}, but its error file named none of the rows sent " +
        $"({linesRead} line(s) read). Nothing of this batch is counted as delivered: it is sent again next run.";

    public static string ImportTimedOut(string importId) =>
        $"Actito ETL execution {importId} did not finish within the time Sluice waits. It may still complete; run again later " +
        "(delivered rows are detected and not duplicated).";

    public static string AttributeCreateFailed(string attribute, string table, int status, string reason) =>
        $"Could not create attribute '{attribute}' in profile table '{table}' (HTTP {status}): {reason}. " +
        "Create it in Actito (Profile tables structure) or fix the mapping.";

    public static string MatchNotUnique(string field, string table) =>
        $"The match field '{field}' is not a unique attribute of profile table '{table}'.";

    public const string MatchHint =
        "Match on a unique attribute of the table (its external ID), e.g. customerId or emailAddress.";

    public const string NoMatchValue = "The match column is empty, so the profile cannot be identified in Actito.";

    public const string NoProfileReference =
        "No Actito profileId is known for this record and no match value was given, so it cannot be deleted.";
}

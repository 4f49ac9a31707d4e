namespace Sluice.Destinations.Actito;

/// <summary>
/// The option names of an <c>actito</c> destination block in <c>sluice.yaml</c>. Their types, defaults and
/// ranges are declared once, in <see cref="ActitoOptionSpecs"/>.
/// </summary>
public static class ActitoOptions
{
    /// <summary>The API key (secret, required), exchanged at <c>GET {base}/auth/token</c> for a 15-minute token.</summary>
    public const string ApiKey = "api_key";

    /// <summary>The Actito environment of the licence: prod0, prod1, prod3 or preprod. Picks the API host.</summary>
    public const string Environment = "environment";

    /// <summary>The API root, e.g. <c>https://api.actito.com</c>; overrides <see cref="Environment"/>. Tests point it at the emulator.</summary>
    public const string BaseUrl = "base_url";

    /// <summary>The entity (technical name) that owns the profile table. Required.</summary>
    public const string Entity = "entity";

    /// <summary>The profile table (technical name). Required.</summary>
    public const string Table = "table";

    /// <summary>Runs with more creates, updates and upserts than this use one-shot ETL executions; smaller ones, and deletes, use single-profile calls.</summary>
    public const string BulkThreshold = "bulk_threshold";

    /// <summary>Calls per minute the destination stays within (the licence limit).</summary>
    public const string CallsPerMinute = "calls_per_minute";

    /// <summary>Requests in flight at once (the licence limit; more get 429).</summary>
    public const string MaxConcurrentRequests = "max_concurrent_requests";

    /// <summary>Bulk imports per table per (UTC) day (the licence limit).</summary>
    public const string ImportsPerDay = "imports_per_day";

    // The bench sizes its runs around the bulk threshold; the spec's default is this constant.
    public const int DefaultBulkThreshold = 50;

    /// <summary>The documented API hosts per environment.</summary>
    public static IReadOnlyDictionary<string, string> Environments { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["prod0"] = "https://api.actito.com",
        ["prod1"] = "https://api1.actito.com",
        ["prod3"] = "https://api3.actito.com",
        ["preprod"] = "https://api-pre1.actito.com",
    };
}

namespace Sluice.Destinations.Iterable;

/// <summary>
/// The option names of an <c>iterable</c> destination block in <c>sluice.yaml</c>, and their defaults.
/// </summary>
public static class IterableOptionNames
{
    /// <summary>Server-side API key of the Iterable project. Secret, required.</summary>
    public const string ApiKey = "api_key";

    /// <summary>API root URL. Overrides <see cref="Region"/>. Default: the region's URL.</summary>
    public const string BaseUrl = "base_url";

    /// <summary><c>us</c> (default, https://api.iterable.com) or <c>eu</c> (https://api.eu.iterable.com).</summary>
    public const string Region = "region";

    /// <summary>Users per bulkUpdate request, 1..1000. Default 1000.</summary>
    public const string BatchSize = "batch_size";

    /// <summary>Whether Iterable creates user fields that don't exist yet. Default true.</summary>
    public const string CreateNewFields = "create_new_fields";

    /// <summary>Retries of a throttled (429), failed (5xx) or dropped request before the run stops. Default 8.</summary>
    public const string MaxRetries = "max_retries";

    /// <summary>Whether requests are paced to Iterable's documented per-project limits. Default true.</summary>
    public const string PaceRequests = "pace_requests";

    /// <summary>The US data center's API root (the default).</summary>
    public const string UsBaseUrl = "https://api.iterable.com";

    /// <summary>The EU data center's API root.</summary>
    public const string EuBaseUrl = "https://api.eu.iterable.com";

    /// <summary>The largest (and default) number of users per bulkUpdate request.</summary>
    public const int MaxBatchSize = 1000;

    /// <summary>The default number of retries.</summary>
    public const int DefaultMaxRetries = 8;
}

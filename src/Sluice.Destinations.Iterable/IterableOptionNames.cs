namespace Sluice.Destinations.Iterable;

/// <summary>
/// The option names of an <c>iterable</c> destination block in <c>sluice.yaml</c>. Their types, defaults and
/// ranges are declared once, in <see cref="IterableOptions"/>.
/// </summary>
public static class IterableOptionNames
{
    /// <summary>Server-side API key of the Iterable project. Secret, required.</summary>
    public const string ApiKey = "api_key";

    /// <summary>API root URL. Overrides <see cref="Region"/>.</summary>
    public const string BaseUrl = "base_url";

    /// <summary>The project's data center, <c>us</c> or <c>eu</c>.</summary>
    public const string Region = "region";

    /// <summary>Users per bulkUpdate request.</summary>
    public const string BatchSize = "batch_size";

    /// <summary>Whether Iterable creates user fields that don't exist yet.</summary>
    public const string CreateNewFields = "create_new_fields";

    /// <summary>Retries of a throttled (429), failed (5xx) or dropped request before the run stops.</summary>
    public const string MaxRetries = "max_retries";

    /// <summary>Whether requests are paced to Iterable's documented per-project limits.</summary>
    public const string PaceRequests = "pace_requests";

    /// <summary>The US data center's API root (region us).</summary>
    public const string UsBaseUrl = "https://api.iterable.com";

    /// <summary>The EU data center's API root.</summary>
    public const string EuBaseUrl = "https://api.eu.iterable.com";
}

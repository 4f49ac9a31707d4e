using Sluice.Core.Destinations;

namespace Sluice.Destinations.Iterable;

/// <summary>The destination block, read once and frozen. Its values were checked against <see cref="IterableOptions"/> by the parser.</summary>
internal sealed record IterableSettings(
    string DestinationName,
    string ApiKey,
    Uri BaseUrl,
    int BatchSize,
    bool CreateNewFields,
    int MaxRetries,
    bool PaceRequests)
{
    /// <summary>Iterable's documented bulkUpdate body limit, read as decimal megabytes to be safe either way.</summary>
    public long MaxBulkBodyBytes { get; init; } = 4_000_000;

    public static IterableSettings From(DestinationSettings settings) =>
        new(
            settings.Name,
            settings.GetRequiredString(IterableOptionNames.ApiKey),
            ResolveBaseUrl(settings),
            settings.GetInt(IterableOptions.BatchSize),
            settings.GetBool(IterableOptions.CreateNewFields),
            settings.GetInt(IterableOptions.MaxRetries),
            settings.GetBool(IterableOptions.PaceRequests));

    private static Uri ResolveBaseUrl(DestinationSettings settings)
    {
        var text = settings.GetString(IterableOptions.BaseUrl)
            ?? (settings.GetString(IterableOptions.Region) == "eu" ? IterableOptionNames.EuBaseUrl : IterableOptionNames.UsBaseUrl);
        text = text.TrimEnd('/');
        // Accept a root given with Iterable's "/api" prefix; every path below starts with it.
        if (text.EndsWith("/api", StringComparison.OrdinalIgnoreCase))
            text = text[..^4];
        return new Uri(text + "/", UriKind.Absolute);
    }
}

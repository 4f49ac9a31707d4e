using Sluice.Core.Destinations;

namespace Sluice.Destinations.Iterable;

/// <summary>The destination block, parsed once and frozen. Invalid values are reported by CheckSync, not here.</summary>
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

    public static IterableSettings From(DestinationSettings settings)
    {
        var problems = Validate(settings);
        if (problems.Count > 0)
            throw new DeliveryException(ErrorCategory.Configuration, problems[0].Message);

        return new IterableSettings(
            settings.Name,
            settings.GetRequiredString(IterableOptionNames.ApiKey),
            ResolveBaseUrl(settings)!,
            settings.GetInt(IterableOptionNames.BatchSize) ?? IterableOptionNames.MaxBatchSize,
            settings.GetBool(IterableOptionNames.CreateNewFields) ?? true,
            settings.GetInt(IterableOptionNames.MaxRetries) ?? IterableOptionNames.DefaultMaxRetries,
            settings.GetBool(IterableOptionNames.PaceRequests) ?? true);
    }

    /// <summary>Every problem with the option values; never echoes the API key.</summary>
    public static List<SyncProblem> Validate(DestinationSettings settings)
    {
        var problems = new List<SyncProblem>();
        var name = settings.Name;
        if (settings.GetString(IterableOptionNames.ApiKey) is null)
            problems.Add(new SyncProblem(ProblemTarget.Destination, Texts.MissingApiKey(name), Texts.ApiKeyHint));

        var region = settings.GetString(IterableOptionNames.Region);
        if (region is not null && !region.Equals("us", StringComparison.OrdinalIgnoreCase)
            && !region.Equals("eu", StringComparison.OrdinalIgnoreCase))
            problems.Add(new SyncProblem(ProblemTarget.Destination, Texts.BadRegion(name, region)));

        if (settings.GetString(IterableOptionNames.BaseUrl) is { } url
            && (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)))
            problems.Add(new SyncProblem(ProblemTarget.Destination, Texts.BadBaseUrl(name, url)));

        CheckInt(settings, IterableOptionNames.BatchSize, 1, IterableOptionNames.MaxBatchSize, problems);
        CheckInt(settings, IterableOptionNames.MaxRetries, 0, 50, problems);
        CheckBool(settings, IterableOptionNames.CreateNewFields, problems);
        CheckBool(settings, IterableOptionNames.PaceRequests, problems);
        return problems;
    }

    private static void CheckInt(DestinationSettings settings, string option, int min, int max, List<SyncProblem> problems)
    {
        if (settings.GetString(option) is not { } text)
            return;
        if (!int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value)
            || value < min || value > max)
            problems.Add(new SyncProblem(ProblemTarget.Destination, Texts.OutOfRange(settings.Name, option, text, min, max)));
    }

    private static void CheckBool(DestinationSettings settings, string option, List<SyncProblem> problems)
    {
        if (settings.GetString(option) is { } text && !bool.TryParse(text, out _))
            problems.Add(new SyncProblem(ProblemTarget.Destination, Texts.NotBoolean(settings.Name, option, text)));
    }

    private static Uri? ResolveBaseUrl(DestinationSettings settings)
    {
        var text = settings.GetString(IterableOptionNames.BaseUrl)
            ?? (string.Equals(settings.GetString(IterableOptionNames.Region), "eu", StringComparison.OrdinalIgnoreCase)
                ? IterableOptionNames.EuBaseUrl
                : IterableOptionNames.UsBaseUrl);
        text = text.TrimEnd('/');
        // Accept a root given with Iterable's "/api" prefix; every path below starts with it.
        if (text.EndsWith("/api", StringComparison.OrdinalIgnoreCase))
            text = text[..^4];
        return new Uri(text + "/", UriKind.Absolute);
    }
}

using Sluice.Core.Destinations;

namespace Sluice.Destinations.Actito;

/// <summary>A destination block read once; immutable. Never printed (it holds the API key).</summary>
internal sealed class ActitoSettings
{
    private ActitoSettings(string baseUrl, string apiKey, string entity, string table,
        int bulkThreshold, int callsPerMinute, int maxConcurrentRequests, int importsPerDay)
    {
        BaseUrl = baseUrl;
        ApiKey = apiKey;
        Entity = entity;
        Table = table;
        BulkThreshold = bulkThreshold;
        CallsPerMinute = callsPerMinute;
        MaxConcurrentRequests = maxConcurrentRequests;
        ImportsPerDay = importsPerDay;
    }

    /// <summary>The API root without a trailing slash.</summary>
    public string BaseUrl { get; }

    public string ApiKey { get; }

    public string Entity { get; }

    public string Table { get; }

    public int BulkThreshold { get; }

    public int CallsPerMinute { get; }

    public int MaxConcurrentRequests { get; }

    public int ImportsPerDay { get; }

    public override string ToString() => $"actito {Entity}/{Table} at {BaseUrl}";

    /// <summary>Reads the block, whose values the parser checked against <see cref="ActitoOptionSpecs"/>.</summary>
    public static ActitoSettings From(DestinationSettings settings)
    {
        var environment = settings.GetString(ActitoOptionSpecs.Environment)!;
        var baseUrl = settings.GetString(ActitoOptionSpecs.BaseUrl)
            ?? (ActitoOptions.Environments.TryGetValue(environment, out var host)
                ? host
                : throw new InvalidOperationException($"Destination '{settings.Name}': environment '{environment}' is not declared."));
        return new ActitoSettings(
            baseUrl.TrimEnd('/'),
            settings.GetRequiredString(ActitoOptions.ApiKey),
            settings.GetRequiredString(ActitoOptions.Entity),
            settings.GetRequiredString(ActitoOptions.Table),
            settings.GetInt(ActitoOptionSpecs.BulkThreshold),
            settings.GetInt(ActitoOptionSpecs.CallsPerMinute),
            settings.GetInt(ActitoOptionSpecs.MaxConcurrentRequests),
            settings.GetInt(ActitoOptionSpecs.ImportsPerDay));
    }
}

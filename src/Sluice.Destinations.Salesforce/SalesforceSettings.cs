using System.Globalization;
using Sluice.Core.Destinations;

namespace Sluice.Destinations.Salesforce;

/// <summary>A destination block parsed once into typed, immutable settings.</summary>
internal sealed record SalesforceSettings(
    string Name,
    Uri LoginUrl,
    string ClientId,
    string? ClientSecret,
    string? RefreshToken,
    string ApiVersion,
    string ObjectName,
    long BulkThreshold,
    double ApiReservePercent)
{
    /// <summary>Reads the block, whose values the parser checked against <see cref="SalesforceOptionSpecs"/>.</summary>
    public static SalesforceSettings From(DestinationSettings settings)
    {
        var login = settings.GetString(SalesforceOptionSpecs.LoginUrl)!;
        return new SalesforceSettings(
            settings.Name,
            ParseLoginUrl(login) ?? throw new InvalidOperationException($"Destination '{settings.Name}': login_url is not an http(s) URL."),
            settings.GetString(SalesforceOptionNames.ClientId) ?? "",
            settings.GetString(SalesforceOptionNames.ClientSecret),
            settings.GetString(SalesforceOptionNames.RefreshToken),
            Version(settings),
            CanonicalObject(settings.GetString(SalesforceOptionNames.Object)) ?? settings.GetString(SalesforceOptionNames.Object) ?? "",
            settings.GetInt(SalesforceOptionSpecs.BulkThreshold),
            settings.GetDouble(SalesforceOptionSpecs.ApiReservePercent));
    }

    /// <summary>The API version as written, without a leading v (v62.0 and 62.0 are the same).</summary>
    public static string Version(DestinationSettings settings) => settings.GetString(SalesforceOptionSpecs.ApiVersion)!.TrimStart('v', 'V');

    /// <summary>A version as a number (62.0), for features that need a minimum version; 0 when it is not a number.</summary>
    public static double VersionNumber(string version) =>
        double.TryParse(version, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : 0;

    /// <summary>The login URL with a trailing slash, or null when it is not an absolute http(s) URL.</summary>
    public static Uri? ParseLoginUrl(string? value) =>
        Uri.TryCreate(value?.Trim().TrimEnd('/') + "/", UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" ? uri : null;

    public static string? CanonicalObject(string? name) =>
        SalesforceOptionNames.Objects.FirstOrDefault(o => string.Equals(o, name?.Trim(), StringComparison.OrdinalIgnoreCase));

    /// <summary>The API version as a number (62.0), for features that need a minimum version.</summary>
    public double ApiVersionNumber => VersionNumber(ApiVersion);

    /// <summary>Removes the secrets from a text that came back from the service before it reaches a message or log.</summary>
    public string Redact(string text)
    {
        foreach (var secret in new[] { ClientSecret, RefreshToken })
        {
            if (!string.IsNullOrEmpty(secret) && secret.Length >= 4)
                text = text.Replace(secret, "***", StringComparison.Ordinal);
        }
        return text;
    }

    // Records keep their secrets out of ToString (a record prints every property by default).
    public override string ToString() => $"salesforce destination '{Name}' ({ObjectName} at {LoginUrl})";
}

/// <summary>
/// Knobs with safe production defaults; tests shorten the delays. Not part of sluice.yaml.
/// </summary>
internal sealed record SalesforceTuning
{
    public int CollectionsBatchSize { get; init; } = 200;
    public int CollectionsConcurrency { get; init; } = 8;
    /// <summary>
    /// Rows per Bulk API batch (so per job): a run up to this size is one job (a 100,000-row run takes 6 calls). It
    /// bounds the rows held in memory at once (the engine holds O(batch)) and how much a crash leaves in doubt; a
    /// 10,000,000-row run is 67 jobs, about 400 calls, far inside an org's daily allocation. The upload limit is
    /// <see cref="BulkMaxUploadBytes"/>.
    /// </summary>
    public int BulkMaxRowsPerJob { get; init; } = 150_000;

    /// <summary>
    /// CSV bytes per job upload. Salesforce takes 150 MB per upload after base64 encoding (4/3 of the raw size), so
    /// 100 MB raw stays under it with margin.
    /// </summary>
    public long BulkMaxUploadBytes { get; init; } = 100_000_000;
    public int MaxRequestsInFlight { get; init; } = 16;
    public int MaxRetries { get; init; } = 8;
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(500);
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan BulkPollInitial { get; init; } = TimeSpan.FromMilliseconds(250);
    public TimeSpan BulkPollMax { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan BulkJobTimeout { get; init; } = TimeSpan.FromHours(2);

    /// <summary>Raw SOQL characters per lookup query, so the GET URL stays well under Salesforce's 16 KB limit.</summary>
    public int MaxSoqlLength { get; init; } = 4000;

    public static SalesforceTuning Default { get; } = new();
}

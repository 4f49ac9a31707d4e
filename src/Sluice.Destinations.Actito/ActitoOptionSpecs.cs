using System.Globalization;
using Sluice.Core.Destinations;

namespace Sluice.Destinations.Actito;

/// <summary>
/// Every option of an <c>actito</c> destination block, declared once: type, default, range and one line of
/// documentation. The parser checks values against these; <see cref="ActitoSettings"/> reads them through them.
/// </summary>
public static class ActitoOptionSpecs
{
    public static readonly OptionSpec ApiKey = new(ActitoOptions.ApiKey, OptionType.Secret,
        "Actito API key (Manage API users > View the API key); exchanged for a 15-minute access token.", Required: true);

    public static readonly OptionSpec Environment = new(ActitoOptions.Environment, OptionType.Choice,
        "Actito environment of the licence, shown with the API key: prod0 (api.actito.com), prod1 (api1), prod3 (api3) or preprod (api-pre1).",
        Default: "prod0", Choices: ["prod0", "prod1", "prod3", "preprod"]);

    public static readonly OptionSpec BaseUrl = new(ActitoOptions.BaseUrl, OptionType.Url,
        "API root; overrides environment (default https://api.actito.com, from environment). Point it at an emulator for tests and demos.");

    public static readonly OptionSpec Entity = new(ActitoOptions.Entity, OptionType.String,
        "Technical name of the entity that owns the profile table.", Required: true);

    public static readonly OptionSpec Table = new(ActitoOptions.Table, OptionType.String,
        "Technical name of the profile table, e.g. Profiles.", Required: true);

    public static readonly OptionSpec BulkThreshold = new(ActitoOptions.BulkThreshold, OptionType.Integer,
        "Runs with more creates, updates and upserts than this use one-shot ETL executions (one per operation, within imports_per_day); smaller runs, and every delete, use single-profile calls.",
        Default: ActitoOptions.DefaultBulkThreshold.ToString(CultureInfo.InvariantCulture))
    { Minimum = 0 };

    public static readonly OptionSpec CallsPerMinute = new(ActitoOptions.CallsPerMinute, OptionType.Integer,
        "API calls per minute Sluice stays within (Actito throttles above the licence's 100).", Default: "100")
    { Minimum = 1 };

    public static readonly OptionSpec MaxConcurrentRequests = new(ActitoOptions.MaxConcurrentRequests, OptionType.Integer,
        "Requests in flight at once (Actito answers 429 above the licence's 5).", Default: "5")
    { Minimum = 1 };

    public static readonly OptionSpec ImportsPerDay = new(ActitoOptions.ImportsPerDay, OptionType.Integer,
        "ETL executions (bulk imports) allowed per table per UTC day (12 unless the licence has an extension pack). A run that needs more fails before sending anything.",
        Default: "12")
    { Minimum = 0 };

    /// <summary>The block's options, in the order the documentation lists them.</summary>
    public static IReadOnlyList<OptionSpec> All { get; } =
        [ApiKey, Environment, BaseUrl, Entity, Table, BulkThreshold, CallsPerMinute, MaxConcurrentRequests, ImportsPerDay];
}

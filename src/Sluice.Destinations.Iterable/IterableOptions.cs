using Sluice.Core.Destinations;

namespace Sluice.Destinations.Iterable;

/// <summary>
/// Every option of an <c>iterable</c> destination block, declared once: type, default, range and one line of
/// documentation. The parser checks values against these; <see cref="IterableSettings"/> reads them through them.
/// </summary>
public static class IterableOptions
{
    public static readonly OptionSpec ApiKey = new(IterableOptionNames.ApiKey, OptionType.Secret,
        "Server-side API key of the Iterable project (Settings > API keys).", Required: true);

    public static readonly OptionSpec Region = new(IterableOptionNames.Region, OptionType.Choice,
        "Data center of the project: us (https://api.iterable.com) or eu (https://api.eu.iterable.com). Used when base_url is not set.",
        Default: "us", Choices: ["us", "eu"]);

    // No default, so that region can pick the data center.
    public static readonly OptionSpec BaseUrl = new(IterableOptionNames.BaseUrl, OptionType.Url,
        "API root URL; overrides region. Defaults to the region's URL (https://api.iterable.com for us). Point it at an emulator for tests and demos.");

    public static readonly OptionSpec BatchSize = new(IterableOptionNames.BatchSize, OptionType.Integer,
        "Users per bulkUpdate request, 1 to 1000. Requests are split further to stay under Iterable's 4 MB body limit.",
        Default: "1000")
    { Minimum = 1, Maximum = 1000 };

    public static readonly OptionSpec CreateNewFields = new(IterableOptionNames.CreateNewFields, OptionType.Boolean,
        "Let Iterable create user fields that don't exist yet. When false, values for unknown fields are dropped by Iterable.",
        Default: "true");

    public static readonly OptionSpec MaxRetries = new(IterableOptionNames.MaxRetries, OptionType.Integer,
        "Retries (with exponential backoff, honouring Retry-After) of a request answered 429 or 5xx or cut off, before the run stops.",
        Default: "8")
    { Minimum = 0, Maximum = 50 };

    public static readonly OptionSpec PaceRequests = new(IterableOptionNames.PaceRequests, OptionType.Boolean,
        "Pace requests to Iterable's documented per-project limits (bulkUpdate 5/s, user lookups 100/s, single updates 500/s). Turn off only against an emulator without limits.",
        Default: "true");

    /// <summary>The block's options, in the order the documentation lists them.</summary>
    public static IReadOnlyList<OptionSpec> All { get; } = [ApiKey, Region, BaseUrl, BatchSize, CreateNewFields, MaxRetries, PaceRequests];
}

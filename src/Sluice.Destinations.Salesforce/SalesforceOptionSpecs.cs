using Sluice.Core.Destinations;

namespace Sluice.Destinations.Salesforce;

/// <summary>
/// Every option of a <c>type: salesforce</c> destination block, declared once: type, default, range and one line
/// of documentation. The parser checks values against these; <see cref="SalesforceSettings"/> reads them through them.
/// </summary>
public static class SalesforceOptionSpecs
{
    public static readonly OptionSpec LoginUrl = new(SalesforceOptionNames.LoginUrl, OptionType.Url,
        "Where Sluice gets OAuth tokens: https://login.salesforce.com, https://test.salesforce.com for sandboxes, or the org's My Domain URL (needed for client credentials). Point it at `sluice emulate salesforce` for tests.",
        Default: "https://login.salesforce.com");

    public static readonly OptionSpec ClientId = new(SalesforceOptionNames.ClientId, OptionType.String,
        "Consumer key of the connected (external client) app.", Required: true);

    public static readonly OptionSpec ClientSecret = new(SalesforceOptionNames.ClientSecret, OptionType.Secret,
        "Consumer secret of the connected app (client credentials flow, which needs a run-as user).");

    public static readonly OptionSpec RefreshToken = new(SalesforceOptionNames.RefreshToken, OptionType.Secret,
        "Optional: a refresh token; when set, Sluice uses the refresh token flow instead of client credentials.");

    public static readonly OptionSpec ApiVersion = new(SalesforceOptionNames.ApiVersion, OptionType.String,
        "Salesforce REST API version (upsert needs 46.0 or later).", Default: "62.0");

    public static readonly OptionSpec Object = new(SalesforceOptionNames.Object, OptionType.Choice,
        "The standard object this destination writes. Contact and Lead take a user model; Account, Case and Contract a custom model.",
        Required: true, Choices: SalesforceOptionNames.Objects);

    public static readonly OptionSpec BulkThreshold = new(SalesforceOptionNames.BulkThreshold, OptionType.Integer,
        "From this many planned records on, a run goes through Bulk API 2.0 jobs instead of sObject Collections calls of 200.",
        Default: "10000")
    { Minimum = 0 };

    public static readonly OptionSpec ApiReservePercent = new(SalesforceOptionNames.ApiReservePercent, OptionType.Number,
        "Share of the org's daily API allowance Sluice never uses, left for other integrations; a run stops cleanly before reaching it.",
        Default: "10")
    { Minimum = 0, Maximum = 100 };

    /// <summary>The block's options, in the order the documentation lists them.</summary>
    public static IReadOnlyList<OptionSpec> All { get; } =
        [LoginUrl, ClientId, ClientSecret, RefreshToken, ApiVersion, Object, BulkThreshold, ApiReservePercent];
}

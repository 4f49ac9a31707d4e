namespace Sluice.Destinations.Salesforce;

/// <summary>
/// The option names of a <c>type: salesforce</c> destination block in <c>sluice.yaml</c>. Their types, defaults and
/// ranges are declared once, in <see cref="SalesforceOptionSpecs"/>.
/// </summary>
public static class SalesforceOptionNames
{
    /// <summary>Where to get OAuth tokens; use the org's My Domain for client credentials.</summary>
    public const string LoginUrl = "login_url";

    /// <summary>The connected (external client) app's consumer key. Required.</summary>
    public const string ClientId = "client_id";

    /// <summary>The connected app's consumer secret. Secret.</summary>
    public const string ClientSecret = "client_secret";

    /// <summary>A refresh token: when set, Sluice uses the refresh_token grant instead of client_credentials. Secret.</summary>
    public const string RefreshToken = "refresh_token";

    /// <summary>The REST API version, e.g. <c>62.0</c>.</summary>
    public const string ApiVersion = "api_version";

    /// <summary>The standard object this destination writes: Account, Case, Contact, Contract or Lead. Required.</summary>
    public const string Object = "object";

    /// <summary>From this many planned records on, a run uses Bulk API 2.0 instead of sObject Collections.</summary>
    public const string BulkThreshold = "bulk_threshold";

    /// <summary>The share (percent) of the org's daily API allowance Sluice leaves untouched.</summary>
    public const string ApiReservePercent = "api_reserve_percent";

    /// <summary>The objects a destination can write, in the spelling Salesforce uses.</summary>
    public static IReadOnlyList<string> Objects { get; } = ["Account", "Case", "Contact", "Contract", "Lead"];
}

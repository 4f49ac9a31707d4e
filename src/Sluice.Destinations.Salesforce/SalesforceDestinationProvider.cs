using Sluice.Core.Destinations;
using Sluice.Core.Models;
using Sluice.Destinations.Salesforce.Schema;

namespace Sluice.Destinations.Salesforce;

/// <summary>
/// The <c>type: salesforce</c> destination: writes one standard object (Account, Case, Contact, Contract or Lead)
/// in insert, update or upsert mode, through sObject Collections for small runs and Bulk API 2.0 for large ones.
/// Stateless; one instance serves the process.
/// </summary>
public sealed class SalesforceDestinationProvider : IDestinationProvider
{
    private static readonly IReadOnlySet<SyncMode> SupportedModes =
        new HashSet<SyncMode> { SyncMode.Insert, SyncMode.Update, SyncMode.Upsert };

    private static readonly IReadOnlyList<OptionSpec> Specs =
    [
        new(SalesforceOptionNames.LoginUrl, OptionType.Url,
            "Where Sluice gets OAuth tokens: https://login.salesforce.com, https://test.salesforce.com for sandboxes, or the org's My Domain URL (needed for client credentials). Point it at `sluice emulate salesforce` for tests.",
            Default: SalesforceOptionNames.DefaultLoginUrl),
        new(SalesforceOptionNames.ClientId, OptionType.String,
            "Consumer key of the connected (external client) app.", Required: true),
        new(SalesforceOptionNames.ClientSecret, OptionType.Secret,
            "Consumer secret of the connected app (client credentials flow, which needs a run-as user)."),
        new(SalesforceOptionNames.RefreshToken, OptionType.Secret,
            "Optional: a refresh token; when set, Sluice uses the refresh token flow instead of client credentials."),
        new(SalesforceOptionNames.ApiVersion, OptionType.String,
            "Salesforce REST API version (upsert needs 46.0 or later).", Default: SalesforceOptionNames.DefaultApiVersion),
        new(SalesforceOptionNames.Object, OptionType.Choice,
            "The standard object this destination writes. Contact and Lead take a user model; Account, Case and Contract a custom model.",
            Required: true, Choices: SalesforceOptionNames.Objects),
        new(SalesforceOptionNames.BulkThreshold, OptionType.Integer,
            "From this many planned records on, a run goes through Bulk API 2.0 jobs instead of sObject Collections calls of 200.",
            Default: "10000"),
        new(SalesforceOptionNames.ApiReservePercent, OptionType.Number,
            "Share of the org's daily API allowance Sluice never uses, left for other integrations; a run stops cleanly before reaching it.",
            Default: "10"),
    ];

    public string Type => "salesforce";

    public IReadOnlyList<OptionSpec> Options => Specs;

    public IReadOnlySet<SyncMode> Modes => SupportedModes;

    /// <summary>The seed: in insert mode a changed row creates a new line; the original is left as it was.</summary>
    public bool InsertCreatesChangedRows => true;

    public string MatchHint =>
        "Salesforce needs the \"Object ID\" match: a model column and the Salesforce field that identifies the record, " +
        "its Id (update only) or an External ID field (Setup > Object Manager > your object > Fields & Relationships, " +
        "tick \"External ID\"), e.g. match: { column: account_ref, field: External_Id__c }.";

    /// <summary>Retry delays, batch sizes and polling; tests shorten them.</summary>
    internal SalesforceTuning Tuning { get; init; } = SalesforceTuning.Default;

    public IReadOnlyList<SyncProblem> CheckSync(DestinationSettings settings, SyncContext sync)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(sync);
        return SyncRules.CheckStatic(settings, sync);
    }

    public IDestination Create(DestinationSettings settings, DestinationServices services)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(services);
        return new SalesforceDestination(SalesforceSettings.From(settings), services, Tuning);
    }
}

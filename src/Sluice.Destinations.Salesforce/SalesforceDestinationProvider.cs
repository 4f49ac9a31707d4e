using Sluice.Core.Destinations;
using Sluice.Core.Models;
using Sluice.Core.Planning;
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

    public string Type => "salesforce";

    public IReadOnlyList<OptionSpec> Options => SalesforceOptionSpecs.All;

    public IReadOnlySet<SyncMode> Modes => SupportedModes;

    /// <summary>The seed: in insert mode a changed row creates a new line; the original is left as it was.</summary>
    public bool InsertCreatesChangedRows => true;

    public string MatchHint =>
        "Salesforce needs the \"Object ID\" match: a model column and the Salesforce field that identifies the record, " +
        "its Id (update only) or an External ID field (Setup > Object Manager > your object > Fields & Relationships, " +
        "tick \"External ID\"), e.g. match: { column: account_ref, field: External_Id__c }.";

    /// <summary>Retry delays, batch sizes and polling; tests shorten them.</summary>
    internal SalesforceTuning Tuning { get; init; } = SalesforceTuning.Default;

    /// <summary>
    /// External ids compare case-insensitively (as the client's own duplicate check, BatchPrep); record ids are matched
    /// exactly.
    /// </summary>
    public MatchComparison CompareMatches(SyncContext sync) =>
        string.Equals(sync?.Match.Field, "Id", StringComparison.OrdinalIgnoreCase) ? MatchComparison.Exact : MatchComparison.IgnoreCase;

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

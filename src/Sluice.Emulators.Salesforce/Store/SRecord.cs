namespace Sluice.Emulators.Salesforce.Store;

/// <summary>
/// One stored record. Values are normalised: string, long (int), double (double/currency/percent), bool, or null;
/// dates and datetimes as their Salesforce text form. Keys are the describe's field names.
/// </summary>
internal sealed class SRecord(string id, string type, Dictionary<string, object?> values)
{
    public string Id { get; } = id;
    public string Type { get; } = type;
    public Dictionary<string, object?> Values { get; set; } = values;
}

using Sluice.Core.Destinations;
using Sluice.Core.Models;

namespace Sluice.Destinations.Salesforce.Schema;

/// <summary>
/// A field as Salesforce spells it, with how its values are written; its describe type, and the model column that
/// feeds it with the column's source type, for messages about a value that does not fit.
/// </summary>
internal sealed record PlannedField(string Name, ValueShape Shape, string SfType = "string", string Column = "", string SourceType = "");

/// <summary>Where a column of an outgoing record takes its value from.</summary>
internal enum ColumnSource
{
    /// <summary>The mapped value at <see cref="OutColumn.Index"/>.</summary>
    Value,

    /// <summary>The record's match value.</summary>
    Match,

    /// <summary>The Salesforce record Id (update).</summary>
    RecordId,

    /// <summary>
    /// The match value for a row never delivered; nothing for a changed row. Insert creates a new record for a
    /// changed row while the first one keeps the value, which a unique field would refuse as a duplicate.
    /// </summary>
    MatchWhenNew,
}

internal readonly record struct OutColumn(string Name, ValueShape Shape, ColumnSource Source, int Index);

/// <summary>
/// Everything the writers need, resolved once from the describe: canonical field names, value shapes, and the match.
/// Immutable and shared by concurrent batches.
/// </summary>
internal sealed class WritePlan(
    string objectName,
    SyncMode mode,
    bool matchIsId,
    PlannedField? matchField,
    bool matchUnique,
    StringComparer matchComparer,
    IReadOnlyDictionary<string, PlannedField> fields)
{
    public string ObjectName { get; } = objectName;
    public SyncMode Mode { get; } = mode;
    public bool MatchIsId { get; } = matchIsId;

    /// <summary>The match field; null when the match is Id (or there is none).</summary>
    public PlannedField? MatchField { get; } = matchField;

    public StringComparer MatchComparer { get; } = matchComparer;

    /// <summary>The planned field a batch field (as written in the sync) goes to.</summary>
    public PlannedField? Field(string batchField) => fields.GetValueOrDefault(batchField.Trim());

    /// <summary>The match field is unique, so an insert of a changed row is created without it.</summary>
    public bool MatchUnique { get; } = matchUnique;

    /// <summary>The columns sent for one operation, given the batch's field list.</summary>
    public OutColumn[] ColumnsFor(RecordOperation operation, IReadOnlyList<FieldMapping> batchFields)
    {
        var columns = new List<OutColumn>(batchFields.Count + 1);
        switch (operation)
        {
            case RecordOperation.Update:
                columns.Add(new OutColumn("Id", ValueShape.Text, ColumnSource.RecordId, -1));
                break;
            case RecordOperation.Upsert when MatchField is not null:
                columns.Add(new OutColumn(MatchField.Name, MatchField.Shape, ColumnSource.Match, -1));
                break;
        }
        for (var i = 0; i < batchFields.Count; i++)
        {
            if (!fields.TryGetValue(batchFields[i].Field.Trim(), out var f))
                throw new DeliveryException(ErrorCategory.Configuration,
                    $"Field {batchFields[i].Field} was not part of the sync checked against Salesforce; run `sluice validate`.");
            if (columns.Any(c => string.Equals(c.Name, f.Name, StringComparison.OrdinalIgnoreCase)))
                continue; // Already sent as the match or the Id.
            columns.Add(new OutColumn(f.Name, f.Shape, ColumnSource.Value, i));
        }
        // Insert also writes the match field, so the created record can be found again after an interruption.
        if (operation == RecordOperation.Create && MatchField is not null
            && !columns.Any(c => string.Equals(c.Name, MatchField.Name, StringComparison.OrdinalIgnoreCase)))
            columns.Add(new OutColumn(MatchField.Name, MatchField.Shape, MatchUnique ? ColumnSource.MatchWhenNew : ColumnSource.Match, -1));
        return [.. columns];
    }
}

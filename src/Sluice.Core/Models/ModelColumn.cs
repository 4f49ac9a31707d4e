namespace Sluice.Core.Models;

/// <summary>
/// The kind of value a model column holds, independent of the source database. Values reach
/// destinations as these .NET types: Text=string, Integer=long, Decimal=decimal, Float=double,
/// Boolean=bool, Date=DateOnly, Timestamp=DateTime (UTC when the source knows the zone),
/// Time=TimeOnly, Other=string (the source's text form).
/// </summary>
public enum ValueKind
{
    Text,
    Integer,
    Decimal,
    Float,
    Boolean,
    Date,
    Timestamp,
    Time,
    Other,
}

/// <summary>A column of a model as discovered from the source.</summary>
/// <param name="Name">The column name as the model's SQL returns it.</param>
/// <param name="Kind">The value kind Sluice maps it to.</param>
/// <param name="SourceType">The source's own type name (e.g. VARCHAR, BIGINT), for messages.</param>
public sealed record ModelColumn(string Name, ValueKind Kind, string SourceType)
{
    public override string ToString() => $"{Name} ({SourceType})";
}

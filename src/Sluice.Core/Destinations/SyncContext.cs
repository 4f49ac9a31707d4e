using Sluice.Core.Models;

namespace Sluice.Core.Destinations;

/// <summary>A model column mapped to a destination attribute.</summary>
/// <param name="Column">The model column.</param>
/// <param name="Field">The destination's attribute or field name.</param>
public sealed record FieldMapping(string Column, string Field);

/// <summary>
/// What a destination needs to know about the sync it serves: the mode, the match (model column to
/// destination identifier), the mappings, and the model's real columns.
/// </summary>
public sealed record SyncContext(
    string SyncName,
    SyncMode Mode,
    ModelKind ModelKind,
    FieldMapping Match,
    IReadOnlyList<FieldMapping> Mappings,
    IReadOnlyList<ModelColumn> Columns)
{
    /// <summary>The model column a mapping (or the match) reads.</summary>
    public ModelColumn ColumnOf(FieldMapping mapping) =>
        Columns.First(c => string.Equals(c.Name, mapping.Column, StringComparison.OrdinalIgnoreCase));
}

/// <summary>Where a problem found by a destination check points in <c>sluice.yaml</c>.</summary>
public enum ProblemTarget
{
    /// <summary>The destination block (credentials, object, table...).</summary>
    Destination,

    /// <summary>The sync's mode.</summary>
    Mode,

    /// <summary>The sync's match.</summary>
    Match,

    /// <summary>One mapping; <see cref="SyncProblem.Column"/> names its model column.</summary>
    Mapping,

    /// <summary>The sync as a whole.</summary>
    Sync,
}

/// <summary>
/// A problem a destination found with a sync, in words its users understand, with what to do about it.
/// </summary>
public sealed record SyncProblem(ProblemTarget Target, string Message, string? Hint = null, string? Column = null)
{
    public static SyncProblem ForMapping(string column, string message, string? hint = null) =>
        new(ProblemTarget.Mapping, message, hint, column);
}

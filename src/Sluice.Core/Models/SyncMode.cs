namespace Sluice.Core.Models;

/// <summary>What a sync does with the rows it finds added, changed or removed (DESIGN.md, "Sync modes").</summary>
public enum SyncMode
{
    /// <summary>Added rows are created; existing destination records are never modified or deleted.</summary>
    Insert,

    /// <summary>Added and changed rows update the matching record; no match is reported as not found.</summary>
    Update,

    /// <summary>Added and changed rows are created when missing and updated when present.</summary>
    Upsert,

    /// <summary>Upsert, plus removed rows are deleted in the destination (guarded).</summary>
    Mirror,
}

/// <summary>What a model holds: people (with identity columns such as email) or other records.</summary>
public enum ModelKind
{
    User,
    Custom,
}

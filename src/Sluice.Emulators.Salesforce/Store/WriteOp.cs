using Sluice.Emulators.Salesforce.Schema;

namespace Sluice.Emulators.Salesforce.Store;

internal enum WriteKind
{
    Create,
    Update,
    Upsert,
    Delete,
}

/// <summary>A per-record error as Salesforce words it (<c>statusCode</c>, <c>message</c>, <c>fields</c>).</summary>
internal sealed record RecordError(string StatusCode, string Message, IReadOnlyList<string> Fields)
{
    public static RecordError RolledBack { get; } = new(
        "ALL_OR_NONE_OPERATION_ROLLED_BACK",
        "Record rolled back because not all records were valid and the request was using AllOrNone header",
        []);
}

/// <summary>One record write inside a request (single call, collection or bulk chunk), with its outcome.</summary>
internal sealed class WriteOp(WriteKind kind, SObjectSchema schema)
{
    public WriteKind Kind { get; } = kind;
    public SObjectSchema Schema { get; } = schema;

    /// <summary>Target id for update and delete (already normalised to 18 chars).</summary>
    public string? Id { get; set; }

    /// <summary>Validated, normalised values to write (field name as in the describe).</summary>
    public Dictionary<string, object?> Values { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Required fields missing from the values; an error only when the write turns out to be a create.</summary>
    public IReadOnlyList<string> MissingRequired { get; set; } = [];

    /// <summary>Upsert key field and value.</summary>
    public FieldSchema? ExternalField { get; set; }
    public string? ExternalValue { get; set; }

    /// <summary>Upsert that must not create (<c>?updateOnly=true</c>).</summary>
    public bool UpdateOnly { get; set; }

    public List<RecordError> Errors { get; } = [];

    /// <summary>Ids matched when an upsert key is ambiguous (single upsert answers 300 with them).</summary>
    public IReadOnlyList<string> Ambiguous { get; set; } = [];

    /// <summary>Request-level outcome for a single-record call, e.g. NOT_FOUND answered as HTTP 404.</summary>
    public bool NotFound { get; set; }

    public string? ResultId { get; set; }
    public bool Created { get; set; }
    public bool Failed => Errors.Count > 0;
}

/// <summary>
/// Salesforce refuses every record of one request that shares an upsert key with another record of that request
/// ("Duplicate external id specified"); the key compares as the field does (case-insensitively unless the field is
/// case-sensitive).
/// </summary>
internal static class DuplicateKeys
{
    public static void Reject(IReadOnlyList<WriteOp> ops)
    {
        var groups = new Dictionary<string, List<WriteOp>>(StringComparer.Ordinal);
        foreach (var op in ops)
        {
            if (op.Kind != WriteKind.Upsert || op.Failed || op.ExternalValue is null || op.ExternalField is null)
                continue;
            var key = op.ExternalField.CaseSensitive ? op.ExternalValue : op.ExternalValue.ToUpperInvariant();
            if (!groups.TryGetValue(key, out var list))
                groups[key] = list = [];
            list.Add(op);
        }
        foreach (var list in groups.Values.Where(l => l.Count > 1))
        {
            foreach (var op in list)
                op.Errors.Add(new RecordError("DUPLICATE_EXTERNAL_ID", $"Duplicate external id specified: {op.ExternalValue}", [op.ExternalField!.Name]));
        }
    }
}


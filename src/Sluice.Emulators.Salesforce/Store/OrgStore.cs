using System.Globalization;
using Sluice.Emulators.Salesforce.Schema;

namespace Sluice.Emulators.Salesforce.Store;

/// <summary>
/// All records of the emulated org, in memory. One lock guards writes and index lookups; record values are
/// copy-on-write dictionaries, so a reader can use a snapshot outside the lock.
/// </summary>
internal sealed class OrgStore
{
    public const string UserId = "0055E000001AbCdQAK";

    private readonly Lock _gate = new();
    private readonly SchemaCatalog _catalog;
    private readonly TimeProvider _clock;
    private readonly SalesforceEmulatorOptions _options;
    private readonly Dictionary<string, ObjectTable> _tables = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, SRecord> _byId = new(StringComparer.Ordinal);
    private readonly HashSet<string> _deleted = new(StringComparer.Ordinal);
    private readonly Dictionary<SObjectSchema, IReadOnlyList<FieldSchema>> _defaulted = [];
    private long _nextId;
    private long _nextAutoNumber;

    public OrgStore(SchemaCatalog catalog, TimeProvider clock, SalesforceEmulatorOptions options)
    {
        _catalog = catalog;
        _clock = clock;
        _options = options;
        Reset();
    }

    public SchemaCatalog Catalog => _catalog;

    public void Reset()
    {
        lock (_gate)
        {
            _tables.Clear();
            _byId.Clear();
            _deleted.Clear();
            foreach (var schema in _catalog.ByName.Values)
                _tables[schema.Name] = new ObjectTable(schema);
            _nextId = 0;
            _nextAutoNumber = 1000;
        }
    }

    public int Count(string objectName)
    {
        lock (_gate)
            return _tables.TryGetValue(objectName, out var t) ? t.Records.Count : 0;
    }

    public int TotalCount()
    {
        lock (_gate)
            return _byId.Count;
    }

    public IReadOnlyList<SRecord> All(string objectName)
    {
        lock (_gate)
            return _tables.TryGetValue(objectName, out var t) ? [.. t.Records.Values] : [];
    }

    public SRecord? Get(string id)
    {
        lock (_gate)
            return _byId.GetValueOrDefault(id);
    }

    public bool IsDeleted(string id)
    {
        lock (_gate)
            return _deleted.Contains(id);
    }

    /// <summary>Records of one type whose field equals one of the values (index when there is one, else a scan).</summary>
    public List<SRecord> Find(SObjectSchema schema, FieldSchema field, IReadOnlyList<object?> values)
    {
        var result = new List<SRecord>();
        lock (_gate)
        {
            var table = _tables[schema.Name];
            if (field.Name == "Id")
            {
                foreach (var v in values)
                {
                    if (v is string s && SalesforceId.TryNormalize(s, out var id) && table.Records.TryGetValue(id, out var r))
                        result.Add(r);
                }
                return Distinct(result);
            }
            if (table.Indexes.TryGetValue(field.Name, out var index))
            {
                foreach (var v in values)
                {
                    if (v is not null && index.TryGetValue(KeyOf(v), out var ids))
                        result.AddRange(ids.Select(i => table.Records[i]));
                }
                return Distinct(result);
            }
            var comparer = field.CaseSensitive ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase;
            var wanted = values.OfType<object>().Select(KeyOf).ToHashSet(comparer);
            var wantsNull = values.Any(v => v is null);
            foreach (var r in table.Records.Values)
            {
                var value = r.Values.GetValueOrDefault(field.Name);
                if (value is null ? wantsNull : wanted.Contains(KeyOf(value)))
                    result.Add(r);
            }
            return result;
        }
    }

    private static List<SRecord> Distinct(List<SRecord> records) =>
        records.Count < 2 ? records : [.. records.DistinctBy(r => r.Id)];

    /// <summary>
    /// Applies the writes in order. With <paramref name="allOrNone"/>, any failure undoes every write of the call
    /// and marks the others ALL_OR_NONE_OPERATION_ROLLED_BACK.
    /// </summary>
    public void Apply(IReadOnlyList<WriteOp> ops, bool allOrNone)
    {
        lock (_gate)
        {
            var undo = new List<Action>();
            foreach (var op in ops)
            {
                if (op.Failed)
                    continue;
                switch (op.Kind)
                {
                    case WriteKind.Create:
                        CreateLocked(op, undo);
                        break;
                    case WriteKind.Update:
                        UpdateLocked(op, undo);
                        break;
                    case WriteKind.Upsert:
                        UpsertLocked(op, undo);
                        break;
                    case WriteKind.Delete:
                        DeleteLocked(op, undo);
                        break;
                }
            }
            if (allOrNone && ops.Any(o => o.Failed))
            {
                for (var i = undo.Count - 1; i >= 0; i--)
                    undo[i]();
                foreach (var op in ops)
                {
                    if (!op.Failed)
                        op.Errors.Add(RecordError.RolledBack);
                    op.ResultId = null;
                    op.Created = false;
                }
            }
        }
    }

    private void CreateLocked(WriteOp op, List<Action> undo)
    {
        if (op.MissingRequired.Count > 0)
        {
            op.Errors.Add(Errors.RequiredMissing(op.MissingRequired));
            return;
        }
        var table = _tables[op.Schema.Name];
        if (DuplicateLocked(table, op.Values, exceptId: null) is { } duplicate)
        {
            op.Errors.Add(duplicate);
            return;
        }
        var now = Now();
        var id = SalesforceId.Create(op.Schema.KeyPrefix, ++_nextId);
        var values = new Dictionary<string, object?>(op.Values, StringComparer.OrdinalIgnoreCase);
        var schema = op.Schema;
        foreach (var field in DefaultedLocked(schema))
        {
            if (values.ContainsKey(field.Name))
                continue;
            object? value = field.Name switch
            {
                "Id" => id,
                "IsDeleted" => false,
                "CreatedDate" or "LastModifiedDate" or "SystemModstamp" => now,
                "CreatedById" or "LastModifiedById" or "OwnerId" => UserId,
                _ when field.Type == "boolean" && !field.Nillable => false,
                _ when field.DefaultedOnCreate && field.Type == "picklist" => field.DefaultPicklistValue,
                _ when field.Type == "string" && IsAutoNumber(field) => (++_nextAutoNumber).ToString("D8", CultureInfo.InvariantCulture),
                _ => null,
            };
            if (value is not null)
                values[field.Name] = value;
        }
        values["Id"] = id;
        ComputeName(schema, values);
        var record = new SRecord(id, schema.Name, values);
        table.Records[id] = record;
        _byId[id] = record;
        table.AddToIndexes(record);
        undo.Add(() =>
        {
            table.RemoveFromIndexes(record);
            table.Records.Remove(id);
            _byId.Remove(id);
        });
        op.ResultId = id;
        op.Created = true;
    }

    /// <summary>The fields a create may fill itself (system fields, defaults, auto-numbers), per object, computed once.</summary>
    private IReadOnlyList<FieldSchema> DefaultedLocked(SObjectSchema schema)
    {
        if (_defaulted.TryGetValue(schema, out var cached))
            return cached;
        FieldSchema[] fields = [.. schema.Fields.Where(f => f.Name is "Id" or "IsDeleted" or "CreatedDate" or "LastModifiedDate" or "SystemModstamp"
                or "CreatedById" or "LastModifiedById" or "OwnerId"
            || (f.Type == "boolean" && !f.Nillable)
            || (f.DefaultedOnCreate && f.Type == "picklist")
            || (f.Type == "string" && IsAutoNumber(f)))];
        _defaulted[schema] = fields;
        return fields;
    }

    private static bool IsAutoNumber(FieldSchema field) =>
        !field.Createable && !field.Nillable && field.DefaultedOnCreate && field.Name.EndsWith("Number", StringComparison.Ordinal);

    private void UpdateLocked(WriteOp op, List<Action> undo)
    {
        var id = op.Id!;
        if (!_byId.TryGetValue(id, out var record) || !string.Equals(record.Type, op.Schema.Name, StringComparison.Ordinal))
        {
            op.NotFound = true;
            op.Errors.Add(_deleted.Contains(id) ? Errors.EntityIsDeleted : Errors.NotFoundRecord(_options.MissingRecordStatusCode));
            return;
        }
        UpdateRecordLocked(op, record, undo);
    }

    private void UpdateRecordLocked(WriteOp op, SRecord record, List<Action> undo)
    {
        if (op.Schema.Name == "Lead" && record.Values.GetValueOrDefault("IsConverted") is true)
        {
            op.Errors.Add(new RecordError("CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead", []));
            return;
        }
        var table = _tables[op.Schema.Name];
        if (DuplicateLocked(table, op.Values, exceptId: record.Id) is { } duplicate)
        {
            op.Errors.Add(duplicate);
            return;
        }
        var old = record.Values;
        var values = new Dictionary<string, object?>(old, StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in op.Values)
        {
            if (value is null)
                values.Remove(key);
            else
                values[key] = value;
        }
        var now = Now();
        values["LastModifiedDate"] = now;
        values["SystemModstamp"] = now;
        values["LastModifiedById"] = UserId;
        ComputeName(op.Schema, values);
        table.RemoveFromIndexes(record);
        record.Values = values;
        table.AddToIndexes(record);
        undo.Add(() =>
        {
            table.RemoveFromIndexes(record);
            record.Values = old;
            table.AddToIndexes(record);
        });
        op.ResultId = record.Id;
        op.Created = false;
    }

    private void UpsertLocked(WriteOp op, List<Action> undo)
    {
        var field = op.ExternalField!;
        var table = _tables[op.Schema.Name];
        List<string> matches;
        if (field.Name == "Id")
        {
            matches = op.ExternalValue is { } v && SalesforceId.TryNormalize(v, out var id) && table.Records.ContainsKey(id) ? [id] : [];
        }
        else
        {
            matches = op.ExternalValue is { } v && table.Indexes.TryGetValue(field.Name, out var index) && index.TryGetValue(v, out var ids)
                ? [.. ids]
                : [];
        }
        if (matches.Count > 1)
        {
            op.Ambiguous = matches;
            op.Errors.Add(new RecordError(
                "DUPLICATE_EXTERNAL_ID",
                $"{field.Name}: more than one record found for external id field: [{string.Join(", ", matches)}]",
                [field.Name]));
            return;
        }
        if (matches.Count == 1)
        {
            UpdateRecordLocked(op, table.Records[matches[0]], undo);
            return;
        }
        if (op.UpdateOnly)
        {
            op.NotFound = true;
            op.Errors.Add(Errors.NotFoundRecord("NOT_FOUND"));
            return;
        }
        if (field.Name != "Id" && op.ExternalValue is not null)
            op.Values[field.Name] = op.ExternalValue;
        CreateLocked(op, undo);
    }

    private void DeleteLocked(WriteOp op, List<Action> undo)
    {
        var id = op.Id!;
        if (!_byId.TryGetValue(id, out var record))
        {
            op.NotFound = true;
            op.Errors.Add(_deleted.Contains(id) ? Errors.EntityIsDeleted : Errors.NotFoundRecord(_options.MissingRecordStatusCode));
            return;
        }
        var table = _tables[record.Type];
        table.RemoveFromIndexes(record);
        table.Records.Remove(id);
        _byId.Remove(id);
        _deleted.Add(id);
        undo.Add(() =>
        {
            _deleted.Remove(id);
            table.Records[id] = record;
            _byId[id] = record;
            table.AddToIndexes(record);
        });
        op.ResultId = id;
    }

    private static RecordError? DuplicateLocked(ObjectTable table, Dictionary<string, object?> values, string? exceptId)
    {
        foreach (var (fieldName, index) in table.Indexes)
        {
            var field = table.Schema.FieldsByName[fieldName];
            if (!field.Unique || !values.TryGetValue(fieldName, out var value) || value is null)
                continue;
            if (index.TryGetValue(KeyOf(value), out var ids) && ids.FirstOrDefault(i => i != exceptId) is { } other)
                return new RecordError("DUPLICATE_VALUE", $"duplicate value found: {field.Name} duplicates value on record with id: {other}", []);
        }
        return null;
    }

    private static void ComputeName(SObjectSchema schema, Dictionary<string, object?> values)
    {
        // Contact and Lead have a read-only compound Name built from the name parts.
        if (schema.FieldsByName.TryGetValue("Name", out var name) && !name.Createable && schema.FieldsByName.ContainsKey("LastName"))
        {
            var first = values.GetValueOrDefault("FirstName") as string;
            var last = values.GetValueOrDefault("LastName") as string;
            values["Name"] = string.IsNullOrEmpty(first) ? last : $"{first} {last}";
        }
    }

    private string Now() => Values.FormatDateTime(_clock.GetUtcNow());

    internal static string KeyOf(object value) => value switch
    {
        string s => s,
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private sealed class ObjectTable
    {
        public ObjectTable(SObjectSchema schema)
        {
            Schema = schema;
            foreach (var field in schema.Fields.Where(f => f.Indexed && f.Name != "Id"))
                Indexes[field.Name] = new Dictionary<string, List<string>>(field.CaseSensitive ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase);
        }

        public SObjectSchema Schema { get; }
        public Dictionary<string, SRecord> Records { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, Dictionary<string, List<string>>> Indexes { get; } = new(StringComparer.OrdinalIgnoreCase);

        public void AddToIndexes(SRecord record)
        {
            foreach (var (field, index) in Indexes)
            {
                if (record.Values.GetValueOrDefault(field) is not { } value)
                    continue;
                var key = KeyOf(value);
                if (!index.TryGetValue(key, out var ids))
                    index[key] = ids = new List<string>(1);
                ids.Add(record.Id);
            }
        }

        public void RemoveFromIndexes(SRecord record)
        {
            foreach (var (field, index) in Indexes)
            {
                if (record.Values.GetValueOrDefault(field) is not { } value)
                    continue;
                var key = KeyOf(value);
                if (index.TryGetValue(key, out var ids))
                {
                    ids.Remove(record.Id);
                    if (ids.Count == 0)
                        index.Remove(key);
                }
            }
        }
    }
}

using Sluice.Destinations.Salesforce.Http;

namespace Sluice.Destinations.Salesforce.Schema;

/// <summary>The describe of one object, indexed by field name (Salesforce API names are case-insensitive).</summary>
internal sealed class ObjectSchema
{
    private readonly Dictionary<string, FieldDescribe> _fields;

    public ObjectSchema(string name, IEnumerable<FieldDescribe> fields)
    {
        Name = name;
        _fields = new Dictionary<string, FieldDescribe>(StringComparer.OrdinalIgnoreCase);
        foreach (var f in fields)
            _fields.TryAdd(f.Name, f);
    }

    public string Name { get; }

    public IEnumerable<FieldDescribe> Fields => _fields.Values;

    public FieldDescribe? Find(string name) => _fields.GetValueOrDefault(name);

    /// <summary>Required on create = createable, not nillable and not defaulted on create (facts §2).</summary>
    public IEnumerable<FieldDescribe> RequiredOnCreate =>
        _fields.Values.Where(f => f.Createable && !f.Nillable && !f.DefaultedOnCreate);

    public static ObjectSchema From(DescribeResult describe, string fallbackName) =>
        new(describe.Name ?? fallbackName, describe.Fields ?? []);
}

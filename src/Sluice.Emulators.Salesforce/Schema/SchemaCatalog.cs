using System.Collections.Frozen;
using System.Text.Json.Nodes;

namespace Sluice.Emulators.Salesforce.Schema;

/// <summary>The sObject types the emulated org knows, by name and by key prefix.</summary>
internal sealed class SchemaCatalog
{
    private static readonly string[] BuiltIn = ["Account", "Case", "Contact", "Contract", "Lead"];

    private SchemaCatalog(IEnumerable<SObjectSchema> objects)
    {
        ByName = objects.ToFrozenDictionary(o => o.Name, StringComparer.OrdinalIgnoreCase);
        ByPrefix = ByName.Values.GroupBy(o => o.KeyPrefix).ToFrozenDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
    }

    public FrozenDictionary<string, SObjectSchema> ByName { get; }
    public FrozenDictionary<string, SObjectSchema> ByPrefix { get; }

    public bool TryGet(string name, out SObjectSchema schema) => ByName.TryGetValue(name, out schema!);

    /// <summary>Loads the built-in describes, then <c>&lt;Object&gt;.json</c> files from <paramref name="directory"/> (which win).</summary>
    public static SchemaCatalog Load(string? directory)
    {
        var objects = new Dictionary<string, SObjectSchema>(StringComparer.OrdinalIgnoreCase);
        var assembly = typeof(SchemaCatalog).Assembly;
        foreach (var name in BuiltIn)
        {
            using var stream = assembly.GetManifestResourceStream($"Describes.{name}.json")
                ?? throw new InvalidOperationException($"embedded describe of {name} is missing");
            var schema = SObjectSchema.FromDescribe(JsonNode.Parse(stream)!.AsObject(), addExternalId: true);
            objects[schema.Name] = schema;
        }
        if (!string.IsNullOrEmpty(directory))
        {
            if (!Directory.Exists(directory))
                throw new DirectoryNotFoundException($"Salesforce schema directory '{directory}' does not exist.");
            foreach (var file in Directory.EnumerateFiles(directory, "*.json").Order(StringComparer.Ordinal))
            {
                JsonObject describe;
                try
                {
                    describe = JsonNode.Parse(File.ReadAllText(file))?.AsObject()
                        ?? throw new InvalidDataException("empty document");
                }
                catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException or InvalidDataException)
                {
                    throw new InvalidDataException($"'{file}' is not a REST describe document: {ex.Message}", ex);
                }
                describe["name"] ??= Path.GetFileNameWithoutExtension(file);
                var schema = SObjectSchema.FromDescribe(describe, addExternalId: true);
                objects[schema.Name] = schema;
            }
        }
        return new SchemaCatalog(objects.Values);
    }
}

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sluice.Emulators.Actito;

/// <summary>Reads and writes the v4 profile JSON: attributes, subscriptions, segmentations.</summary>
internal static class ProfileJson
{
    /// <summary>Validates a profile body against the table; collects every problem.</summary>
    public static ProfileChange Read(JsonNode? body, TableState table, List<string> errors)
    {
        var change = new ProfileChange();
        if (body is not JsonObject obj)
        {
            errors.Add("The body must be a JSON profile object.");
            return change;
        }
        var attributes = table.Attributes;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, valueNode) in Pairs(obj["attributes"], errors))
        {
            if (!attributes.ByName.TryGetValue(name, out var spec))
            {
                errors.Add($"Unknown attribute '{name}' in table '{table.Name}'.");
                continue;
            }
            if (spec.IsTechnical)
            {
                errors.Add($"Attribute '{name}' is managed by the system and cannot be set.");
                continue;
            }
            var raw = RawValue(valueNode, out var shapeError);
            if (shapeError is not null)
            {
                errors.Add($"Value of '{name}': {shapeError}");
                continue;
            }
            if (!seen.Add(name)) change.Values.RemoveAll(v => v.Spec.Name == name);
            if (string.IsNullOrEmpty(raw))
            {
                change.Values.Add((spec, null));
                continue;
            }
            var check = AttributeRules.CheckValue(spec, raw);
            if (!check.Ok) errors.Add(check.Message!);
            else change.Values.Add((spec, check.Value));
        }

        if (obj["subscriptions"] is JsonArray subscriptions)
        {
            foreach (var item in subscriptions)
            {
                var name = Text(item?["name"]);
                if (name is null || !table.HasSubscription(name))
                {
                    errors.Add($"Unknown subscription '{name}' in table '{table.Name}'.");
                    continue;
                }
                var flag = item!["subscribe"] ?? item["subscribed"] ?? item["value"];
                change.Subscriptions[name] = flag is null || (RawValue(flag, out _) ?? "true").ToUpperInvariant() is "TRUE" or "Y" or "1";
            }
        }
        else if (obj["subscriptions"] is not null)
        {
            errors.Add("'subscriptions' must be an array.");
        }

        if (obj["segmentations"] is JsonArray segmentations)
        {
            foreach (var item in segmentations)
            {
                // Two item shapes exist in the SDK: {category,name} and {belongs, segmentation:{category,name}}.
                var inner = item?["segmentation"] as JsonObject ?? item as JsonObject;
                var category = Text(inner?["category"]);
                var name = Text(inner?["name"]);
                if (category is null || name is null)
                {
                    errors.Add("A segmentation needs a category and a name.");
                    continue;
                }
                var belongs = item?["belongs"] is not JsonValue b || !b.TryGetValue<bool>(out var flag) || flag;
                change.Segments.Add((category, name, belongs));
            }
        }
        return change;
    }

    /// <summary>Attribute name/value pairs from the documented list form, or a plain object map (tolerated).</summary>
    private static IEnumerable<(string Name, JsonNode? Value)> Pairs(JsonNode? attributes, List<string> errors)
    {
        switch (attributes)
        {
            case null:
                yield break;
            case JsonArray list:
                foreach (var item in list)
                {
                    var name = Text(item?["name"]);
                    if (name is null)
                    {
                        errors.Add("Every attribute needs a 'name'.");
                        continue;
                    }
                    yield return (name, item!["value"]);
                }
                break;
            case JsonObject map:
                foreach (var (name, value) in map) yield return (name, value);
                break;
            default:
                errors.Add("'attributes' must be an array of {name, value}.");
                break;
        }
    }

    private static string? Text(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var s) ? s : null;

    /// <summary>A JSON scalar as text (strings as is, numbers as written, booleans true/false); null for JSON null.</summary>
    public static string? RawValue(JsonNode? node, out string? error)
    {
        error = null;
        if (node is null) return null;
        switch (node.GetValueKind())
        {
            case JsonValueKind.String: return node.GetValue<string>();
            case JsonValueKind.Number: return node.ToJsonString();
            case JsonValueKind.True: return "true";
            case JsonValueKind.False: return "false";
            case JsonValueKind.Null: return null;
            default:
                error = "must be a string, number, boolean or null.";
                return null;
        }
    }

    public static JsonObject Write(Profile profile, AttributeSet attributes)
    {
        var list = new JsonArray
        {
            new JsonObject { ["name"] = AttributeRules.ProfileId, ["value"] = profile.Id.ToString(CultureInfo.InvariantCulture) },
            new JsonObject { ["name"] = AttributeRules.CreationMoment, ["value"] = profile.CreationMoment },
            new JsonObject { ["name"] = AttributeRules.UpdateMoment, ["value"] = profile.UpdateMoment },
        };
        foreach (var spec in attributes.Ordered)
        {
            if (spec.IsTechnical || !profile.Values.TryGetValue(spec.Name, out var value)) continue;
            // Values go out as strings, as the SDK sends them; booleans as JSON booleans (the SDK type allows both).
            JsonNode node = spec.Kind == "BOOLEAN" ? JsonValue.Create(value == "true") : JsonValue.Create(value);
            list.Add(new JsonObject { ["name"] = spec.Name, ["value"] = node });
        }
        var subscriptions = new JsonArray();
        foreach (var (name, subscribed) in profile.Subscriptions.OrderBy(s => s.Key, StringComparer.Ordinal))
            subscriptions.Add(new JsonObject { ["name"] = name, ["subscribe"] = subscribed });
        var segmentations = new JsonArray();
        foreach (var (category, name) in profile.Segments.OrderBy(s => s.Category, StringComparer.Ordinal).ThenBy(s => s.Name, StringComparer.Ordinal))
            segmentations.Add(new JsonObject { ["belongs"] = true, ["segmentation"] = new JsonObject { ["category"] = category, ["name"] = name } });
        return new JsonObject { ["attributes"] = list, ["subscriptions"] = subscriptions, ["segmentations"] = segmentations };
    }
}

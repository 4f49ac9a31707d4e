using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Sluice.Core.Configuration;

// Reading the YAML tree: typed access to nodes, with a located problem for every wrong shape.
internal sealed partial class ProjectParser
{
    private SourceLocation Loc(YamlNode node) => new(_file, (int)node.Start.Line, (int)node.Start.Column);

    private void Add(YamlNode node, string message, string hint) => _problems.Add(new ConfigProblem(Loc(node), message, hint));

    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    private static bool? Bool(string text) => Destinations.OptionSpec.ParseBool(text);

    private static bool IsHttpUrl(string text) => Destinations.OptionSpec.IsHttpUrl(text);

    private static YamlNode? Get(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    /// <summary>A top-level section; an empty one (<c>syncs:</c>) is allowed.</summary>
    private YamlMappingNode? Section(YamlMappingNode top, string key) =>
        Get(top, key) is { } node && !IsNull(node) ? AsMapping(node, $"the {key} section") : null;

    private static List<string> Names(YamlMappingNode? section) =>
        section is null ? [] : section.Children.Keys.OfType<YamlScalarNode>().Select(k => k.Value ?? "").ToList();

    private YamlMappingNode? AsMapping(YamlNode node, string what, string? hint = null)
    {
        if (node is YamlMappingNode map)
        {
            return map;
        }

        Add(node, ParserMessages.NotMapping(what, Describe(node)), hint ?? ParserMessages.MappingHint);
        return null;
    }

    private IEnumerable<(string Key, YamlNode KeyNode, YamlNode Value)> Entries(YamlMappingNode? map)
    {
        if (map is null)
        {
            yield break;
        }

        foreach (var (key, value) in map.Children)
        {
            if (key is YamlScalarNode { Value: { Length: > 0 } text })
            {
                yield return (text, key, value);
            }
            else
            {
                Add(key, ParserMessages.KeyNotPlain, ParserMessages.KeyNotPlainHint);
            }
        }
    }

    /// <summary>A scalar after substitution, or null (with a problem) for a list or mapping or a missing variable.</summary>
    /// <param name="missing">Where a variable that is not set is reported, when the block defers it to what uses it.</param>
    private ResolvedValue? Scalar(YamlNode node, string what, List<ConfigProblem>? missing = null)
    {
        if (node is not YamlScalarNode scalar)
        {
            Add(node, ParserMessages.NotSingleValue(what, Describe(node)), ParserMessages.SingleValueHint);
            return null;
        }

        var text = IsNull(scalar) ? "" : scalar.Value ?? "";
        return _variables.Resolve(text, Loc(node), what, _problems, missing);
    }

    private static string Describe(YamlNode node) => node switch
    {
        YamlSequenceNode => "a list",
        YamlMappingNode => "a mapping",
        _ when IsNull(node) => "empty",
        _ => "a single value",
    };

    private void CheckKeys(YamlMappingNode map, IReadOnlyList<string> valid, string where)
    {
        foreach (var (key, keyNode, _) in Entries(map))
        {
            if (!valid.Contains(key))
            {
                UnknownKey(keyNode, key, valid, where);
            }
        }
    }

    private void UnknownKey(YamlNode keyNode, string key, IReadOnlyList<string> valid, string where)
    {
        var suggestion = Suggestions.Closest(key, valid);
        Add(keyNode, ParserMessages.UnknownKey(key, where, suggestion), ParserMessages.UnknownKeyHint(suggestion, valid));
    }
}

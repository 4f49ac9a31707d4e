using Sluice.Core.Destinations;
using YamlDotNet.RepresentationModel;

namespace Sluice.Core.Configuration;

// Sources and destinations: a type from the catalog, and options checked against its OptionSpecs.
internal sealed partial class ProjectParser
{
    private Dictionary<string, SourceConfig> ParseSources(YamlMappingNode? section)
    {
        var result = new Dictionary<string, SourceConfig>(StringComparer.Ordinal);
        foreach (var (name, keyNode, value) in Entries(section))
        {
            var where = $"source '{name}'";
            if (AsMapping(value, where) is not { } map)
            {
                continue;
            }

            var type = TypeOf(map, keyNode, where, "source", _catalog.Sources.Keys);
            var provider = type is not null && _catalog.Sources.TryGetValue(type, out var p) ? p : null;
            var unresolved = new List<UnresolvedSetting>();
            var settings = provider is null ? [] : Options(map, provider.Options, where, Loc(keyNode), unresolved);
            result[name] = new SourceConfig(name, type ?? "", settings, Loc(keyNode)) { Unresolved = UnresolvedSetting.Of(unresolved) };
        }

        return result;
    }

    private Dictionary<string, DestinationConfig> ParseDestinations(YamlMappingNode? section)
    {
        var result = new Dictionary<string, DestinationConfig>(StringComparer.Ordinal);
        foreach (var (name, keyNode, value) in Entries(section))
        {
            var where = $"destination '{name}'";
            if (AsMapping(value, where) is not { } map)
            {
                continue;
            }

            var type = TypeOf(map, keyNode, where, "destination", _catalog.Destinations.Keys);
            var provider = type is not null && _catalog.Destinations.TryGetValue(type, out var p) ? p : null;
            var unresolved = new List<UnresolvedSetting>();
            var settings = provider is null ? [] : Options(map, provider.Options, where, Loc(keyNode), unresolved);
            result[name] = new DestinationConfig(name, type ?? "", settings, Loc(keyNode)) { Unresolved = UnresolvedSetting.Of(unresolved) };
        }

        return result;
    }

    /// <summary>The block's <c>type:</c>, or null (with a problem) when missing or unknown.</summary>
    private string? TypeOf(YamlMappingNode map, YamlNode keyNode, string where, string what, IEnumerable<string> known)
    {
        var knownTypes = known.Order(StringComparer.Ordinal).ToList();
        if (Get(map, "type") is not { } typeNode)
        {
            Add(keyNode, $"{where} has no type", $"Add type: with one of {Suggestions.List(knownTypes)}.");
            return null;
        }

        if (Scalar(typeNode, $"the type of {where}") is not { } type)
        {
            return null;
        }

        if (!knownTypes.Contains(type.Text, StringComparer.Ordinal))
        {
            Add(typeNode, $"{where} has unknown {what} type {type.Shown}{Suggestions.DidYouMean(type.Text, knownTypes)}",
                $"Use one of the {what} types this Sluice knows: {Suggestions.List(knownTypes)}.");
            return null;
        }

        return type.Text;
    }

    /// <summary>
    /// Checks a block's options against the provider's declaration; returns them with defaults applied. An option
    /// whose <c>${VAR}</c> is not set goes to <paramref name="unresolved"/> instead of being a problem now: only
    /// what reads it fails (and <c>validate</c>).
    /// </summary>
    private Dictionary<string, ConfigValue> Options(YamlMappingNode map, IReadOnlyList<OptionSpec> specs, string where, SourceLocation blockLocation,
        List<UnresolvedSetting> unresolved)
    {
        var settings = new Dictionary<string, ConfigValue>(StringComparer.Ordinal);
        var present = new HashSet<string>(StringComparer.Ordinal);
        var valid = new[] { "type" }.Concat(specs.Select(s => s.Name)).ToList();
        foreach (var (key, keyNode, valueNode) in Entries(map))
        {
            if (key == "type")
            {
                continue;
            }

            var spec = specs.FirstOrDefault(s => s.Name == key);
            if (spec is null)
            {
                UnknownKey(keyNode, key, valid, where);
                continue;
            }

            present.Add(key);
            var what = $"option '{key}' of {where}";
            var missing = new List<ConfigProblem>();
            if (Scalar(valueNode, what, missing) is not { } value)
            {
                if (missing.Count > 0)
                {
                    unresolved.Add(new UnresolvedSetting(key, missing));
                }

                continue;
            }

            if (value.Text.Length == 0)
            {
                if (spec.Required)
                {
                    Add(valueNode, $"{what} is empty",
                        value.FromEnvironment ? $"Give {string.Join(", ", value.Variables)} a value." : $"Give it a value: {spec.Description}");
                }

                continue;
            }

            if (spec.IsSecret && !value.FromEnvironment)
            {
                var variable = SuggestedVariable(where, key);
                _warnings.Add(new ConfigProblem(Loc(valueNode), $"{what} is a secret written literally in {_file}",
                    $"Write {key}: ${{{variable}}} and put {variable}=... in the .env file beside {_file} (keep .env out of version control), or set {variable} in the environment."));
            }

            if (spec.Check(value.Text, out var normalized) is { } error)
            {
                Add(valueNode, ParserMessages.MustBe(what, error, value.Shown), error.Hint);
            }
            else
            {
                settings[key] = new ConfigValue(normalized, value.Location);
            }
        }

        foreach (var spec in specs)
        {
            if (spec.Required && !present.Contains(spec.Name))
            {
                _problems.Add(new ConfigProblem(blockLocation, $"{where} is missing the required option '{spec.Name}'",
                    $"Add {spec.Name}: ({spec.Description})"));
            }
            else if (spec.Default is not null && !settings.ContainsKey(spec.Name) && !unresolved.Any(u => u.Key == spec.Name))
            {
                settings[spec.Name] = new ConfigValue(spec.Default, blockLocation);
            }
        }

        return settings;
    }

    /// <summary>A variable name for a secret: <c>ITERABLE_API_KEY</c> for option api_key of destination 'iterable'.</summary>
    private static string SuggestedVariable(string where, string key)
    {
        var name = where[(where.IndexOf('\'', StringComparison.Ordinal) + 1)..].TrimEnd('\'');
        var text = $"{name}_{key}".ToUpperInvariant();
        var chars = text.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray();
        var variable = new string(chars);
        return char.IsAsciiDigit(variable[0]) ? "_" + variable : variable;
    }
}

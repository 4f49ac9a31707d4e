using System.Globalization;
using System.Text.RegularExpressions;
using Sluice.Core.Models;
using YamlDotNet.RepresentationModel;

namespace Sluice.Core.Configuration;

// Syncs: model + destination + mode + match + mappings, and the mirror guard.
internal sealed partial class ProjectParser
{
    private static readonly string[] SyncKeys = ["model", "destination", "mode", "match", "mappings", "schedule", "schedule_timezone", "warnings", "max_deletes"];
    private static readonly string[] MatchKeys = ["column", "field"];
    private static readonly string[] ModeNames = ["insert", "update", "upsert", "mirror"];

    [GeneratedRegex(@"^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$")]
    private static partial Regex CountOrPercent();

    private Dictionary<string, SyncConfig> ParseSyncs(
        YamlMappingNode? section,
        IReadOnlyList<string> modelNames,
        Dictionary<string, DestinationConfig> destinations,
        IReadOnlyList<string> destinationNames,
        IReadOnlyList<string> notificationNames)
    {
        var result = new Dictionary<string, SyncConfig>(StringComparer.Ordinal);
        var after = new List<(string Sync, string Target, YamlNode Node)>();
        var syncNames = Names(section);
        foreach (var (name, keyNode, value) in Entries(section))
        {
            var where = $"sync '{name}'";
            if (AsMapping(value, where) is not { } map)
            {
                continue;
            }

            CheckKeys(map, SyncKeys, where);
            var model = Reference(map, keyNode, "model", where, modelNames, "models");
            var destinationNode = Get(map, "destination");
            var destination = Reference(map, keyNode, "destination", where, destinationNames, "destinations");
            var (mode, modeLocation) = ParseMode(map, keyNode, where, destination is null ? null : destinations.GetValueOrDefault(destination));
            var match = ParseMatch(map, keyNode, where, destination is null ? null : destinations.GetValueOrDefault(destination));
            var mappings = ParseMappings(map, where);
            var schedule = ParseSchedule(map, where, out var afterNode);
            if (schedule is AfterSchedule a)
            {
                after.Add((name, a.Sync, afterNode!));
            }

            var warnings = ParseWarnings(map, where, notificationNames);
            var maxDeletes = ParseMaxDeletes(map, where, mode);

            result[name] = new SyncConfig(name, model ?? "", destination ?? "", mode ?? SyncMode.Upsert,
                match ?? new MappingConfig("", "", Loc(keyNode)), mappings, schedule ?? Schedule.Manual, warnings, maxDeletes,
                Loc(keyNode), modeLocation)
            {
                DestinationLocation = destinationNode is null ? Loc(keyNode) : Loc(destinationNode),
            };
        }

        CheckAfter(after, syncNames);
        return result;
    }

    /// <summary>A required reference to a declared name (model, destination), with did-you-mean.</summary>
    private string? Reference(YamlMappingNode map, YamlNode keyNode, string key, string where, IReadOnlyList<string> names, string section)
    {
        if (Get(map, key) is not { } node)
        {
            Add(keyNode, $"{where} has no {key}", names.Count == 0
                ? $"Add {key}: <name>, and declare it under {section}:."
                : $"Add {key}: with one of the {section} of this project: {Suggestions.List(names)}.");
            return null;
        }

        if (Scalar(node, $"the {key} of {where}") is not { } value)
        {
            return null;
        }

        var name = value.Text.Trim();
        if (!names.Contains(name, StringComparer.Ordinal))
        {
            Add(node, $"{where} uses {key} '{name}', which does not exist{Suggestions.DidYouMean(name, names)}",
                names.Count == 0 ? $"Declare it under {section}:." : $"Use one of the {section} of this project: {Suggestions.List(names)}.");
            return null;
        }

        return name;
    }

    private (SyncMode? Mode, SourceLocation Location) ParseMode(YamlMappingNode map, YamlNode keyNode, string where, DestinationConfig? destination)
    {
        var provider = destination is not null && _catalog.Destinations.TryGetValue(destination.Type, out var p) ? p : null;
        var supported = provider is null ? ModeNames : ModeNames.Where(m => provider.Modes.Contains(ToMode(m))).ToArray();
        if (Get(map, "mode") is not { } node)
        {
            Add(keyNode, $"{where} has no mode", $"Add mode: with one of {Suggestions.List(supported)}.");
            return (null, Loc(keyNode));
        }

        if (Scalar(node, $"the mode of {where}") is not { } value)
        {
            return (null, Loc(node));
        }

        var text = value.Text.Trim();
        if (!ModeNames.Contains(text, StringComparer.Ordinal))
        {
            Add(node, $"{where} has mode {value.Shown}, which is not a sync mode{Suggestions.DidYouMean(text, ModeNames)}",
                $"Use one of {Suggestions.List(supported)}.");
            return (null, Loc(node));
        }

        var mode = ToMode(text);
        if (provider is not null && !provider.Modes.Contains(mode))
        {
            Add(node, $"{where} uses mode '{text}', but destination '{destination!.Name}' ({destination.Type}) supports only {Suggestions.List(supported)}",
                $"Change mode to one of {Suggestions.List(supported)}.");
            return (null, Loc(node));
        }

        return (mode, Loc(node));
    }

    private static SyncMode ToMode(string name) => name switch
    {
        "insert" => SyncMode.Insert,
        "update" => SyncMode.Update,
        "upsert" => SyncMode.Upsert,
        _ => SyncMode.Mirror,
    };

    private MappingConfig? ParseMatch(YamlMappingNode map, YamlNode keyNode, string where, DestinationConfig? destination)
    {
        const string Example = "match: { column: email, field: email }";
        if (Get(map, "match") is not { } node)
        {
            var provider = destination is not null && _catalog.Destinations.TryGetValue(destination.Type, out var p) ? p : null;
            Add(keyNode, $"{where} has no match",
                provider?.MatchHint ?? $"Add the model column and the destination field that identify a record, e.g. {Example}.");
            return null;
        }

        var what = $"the match of {where}";
        if (AsMapping(node, what, $"Write {Example}.") is not { } match)
        {
            return null;
        }

        CheckKeys(match, MatchKeys, what);
        string? Part(string key)
        {
            if (Get(match, key) is not { } partNode)
            {
                Add(node, $"{what} has no {key}", $"Write {Example}.");
                return null;
            }

            if (Scalar(partNode, $"the {key} of {what}") is not { } value)
            {
                return null;
            }

            if (value.Text.Trim().Length == 0)
            {
                Add(partNode, $"the {key} of {what} is empty", $"Write {Example}.");
                return null;
            }

            return value.Text.Trim();
        }

        var column = Part("column");
        var field = Part("field");
        return column is null || field is null ? null : new MappingConfig(column, field, Loc(node));
    }

    private List<MappingConfig> ParseMappings(YamlMappingNode map, string where)
    {
        var result = new List<MappingConfig>();
        if (Get(map, "mappings") is not { } node || IsNull(node))
        {
            return result;
        }

        var what = $"the mappings of {where}";
        if (AsMapping(node, what, "Write one line per model column: column: destination_field.") is not { } mappings)
        {
            return result;
        }

        var byField = new Dictionary<string, MappingConfig>(StringComparer.OrdinalIgnoreCase);
        foreach (var (column, keyNode, valueNode) in Entries(mappings))
        {
            if (Scalar(valueNode, $"the mapping of column '{column}' in {where}") is not { } value)
            {
                continue;
            }

            var field = value.Text.Trim();
            if (field.Length == 0)
            {
                Add(keyNode, $"column '{column}' in {what} is mapped to no field", $"Write {column}: <destination field>.");
                continue;
            }

            var mapping = new MappingConfig(column, field, Loc(keyNode));
            if (byField.TryGetValue(field, out var first))
            {
                Add(keyNode, $"destination field '{field}' is mapped twice in {where}: from '{first.Column}' (line {first.Location.Line}) and from '{column}'",
                    "Send each destination field from one column only: remove one of these mappings.");
                continue;
            }

            byField[field] = mapping;
            result.Add(mapping);
        }

        return result;
    }

    private DeleteLimit ParseMaxDeletes(YamlMappingNode map, string where, SyncMode? mode)
    {
        if (Get(map, "max_deletes") is not { } node || Scalar(node, $"max_deletes of {where}") is not { } value)
        {
            return DeleteLimit.Default;
        }

        if (mode is { } m && m != SyncMode.Mirror)
        {
            Add(node, $"max_deletes only applies to mode mirror, and {where} uses mode '{m.ToString().ToLowerInvariant()}'",
                "Remove max_deletes: only mirror deletes records.");
            return DeleteLimit.Default;
        }

        var match = CountOrPercent().Match(value.Text);
        if (match.Success && double.TryParse(match.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            var isPercent = match.Groups[2].Length > 0;
            if (isPercent && number <= 100)
            {
                return new DeleteLimit(number, true);
            }

            if (!isPercent && number == Math.Floor(number))
            {
                return new DeleteLimit(number, false);
            }
        }

        Add(node, $"max_deletes of {where} must be a count such as 500 or a percent such as 10%, not {value.Shown}",
            "Write the most records one run may delete: a whole number, or a percent of the records Sluice delivered (0% to 100%).");
        return DeleteLimit.Default;
    }
}

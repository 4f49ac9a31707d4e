using System.Globalization;
using System.Text.RegularExpressions;
using Sluice.Core.Destinations;
using Sluice.Core.Models;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Sluice.Core.Configuration;

/// <summary>
/// Turns the YAML tree of <c>sluice.yaml</c> into a <see cref="ProjectConfig"/>, collecting every problem
/// on the way. One instance per load.
/// </summary>
internal sealed partial class ProjectParser
{
    private static readonly string[] TopKeys = ["sources", "models", "destinations", "syncs", "notifications"];
    private static readonly string[] ModelKeys = ["source", "kind", "primary_key", "sql", "table"];
    private static readonly string[] SegmentKeys = ["model", "filter"];
    private static readonly string[] SyncKeys = ["model", "destination", "mode", "match", "mappings", "schedule", "schedule_timezone", "warnings", "max_deletes"];
    private static readonly string[] MatchKeys = ["column", "field"];
    private static readonly string[] WarningKeys = ["on_failure", "rejected_rows_percent", "on_empty_model", "on_mirror_guard", "notify"];
    private static readonly string[] NotificationKeys = ["webhook", "email"];
    private static readonly string[] Kinds = ["user", "custom"];
    private static readonly string[] ModeNames = ["insert", "update", "upsert", "mirror"];

    private readonly string _file;
    private readonly ProjectCatalog _catalog;
    private readonly VariableResolver _variables;
    private readonly List<ConfigProblem> _problems;
    private readonly List<ConfigProblem> _warnings;

    public ProjectParser(string file, ProjectCatalog catalog, VariableResolver variables, List<ConfigProblem> problems, List<ConfigProblem> warnings)
    {
        _warnings = warnings;
        _file = file;
        _catalog = catalog;
        _variables = variables;
        _problems = problems;
    }

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    private static partial Regex EmailAddress();

    [GeneratedRegex(@"^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$")]
    private static partial Regex CountOrPercent();

    public ProjectConfig Parse(YamlNode? root, string directory, string filePath)
    {
        var top = root is null ? new YamlMappingNode() : AsMapping(root, "the project file");
        top ??= new YamlMappingNode();
        CheckKeys(top, TopKeys, "the project file (top level)");

        var sourcesNode = Section(top, "sources");
        var modelsNode = Section(top, "models");
        var destinationsNode = Section(top, "destinations");
        var syncsNode = Section(top, "syncs");
        var notificationsNode = Section(top, "notifications");

        var sources = ParseSources(sourcesNode);
        var models = ParseModels(modelsNode, Names(sourcesNode));
        var destinations = ParseDestinations(destinationsNode);
        var notifications = ParseNotifications(notificationsNode);
        var syncs = ParseSyncs(syncsNode, Names(modelsNode), destinations, Names(destinationsNode), Names(notificationsNode));

        return new ProjectConfig(directory, filePath, sources, models, destinations, syncs, notifications);
    }

    // ---- sources and destinations -------------------------------------------------------------

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
            var settings = provider is null ? new Dictionary<string, ConfigValue>() : Options(map, provider.Options, where, Loc(keyNode));
            result[name] = new SourceConfig(name, type ?? "", settings, Loc(keyNode));
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
            var settings = provider is null ? new Dictionary<string, ConfigValue>() : Options(map, provider.Options, where, Loc(keyNode));
            result[name] = new DestinationConfig(name, type ?? "", settings, Loc(keyNode));
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

    /// <summary>Checks a block's options against the provider's declaration; returns them with defaults applied.</summary>
    private Dictionary<string, ConfigValue> Options(YamlMappingNode map, IReadOnlyList<OptionSpec> specs, string where, SourceLocation blockLocation)
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
            if (Scalar(valueNode, what) is not { } value)
            {
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

            if (OptionValue(spec, value, what, valueNode) is { } checkedValue)
            {
                settings[key] = new ConfigValue(checkedValue, value.Location);
            }
        }

        foreach (var spec in specs)
        {
            if (spec.Required && !present.Contains(spec.Name))
            {
                _problems.Add(new ConfigProblem(blockLocation, $"{where} is missing the required option '{spec.Name}'",
                    $"Add {spec.Name}: ({spec.Description})"));
            }
            else if (spec.Default is not null && !settings.ContainsKey(spec.Name))
            {
                settings[spec.Name] = new ConfigValue(spec.Default, blockLocation);
            }
        }

        return settings;
    }

    /// <summary>The option's value, normalised, or null (with a problem) when it does not fit its type.</summary>
    private string? OptionValue(OptionSpec spec, ResolvedValue value, string what, YamlNode node)
    {
        var text = value.Text.Trim();
        switch (spec.Type)
        {
            case OptionType.Integer when !long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _):
                Add(node, $"{what} must be a whole number, not {value.Shown}", $"Write a number such as 100. {spec.Description}");
                return null;
            case OptionType.Number when !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) || !double.IsFinite(d):
                Add(node, $"{what} must be a number, not {value.Shown}", $"Write a number such as 2.5. {spec.Description}");
                return null;
            case OptionType.Boolean:
                if (Bool(text) is { } b)
                {
                    return b ? "true" : "false";
                }

                Add(node, $"{what} must be true or false, not {value.Shown}", "Write true or false.");
                return null;
            case OptionType.Url when !IsHttpUrl(text):
                Add(node, $"{what} must be an absolute http(s) URL, not {value.Shown}", $"Write a URL such as https://example.com. {spec.Description}");
                return null;
            case OptionType.Choice when spec.Choices is { } choices && !choices.Contains(text, StringComparer.Ordinal):
                Add(node, $"{what} must be one of {Suggestions.List(choices)}, not {value.Shown}{Suggestions.DidYouMean(text, choices)}",
                    $"Use one of {Suggestions.List(choices)}.");
                return null;
            case OptionType.Secret:
            case OptionType.String:
                return value.Text;
            default:
                return text;
        }
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

    // ---- models --------------------------------------------------------------------------------

    private sealed record RawModel(
        string Name,
        SourceLocation Location,
        string? Source,
        ModelKind Kind,
        string? PrimaryKey,
        SourceLocation PrimaryKeyLocation,
        string? Sql,
        string? BaseModel,
        YamlNode? BaseNode,
        string? Filter,
        bool Valid)
    {
        public bool IsSegment => BaseNode is not null;
    }

    private Dictionary<string, ModelConfig> ParseModels(YamlMappingNode? section, IReadOnlyList<string> sourceNames)
    {
        var raws = new Dictionary<string, RawModel>(StringComparer.Ordinal);
        foreach (var (name, keyNode, value) in Entries(section))
        {
            var where = $"model '{name}'";
            if (AsMapping(value, where) is not { } map)
            {
                continue;
            }

            raws[name] = Get(map, "model") is not null ? ParseSegment(name, keyNode, map) : ParseModel(name, keyNode, map, sourceNames);
        }

        foreach (var raw in raws.Values.Where(r => r.IsSegment && r.BaseModel is not null && !raws.ContainsKey(r.BaseModel)))
        {
            var names = raws.Keys.Where(n => n != raw.Name).ToList();
            Add(raw.BaseNode!, $"segment '{raw.Name}' filters model '{raw.BaseModel}', which does not exist{Suggestions.DidYouMean(raw.BaseModel!, names)}",
                $"Use one of the models of this project: {Suggestions.List(names)}.");
        }

        var built = new Dictionary<string, ModelConfig>(StringComparer.Ordinal);
        var failed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in raws.Keys)
        {
            Resolve(name, raws, built, failed, []);
        }

        return built;
    }

    private RawModel ParseModel(string name, YamlNode keyNode, YamlMappingNode map, IReadOnlyList<string> sourceNames)
    {
        var where = $"model '{name}'";
        var valid = true;
        foreach (var (key, node, _) in Entries(map))
        {
            if (key == "filter")
            {
                Add(node, $"{where} has a filter but no 'model:' to filter",
                    "A segment is written model: <base model> plus filter: <condition>; move the filter to a segment or add model:.");
                valid = false;
            }
            else if (!ModelKeys.Contains(key))
            {
                UnknownKey(node, key, ModelKeys, where);
            }
        }

        string? source = null;
        if (Get(map, "source") is not { } sourceNode)
        {
            Add(keyNode, $"{where} has no source", $"Add source: with one of the sources of this project: {Suggestions.List(sourceNames)}.");
            valid = false;
        }
        else if (Scalar(sourceNode, $"the source of {where}") is { } s)
        {
            source = s.Text;
            if (!sourceNames.Contains(source, StringComparer.Ordinal))
            {
                Add(sourceNode, $"{where} reads source '{source}', which does not exist{Suggestions.DidYouMean(source, sourceNames)}",
                    sourceNames.Count == 0 ? "Declare it under sources:." : $"Use one of the sources of this project: {Suggestions.List(sourceNames)}.");
                valid = false;
            }
        }
        else
        {
            valid = false;
        }

        var kind = ModelKind.User;
        if (Get(map, "kind") is { } kindNode && Scalar(kindNode, $"the kind of {where}") is { } k)
        {
            switch (k.Text)
            {
                case "user":
                    kind = ModelKind.User;
                    break;
                case "custom":
                    kind = ModelKind.Custom;
                    break;
                default:
                    Add(kindNode, $"{where} has kind {k.Shown}, which is neither user nor custom{Suggestions.DidYouMean(k.Text, Kinds)}",
                        "Write kind: user for people (with identity columns such as email), or kind: custom for other records.");
                    valid = false;
                    break;
            }
        }

        string? primaryKey = null;
        var primaryKeyLocation = Loc(keyNode);
        if (Get(map, "primary_key") is not { } pkNode)
        {
            Add(keyNode, $"{where} has no primary_key", "Add primary_key: with the column that identifies each row uniquely.");
            valid = false;
        }
        else if (Scalar(pkNode, $"the primary_key of {where}") is { } pk)
        {
            primaryKeyLocation = Loc(pkNode);
            if (pk.Text.Trim().Length == 0)
            {
                Add(pkNode, $"the primary_key of {where} is empty", "Write the column that identifies each row uniquely.");
                valid = false;
            }
            else
            {
                primaryKey = pk.Text.Trim();
            }
        }
        else
        {
            valid = false;
        }

        var sqlNode = Get(map, "sql");
        var tableNode = Get(map, "table");
        string? sql = null;
        if (sqlNode is not null && tableNode is not null)
        {
            Add(tableNode, $"{where} has both sql and table", "Keep one: sql: <query>, or table: <table name>.");
            valid = false;
        }
        else if (sqlNode is null && tableNode is null)
        {
            Add(keyNode, $"{where} has neither sql nor table", "Add sql: <query>, or table: <table name>.");
            valid = false;
        }
        else if (sqlNode is not null)
        {
            if (Scalar(sqlNode, $"the sql of {where}") is { } q && SqlText.Clean(q.Text) is { Length: > 0 } clean)
            {
                sql = clean;
            }
            else
            {
                Add(sqlNode, $"the sql of {where} is empty", "Write the query that returns the model's rows.");
                valid = false;
            }
        }
        else if (Scalar(tableNode!, $"the table of {where}") is { } t && t.Text.Trim().Length > 0)
        {
            sql = SqlText.SelectFromTable(t.Text);
        }
        else
        {
            Add(tableNode!, $"the table of {where} is empty", "Write the name of the table to read.");
            valid = false;
        }

        return new RawModel(name, Loc(keyNode), source, kind, primaryKey, primaryKeyLocation, sql, null, null, null, valid);
    }

    private RawModel ParseSegment(string name, YamlNode keyNode, YamlMappingNode map)
    {
        var where = $"segment '{name}'";
        var valid = true;
        var baseNode = Get(map, "model")!;
        var baseModel = Scalar(baseNode, $"the model of {where}")?.Text.Trim();
        foreach (var (key, node, _) in Entries(map))
        {
            if (SegmentKeys.Contains(key))
            {
                continue;
            }

            if (ModelKeys.Contains(key))
            {
                var inherited = key is "kind" or "primary_key" or "source";
                Add(node, $"{where} cannot set '{key}': a segment {(inherited ? $"inherits its {key}" : "takes its rows")} from model '{baseModel}'",
                    inherited ? $"Remove '{key}' from the segment." : $"Remove '{key}', or make '{name}' a model of its own (without model: and filter:).");
                valid = false;
            }
            else
            {
                UnknownKey(node, key, SegmentKeys, where);
            }
        }

        if (baseModel is null or "")
        {
            valid = false;
        }

        string? filter = null;
        if (Get(map, "filter") is not { } filterNode)
        {
            Add(keyNode, $"{where} has no filter", "Add filter: with a SQL condition on the model's columns, e.g. filter: plan = 'pro'.");
            valid = false;
        }
        else if (Scalar(filterNode, $"the filter of {where}") is { } f && f.Text.Trim().Length > 0)
        {
            filter = f.Text.Trim();
        }
        else
        {
            Add(filterNode, $"the filter of {where} is empty", "Write a SQL condition on the model's columns, e.g. plan = 'pro'.");
            valid = false;
        }

        return new RawModel(name, Loc(keyNode), null, ModelKind.User, null, Loc(keyNode), null, baseModel, baseNode, filter, valid);
    }

    private ModelConfig? Resolve(
        string name,
        Dictionary<string, RawModel> raws,
        Dictionary<string, ModelConfig> built,
        HashSet<string> failed,
        List<string> chain)
    {
        if (built.TryGetValue(name, out var done))
        {
            return done;
        }

        if (failed.Contains(name) || !raws.TryGetValue(name, out var raw))
        {
            return null;
        }

        if (chain.Contains(name))
        {
            var cycle = chain[chain.IndexOf(name)..].Append(name).ToList();
            Add(raw.BaseNode!, $"segment '{name}' is based on itself: {string.Join(" -> ", cycle)}",
                "Base one of these segments on a model with sql: or table:.");
            failed.UnionWith(cycle);
            return null;
        }

        ModelConfig? result = null;
        if (!raw.IsSegment)
        {
            if (raw.Valid)
            {
                result = new ModelConfig(name, raw.Source!, raw.Kind, raw.PrimaryKey!, raw.Sql!, null, null, raw.Location, raw.PrimaryKeyLocation);
            }
        }
        else
        {
            chain.Add(name);
            var baseModel = raw.BaseModel is null ? null : Resolve(raw.BaseModel, raws, built, failed, chain);
            chain.RemoveAt(chain.Count - 1);
            if (baseModel is not null && raw.Valid)
            {
                result = new ModelConfig(name, baseModel.Source, baseModel.Kind, baseModel.PrimaryKey,
                    SqlText.Segment(baseModel.Sql, raw.Filter!), raw.BaseModel, raw.Filter, raw.Location, baseModel.PrimaryKeyLocation);
            }
        }

        if (result is null)
        {
            failed.Add(name);
        }
        else
        {
            built[name] = result;
        }

        return result;
    }

    // ---- notifications -------------------------------------------------------------------------

    private Dictionary<string, NotificationConfig> ParseNotifications(YamlMappingNode? section)
    {
        var result = new Dictionary<string, NotificationConfig>(StringComparer.Ordinal);
        foreach (var (name, keyNode, value) in Entries(section))
        {
            var where = $"notification '{name}'";
            if (AsMapping(value, where) is not { } map)
            {
                continue;
            }

            CheckKeys(map, NotificationKeys, where);
            string? webhook = null;
            string? email = null;
            if (Get(map, "webhook") is { } webhookNode && Scalar(webhookNode, $"the webhook of {where}") is { } w)
            {
                // A webhook URL is a credential (Slack's carry a token): never shown.
                if (IsHttpUrl(w.Text.Trim()))
                {
                    webhook = w.Text.Trim();
                }
                else
                {
                    Add(webhookNode, $"the webhook of {where} is not an absolute http(s) URL",
                        "Write the webhook's full URL, e.g. https://hooks.slack.com/services/..., preferably as ${VARIABLE}.");
                }
            }

            if (Get(map, "email") is { } emailNode && Scalar(emailNode, $"the email of {where}") is { } e)
            {
                if (EmailAddress().IsMatch(e.Text.Trim()))
                {
                    email = e.Text.Trim();
                }
                else
                {
                    Add(emailNode, $"the email of {where} is not an email address: {e.Shown}", "Write one address such as data-team@example.com.");
                }
            }

            if (Get(map, "webhook") is null && Get(map, "email") is null)
            {
                Add(keyNode, $"{where} has neither webhook nor email", "Add webhook: <URL> and/or email: <address>.");
            }

            result[name] = new NotificationConfig(name, webhook, email, Loc(keyNode));
        }

        return result;
    }

    // ---- syncs ---------------------------------------------------------------------------------

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

    private Schedule? ParseSchedule(YamlMappingNode map, string where, out YamlNode? afterNode)
    {
        afterNode = null;
        var timeZone = TimeZoneInfo.Utc;
        var zoneNode = Get(map, "schedule_timezone");
        var zoneOk = true;
        if (zoneNode is not null && Scalar(zoneNode, $"the schedule_timezone of {where}") is { } zone)
        {
            try
            {
                timeZone = TimeZoneInfo.FindSystemTimeZoneById(zone.Text.Trim());
            }
            catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
            {
                Add(zoneNode, $"the schedule_timezone of {where} is {zone.Shown}, which is not a known time zone",
                    "Write an IANA time zone name such as Europe/Brussels or America/New_York (default: UTC).");
                zoneOk = false;
            }
        }

        if (Get(map, "schedule") is not { } node)
        {
            if (zoneNode is not null)
            {
                Add(zoneNode, $"{where} has a schedule_timezone but no schedule", "Add a cron schedule, or remove schedule_timezone.");
            }

            return Schedule.Manual;
        }

        if (Scalar(node, $"the schedule of {where}") is not { } value)
        {
            return null;
        }

        var schedule = ScheduleParser.Parse(value.Text, timeZone, out var error);
        if (schedule is null)
        {
            Add(node, $"the schedule of {where} is invalid: {error}", $"Write one of: {ScheduleParser.Forms}.");
            return null;
        }

        if (zoneNode is not null && zoneOk && schedule is not CronSchedule)
        {
            Add(zoneNode, $"schedule_timezone only applies to a cron schedule, and the schedule of {where} is '{schedule}'",
                "Remove schedule_timezone, or use a cron expression.");
        }

        if (schedule is AfterSchedule)
        {
            afterNode = node;
        }

        return schedule;
    }

    private void CheckAfter(List<(string Sync, string Target, YamlNode Node)> after, IReadOnlyList<string> syncNames)
    {
        var next = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (sync, target, node) in after)
        {
            if (!syncNames.Contains(target, StringComparer.Ordinal))
            {
                var others = syncNames.Where(n => n != sync).ToList();
                Add(node, $"sync '{sync}' runs after sync '{target}', which does not exist{Suggestions.DidYouMean(target, others)}",
                    $"Use one of the syncs of this project: {Suggestions.List(others)}.");
            }
            else
            {
                next[sync] = target;
            }
        }

        var reported = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (sync, _, node) in after)
        {
            if (reported.Contains(sync))
            {
                continue;
            }

            var chain = new List<string> { sync };
            var current = sync;
            while (next.TryGetValue(current, out var target) && !reported.Contains(target))
            {
                if (target == sync)
                {
                    chain.Add(target);
                    Add(node, $"sync '{sync}' runs after itself: {string.Join(" -> ", chain)}",
                        "Give one of these syncs a schedule of its own (every <n>m, cron or manual).");
                    reported.UnionWith(chain);
                    break;
                }

                if (chain.Contains(target))
                {
                    break; // a cycle further down the chain: reported when its own members are checked
                }

                chain.Add(target);
                current = target;
            }
        }
    }

    private WarningsConfig ParseWarnings(YamlMappingNode map, string where, IReadOnlyList<string> notificationNames)
    {
        var defaults = WarningsConfig.Default;
        if (Get(map, "warnings") is not { } node || IsNull(node))
        {
            return defaults;
        }

        var what = $"the warnings of {where}";
        if (AsMapping(node, what) is not { } warnings)
        {
            return defaults;
        }

        CheckKeys(warnings, WarningKeys, what);
        bool Flag(string key, bool fallback)
        {
            if (Get(warnings, key) is not { } flagNode || Scalar(flagNode, $"{key} in {what}") is not { } value)
            {
                return fallback;
            }

            if (Bool(value.Text.Trim()) is { } b)
            {
                return b;
            }

            Add(flagNode, $"{key} in {what} must be true or false, not {value.Shown}", "Write true or false.");
            return fallback;
        }

        double? percent = null;
        if (Get(warnings, "rejected_rows_percent") is { } percentNode && Scalar(percentNode, $"rejected_rows_percent in {what}") is { } p
            && p.Text.Trim().Length > 0)
        {
            if (double.TryParse(p.Text.Trim().TrimEnd('%'), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v is >= 0 and <= 100)
            {
                percent = v;
            }
            else
            {
                Add(percentNode, $"rejected_rows_percent in {what} must be a number from 0 to 100, not {p.Shown}",
                    "Write the share of rejected rows above which to warn, e.g. rejected_rows_percent: 5.");
            }
        }

        var notify = new List<string>();
        if (Get(warnings, "notify") is { } notifyNode && !IsNull(notifyNode))
        {
            IEnumerable<YamlNode> items = notifyNode is YamlSequenceNode seq ? seq.Children : [notifyNode];
            foreach (var item in items)
            {
                if (Scalar(item, $"notify in {what}") is not { } n)
                {
                    continue;
                }

                var name = n.Text.Trim();
                if (notificationNames.Contains(name, StringComparer.Ordinal))
                {
                    notify.Add(name);
                }
                else
                {
                    Add(item, $"{what} notify '{name}', which is not a notification{Suggestions.DidYouMean(name, notificationNames)}",
                        notificationNames.Count == 0
                            ? "Declare it under notifications: with a webhook and/or an email."
                            : $"Use one of the notifications of this project: {Suggestions.List(notificationNames)}.");
                }
            }
        }

        return new WarningsConfig(
            Flag("on_failure", defaults.OnFailure),
            percent,
            Flag("on_empty_model", defaults.OnEmptyModel),
            Flag("on_mirror_guard", defaults.OnMirrorGuard),
            notify);
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

    // ---- YAML helpers --------------------------------------------------------------------------

    private SourceLocation Loc(YamlNode node) => new(_file, (int)node.Start.Line, (int)node.Start.Column);

    private void Add(YamlNode node, string message, string hint) => _problems.Add(new ConfigProblem(Loc(node), message, hint));

    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    private static bool? Bool(string text) =>
        text.Equals("true", StringComparison.OrdinalIgnoreCase) ? true
        : text.Equals("false", StringComparison.OrdinalIgnoreCase) ? false
        : null;

    private static bool IsHttpUrl(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);

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

        Add(node, $"{what} must be a mapping of keys to values, not {Describe(node)}",
            hint ?? "Indent its keys under it, one key: value per line.");
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
                Add(key, "a key must be a plain name", "Write name: value.");
            }
        }
    }

    /// <summary>A scalar after substitution, or null (with a problem) for a list or mapping or a missing variable.</summary>
    private ResolvedValue? Scalar(YamlNode node, string what)
    {
        if (node is not YamlScalarNode scalar)
        {
            Add(node, $"{what} must be a single value, not {Describe(node)}", "Write it on one line after the colon.");
            return null;
        }

        var text = IsNull(scalar) ? "" : scalar.Value ?? "";
        return _variables.Resolve(text, Loc(node), what, _problems);
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
        var message = $"unknown key '{key}' in {where}" + (suggestion is null ? "" : $"; did you mean '{suggestion}'?");
        var hint = (suggestion is null ? "Remove it." : $"Rename it to '{suggestion}', or remove it.") + $" Valid keys here: {Suggestions.List(valid)}.";
        Add(keyNode, message, hint);
    }
}

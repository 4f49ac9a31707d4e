using Sluice.Core.Models;
using YamlDotNet.RepresentationModel;

namespace Sluice.Core.Configuration;

// Models and segments (a model plus a filter), resolved to their base model.
internal sealed partial class ProjectParser
{
    private static readonly string[] ModelKeys = ["source", "kind", "primary_key", "sql", "table"];
    private static readonly string[] SegmentKeys = ["model", "filter"];
    private static readonly string[] Kinds = ["user", "custom"];

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
            if (Scalar(sqlNode, $"the sql of {where}") is not { } q)
            {
                valid = false; // already a problem: a list, or a variable that is not set
            }
            else if (SqlText.Clean(q.Text) is { Length: > 0 } clean)
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
}

using YamlDotNet.RepresentationModel;

namespace Sluice.Core.Configuration;

/// <summary>
/// Turns the YAML tree of <c>sluice.yaml</c> into a <see cref="ProjectConfig"/>, collecting every problem
/// on the way. One instance per load. Each section has its own file (ProjectParser.Sources.cs, .Models.cs,
/// .Notifications.cs, .Syncs.cs, .Schedules.cs, .Warnings.cs); reading YAML nodes is in ProjectParser.Yaml.cs
/// and the messages several sections share are in <see cref="ParserMessages"/>. Problems are collected in
/// the order sections are read; the loader sorts them into file order.
/// </summary>
internal sealed partial class ProjectParser
{
    private static readonly string[] TopKeys = ["sources", "models", "destinations", "syncs", "notifications", "smtp", "state"];

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

        var smtp = ParseSmtp(top);
        foreach (var channel in notifications.Values.Where(n => n.Email is not null && smtp is null))
        {
            _warnings.Add(new ConfigProblem(channel.Location, $"notification '{channel.Name}' has an email, but the project has no smtp section, so no email is sent",
                "Add an smtp: section (host, from, and username/password as ${VARIABLES}) for the relay that sends it."));
        }

        return new ProjectConfig(directory, filePath, sources, models, destinations, syncs, notifications) { Smtp = smtp, State = ParseState(top) };
    }
}

using Sluice.Core.Destinations;
using Sluice.Core.Models;

namespace Sluice.Core.Configuration;

/// <summary>
/// Checks a loaded project against facts found at run time (a model's real columns, a destination's
/// rules) and builds what destinations consume. Pure functions: the CLI discovers the columns, calls
/// these, and prints the problems with the project's other problems.
/// </summary>
public static class ProjectValidator
{
    /// <summary>
    /// The model's primary_key, the sync's match column and every mapped column must be real columns of the
    /// model (case-insensitive). Each missing one is a problem at its line, with did-you-mean and the model's columns.
    /// </summary>
    public static IReadOnlyList<ConfigProblem> CheckColumns(ProjectConfig project, SyncConfig sync, IReadOnlyList<ModelColumn> columns)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(sync);
        ArgumentNullException.ThrowIfNull(columns);
        var problems = new List<ConfigProblem>();
        if (!project.Models.TryGetValue(sync.Model, out var model))
        {
            problems.Add(new ConfigProblem(sync.Location, $"sync '{sync.Name}' uses model '{sync.Model}', which does not exist",
                "Declare the model under models:, or fix the sync's model:."));
            return problems;
        }

        var names = columns.Select(c => c.Name).ToList();
        var hint = $"Model '{model.Name}' has the columns {Suggestions.List(names)}.";
        void Check(string column, SourceLocation location, string what)
        {
            if (!names.Contains(column, StringComparer.OrdinalIgnoreCase))
            {
                problems.Add(new ConfigProblem(location,
                    $"{what} '{column}' of {(what == "the primary_key" ? $"model '{model.Name}' is not one of its columns" : $"sync '{sync.Name}' is not a column of model '{model.Name}'")}"
                        + Suggestions.DidYouMean(column, names),
                    hint));
            }
        }

        Check(model.PrimaryKey, model.PrimaryKeyLocation, "the primary_key");
        Check(sync.Match.Column, sync.Match.Location, "the match column");
        foreach (var mapping in sync.Mappings)
        {
            Check(mapping.Column, mapping.Location, "the mapped column");
        }

        return problems;
    }

    /// <summary>
    /// Turns a problem a destination found with a sync into a project problem at the right line: the mapping
    /// of <see cref="SyncProblem.Column"/>, the match, the mode, the sync, or (for the destination block) the
    /// sync's <c>destination:</c> line.
    /// </summary>
    public static ConfigProblem Locate(SyncConfig sync, string destinationName, SyncProblem problem)
    {
        ArgumentNullException.ThrowIfNull(sync);
        ArgumentNullException.ThrowIfNull(problem);
        return Locate(sync, destinationName, problem, sync.DestinationLocation);
    }

    /// <summary>
    /// Like <see cref="Locate(SyncConfig, string, SyncProblem)"/>, but problems with the destination block
    /// point at the destination's own block in the project file.
    /// </summary>
    public static ConfigProblem Locate(ProjectConfig project, SyncConfig sync, SyncProblem problem)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(sync);
        ArgumentNullException.ThrowIfNull(problem);
        var block = project.Destinations.TryGetValue(sync.Destination, out var destination) ? destination.Location : sync.DestinationLocation;
        return Locate(sync, sync.Destination, problem, block);
    }

    private static ConfigProblem Locate(SyncConfig sync, string destinationName, SyncProblem problem, SourceLocation destinationLocation)
    {
        var location = problem.Target switch
        {
            ProblemTarget.Mapping => sync.Mappings.FirstOrDefault(m => string.Equals(m.Column, problem.Column, StringComparison.OrdinalIgnoreCase))?.Location
                ?? (string.Equals(sync.Match.Column, problem.Column, StringComparison.OrdinalIgnoreCase) ? sync.Match.Location : sync.Location),
            ProblemTarget.Match => sync.Match.Location,
            ProblemTarget.Mode => sync.ModeLocation,
            ProblemTarget.Destination => destinationLocation,
            _ => sync.Location,
        };
        return new ConfigProblem(location, $"sync '{sync.Name}' (destination '{destinationName}'): {problem.Message}", problem.Hint);
    }

    /// <summary>What a destination needs to know about a sync; mapped column names take the model's own spelling.</summary>
    public static SyncContext ToSyncContext(ProjectConfig project, SyncConfig sync, IReadOnlyList<ModelColumn> columns)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(sync);
        ArgumentNullException.ThrowIfNull(columns);
        var model = project.Models.TryGetValue(sync.Model, out var m)
            ? m
            : throw new ArgumentException($"Sync '{sync.Name}' uses model '{sync.Model}', which is not in the project.", nameof(sync));

        string Column(string name) =>
            columns.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase))?.Name ?? name;

        return new SyncContext(
            sync.Name,
            sync.Mode,
            model.Kind,
            new FieldMapping(Column(sync.Match.Column), sync.Match.Field),
            sync.Mappings.Select(x => new FieldMapping(Column(x.Column), x.Field)).ToList(),
            columns);
    }

    /// <summary>
    /// A destination's settings as its provider reads them (variables resolved, defaults applied). Options whose
    /// <c>${VAR}</c> is not set are carried as unresolved: reading one throws their <see cref="ConfigException"/>.
    /// </summary>
    public static DestinationSettings ToSettings(DestinationConfig destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        return new DestinationSettings(destination.Name, destination.Type,
            destination.Settings.ToDictionary(p => p.Key, p => p.Value.Value, StringComparer.Ordinal))
        {
            Unresolved = destination.Unresolved,
        };
    }

    /// <summary>
    /// The problems of every <c>${VAR}</c> that is not set and that this sync needs, in file order: its model's
    /// source always (planning reads the model); with <paramref name="delivery"/>, also its destination and the
    /// notifications its warnings go to (a run, or a validate that calls the destination). Empty when it can go on.
    /// </summary>
    public static IReadOnlyList<ConfigProblem> UnresolvedVariables(ProjectConfig project, SyncConfig sync, bool delivery)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(sync);
        var needed = new List<UnresolvedSetting>();
        if (project.Models.TryGetValue(sync.Model, out var model) && project.Sources.TryGetValue(model.Source, out var source))
        {
            needed.AddRange(source.Unresolved);
        }

        if (delivery)
        {
            if (project.Destinations.TryGetValue(sync.Destination, out var destination))
            {
                needed.AddRange(destination.Unresolved);
            }

            foreach (var name in sync.Warnings.Notify)
            {
                if (project.Notifications.TryGetValue(name, out var notification))
                {
                    needed.AddRange(notification.Unresolved);
                    if (notification.Email is not null && project.Smtp is { } smtp)
                    {
                        needed.AddRange(smtp.Unresolved);
                    }
                }
            }
        }

        return needed.SelectMany(u => u.Problems).Distinct()
            .OrderBy(p => p.Location?.Line ?? 0).ThenBy(p => p.Location?.Column ?? 0)
            .ToList();
    }
}

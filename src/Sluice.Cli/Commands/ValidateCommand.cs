using System.CommandLine;
using Sluice.Core.Configuration;
using Sluice.Core.Destinations;
using Spectre.Console;

namespace Sluice.Cli.Commands;

internal static class ValidateCommand
{
    public static Command Create()
    {
        var offline = new Option<bool>("--offline") { Description = "Skip the checks that call destinations (credentials, live schema)." };
        var command = new Command("validate", "Check sluice.yaml, the models' columns, and each destination's credentials and schema.")
        {
            offline,
        };
        command.SetAction((parse, ct) => SluiceCli.GuardAsync(async () =>
        {
            await using var workspace = SluiceCli.OpenWorkspace(parse, warn: true);
            // Every ${VAR} that is not set, even in a block no sync uses: validate checks the whole project.
            var problems = workspace.Project.UnresolvedProblems.ToList();
            foreach (var sync in workspace.Project.Syncs.Values)
            {
                try
                {
                    await workspace.PrepareAsync(sync, checkDestination: !parse.GetValue(offline), ct);
                }
                catch (ConfigException e)
                {
                    problems.AddRange(e.Problems.Where(p => !problems.Contains(p)));
                }
                catch (DeliveryException e)
                {
                    var destination = workspace.Project.Destinations[sync.Destination];
                    var problem = new ConfigProblem(destination.Location,
                        $"Destination '{destination.Name}' ({SluiceCli.Describe(e.Category)}): {e.Message}");
                    if (!problems.Contains(problem))
                        problems.Add(problem);
                }
            }
            if (problems.Count > 0)
            {
                SluiceCli.WriteProblems(problems);
                return ExitCodes.BadConfig;
            }
            var p = workspace.Project;
            AnsiConsole.MarkupLine(
                $"[green]✓[/] {Markup.Escape(Path.GetFileName(p.FilePath))} is valid: {p.Sources.Count} source(s), {p.Models.Count} model(s), " +
                $"{p.Destinations.Count} destination(s), {p.Syncs.Count} sync(s).");
            return ExitCodes.Ok;
        }));
        return command;
    }
}

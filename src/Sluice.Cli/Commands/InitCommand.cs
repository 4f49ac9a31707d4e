using System.CommandLine;
using Sluice.Core.Configuration;
using Spectre.Console;

namespace Sluice.Cli.Commands;

internal static class InitCommand
{
    public const string Template = """
        # Sluice project. Every option is explained in Sluice's README.md, section "The project file";
        # `sluice validate` checks this file and says what is wrong, where, and what to do.
        sources:
          warehouse:
            type: duckdb
            path: warehouse.duckdb          # relative to this file

        models:
          customers:
            source: warehouse
            kind: user                      # user | custom
            primary_key: customer_id
            sql: select customer_id, email, first_name, plan, ltv from customers

        destinations:
          iterable:
            type: iterable
            api_key: ${ITERABLE_API_KEY}    # set it in the environment or in .env
            base_url: https://api.iterable.com

        syncs:
          customers-to-iterable:
            model: customers
            destination: iterable
            mode: upsert                    # insert | update | upsert | mirror
            match: { column: email, field: email }
            mappings:
              first_name: firstName
              plan: plan
              ltv: lifetimeValue
            schedule: manual
            warnings:
              on_failure: true
              rejected_rows_percent: 5
        """;

    public static Command Create()
    {
        var command = new Command("init", "Create a starter sluice.yaml (and .env.example) in the project folder.");
        command.SetAction((parse, ct) => SluiceCli.GuardAsync(async () =>
        {
            var directory = parse.GetValue(SluiceCli.ProjectOption)!;
            Directory.CreateDirectory(directory);
            var file = Path.Combine(directory, ProjectLoader.FileName);
            if (File.Exists(file))
            {
                throw new ConfigException(new ConfigProblem(new SourceLocation(ProjectLoader.FileName, 0, 0),
                    "sluice.yaml already exists here; init leaves it as it is.", "Edit it, or run init in an empty folder."));
            }
            await File.WriteAllTextAsync(file, Template + "\n", ct);
            await File.WriteAllTextAsync(Path.Combine(directory, ".env.example"), "ITERABLE_API_KEY=\n", ct);
            var ignore = Path.Combine(directory, ".gitignore");
            if (!File.Exists(ignore))
                await File.WriteAllTextAsync(ignore, ".sluice/\n.env\n", ct);
            AnsiConsole.MarkupLine($"Created {Markup.Escape(file)}. Next: put your secrets in .env, then `sluice validate`.");
            return ExitCodes.Ok;
        }));
        return command;
    }
}

using System.CommandLine;
using Sluice.Cli.Commands;
using Sluice.Core.Configuration;
using Sluice.Core.Destinations;
using Sluice.Destinations.Actito;
using Sluice.Destinations.Iterable;
using Sluice.Destinations.Salesforce;
using Sluice.Sources.DuckDb;
using Sluice.State;
using Spectre.Console;

namespace Sluice.Cli;

/// <summary>The exit codes orchestrators rely on.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int RunFailed = 1;
    public const int BadConfig = 2;
}

/// <summary>The <c>sluice</c> command line: composition root and the error boundary of every command.</summary>
internal static class SluiceCli
{
    public static readonly Option<string> ProjectOption = new("--project", "-p")
    {
        Description = "The project folder (with sluice.yaml). Default: the current folder.",
        DefaultValueFactory = _ => Directory.GetCurrentDirectory(),
        Recursive = true,
    };

    public static ProjectCatalog Catalog() => new(
        [new DuckDbSourceProvider()],
        [new IterableDestinationProvider(), new SalesforceDestinationProvider(), new ActitoDestinationProvider()]);

    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("Sluice: sends what changed in your warehouse models to Iterable, Actito and Salesforce.");
        root.Options.Add(ProjectOption);
        foreach (var command in new[]
                 {
                     InitCommand.Create(), ValidateCommand.Create(), PlanCommand.Create(), RunCommand.Create(),
                     HistoryCommand.Create(), RejectedCommand.Create(), EmulateCommand.Create(), DemoCommand.Create(),
                 })
        {
            root.Subcommands.Add(command);
        }

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
                Console.Error.WriteLine($"error: {error.Message}");
            Console.Error.WriteLine("Run `sluice --help` for the commands and options.");
            return ExitCodes.BadConfig;
        }
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        return await parsed.InvokeAsync(new InvocationConfiguration(), cancel.Token);
    }

    /// <summary>Runs a command body with the error boundary: no stack traces, clear messages, the right exit code.</summary>
    public static async Task<int> GuardAsync(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (ConfigException e)
        {
            WriteProblems(e.Problems);
            return ExitCodes.BadConfig;
        }
        catch (StateException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.RunFailed;
        }
        catch (DeliveryException e)
        {
            Console.Error.WriteLine($"error ({Describe(e.Category)}): {e.Message}");
            return ExitCodes.RunFailed;
        }
        catch (Core.Sources.SourceException e)
        {
            Console.Error.WriteLine($"error (source): {e.Message}");
            return ExitCodes.RunFailed;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("Cancelled.");
            return ExitCodes.RunFailed;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A bug, not a user error: say so plainly; the stack is there on request.
            Console.Error.WriteLine($"error: unexpected {e.GetType().Name}: {e.Message.Split('\n', 2)[0]}");
            if (Environment.GetEnvironmentVariable("SLUICE_DEBUG") == "1")
                Console.Error.WriteLine(e);
            else
                Console.Error.WriteLine("Set SLUICE_DEBUG=1 to see the details, and please report it.");
            return ExitCodes.RunFailed;
        }
    }

    public static void WriteProblems(IReadOnlyList<ConfigProblem> problems)
    {
        // Plain lines, never wrapped: these land in terminals, CI logs and grep alike.
        Console.Error.WriteLine($"{problems.Count} problem{(problems.Count == 1 ? "" : "s")} found:");
        foreach (var problem in problems)
            Console.Error.WriteLine(problem.ToString());
    }

    public static string Describe(ErrorCategory category) => category switch
    {
        ErrorCategory.Connection => "connection",
        ErrorCategory.Authentication => "bad credentials",
        ErrorCategory.Permission => "insufficient permissions",
        ErrorCategory.RateLimit => "rate limit",
        ErrorCategory.Configuration => "configuration",
        ErrorCategory.Timeout => "timeout",
        ErrorCategory.NotFound => "resource not found",
        _ => "destination",
    };

    public static DestinationServices Services() => DestinationServices.Default;

    /// <summary>Loads the project named by --project (throws ConfigException with every problem).</summary>
    public static Workspace OpenWorkspace(ParseResult parse) =>
        Workspace.Load(parse.GetValue(ProjectOption)!, Catalog(), Services());
}

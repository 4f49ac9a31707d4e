using System.CommandLine;
using System.Data.Common;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Sluice.Cli.Commands;
using Sluice.Core.Configuration;
using Sluice.Core.Destinations;
using Sluice.Core.State;
using Sluice.Destinations.Actito;
using Sluice.Destinations.Iterable;
using Sluice.Destinations.Salesforce;
using Sluice.Sources.DuckDb;
using Sluice.Sources.Postgres;
using Sluice.State;
using Sluice.State.Postgres.Warehouse;
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
internal static partial class SluiceCli
{
    public static readonly Option<string> ProjectOption = new("--project", "-p")
    {
        Description = "The project folder (with sluice.yaml). Default: the current folder.",
        DefaultValueFactory = _ => Directory.GetCurrentDirectory(),
        Recursive = true,
    };

    public static ProjectCatalog Catalog() => new(
        [new DuckDbSourceProvider(), new PostgresSourceProvider(warehouse => new WarehousePlanner(warehouse))],
        [new IterableDestinationProvider(), new SalesforceDestinationProvider(), new ActitoDestinationProvider()]);

    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("Sluice: sends what changed in your warehouse models to Iterable, Actito and Salesforce.");
        root.Options.Add(ProjectOption);
        foreach (var command in new[]
                 {
                     InitCommand.Create(), ValidateCommand.Create(), PlanCommand.Create(), RunCommand.Create(),
                     HistoryCommand.Create(), RejectedCommand.Create(), StateCommand.Create(), EmulateCommand.Create(), DemoCommand.Create(), ServeCommand.Create(),
                 })
        {
            root.Subcommands.Add(command);
        }

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            var unrecognized = parsed.Errors.Any(e => e.Message.StartsWith("Unrecognized", StringComparison.Ordinal));
            foreach (var error in parsed.Errors)
            {
                // "Required command was not provided" only repeats an unknown command's error.
                if (unrecognized && error.Message.StartsWith("Required command", StringComparison.Ordinal))
                    continue;
                Console.Error.WriteLine($"error: {Friendly(error.Message)}");
            }
            Console.Error.WriteLine("Run `sluice --help` for the commands and options.");
            return ExitCodes.BadConfig;
        }
        using var cancel = new CancellationTokenSource();
        void OnCancel(object? sender, ConsoleCancelEventArgs e)
        {
            e.Cancel = true;
            try
            {
                cancel.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The signal came as the command ended (`sluice serve` stopping on the host's own handling of it).
            }
        }
        Console.CancelKeyPress += OnCancel;
        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration(), cancel.Token);
        }
        finally
        {
            Console.CancelKeyPress -= OnCancel;
        }
    }

    [GeneratedRegex(@"as expected type 'System\.(\w+)'")]
    private static partial Regex ExpectedType();

    /// <summary>The parser names .NET types ("System.Int32"); users write numbers.</summary>
    private static string Friendly(string message) => ExpectedType().Replace(message, m => m.Groups[1].Value switch
    {
        "Int32" or "Int64" => "as a whole number",
        "Double" or "Decimal" => "as a number",
        "Boolean" => "as true or false",
        _ => "as the expected kind of value",
    });

    /// <summary>Runs a command body with the error boundary: no stack traces, clear messages, the right exit code.</summary>
    public static async Task<int> GuardAsync(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (ConfigException e)
        {
            WriteProblems(e.Problems, e.Warnings);
            return ExitCodes.BadConfig;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            var (message, exitCode) = Explain(e);
            Console.Error.WriteLine(e is OperationCanceledException ? message : $"error{(message.StartsWith('(') ? " " : ": ")}{message}");
            if (IsBug(e))
            {
                // A bug, not a user error: say so plainly; the stack is there on request.
                if (Environment.GetEnvironmentVariable("SLUICE_DEBUG") == "1")
                    Console.Error.WriteLine(e);
                else
                    Console.Error.WriteLine("Set SLUICE_DEBUG=1 to see the details, and please report it.");
            }
            return exitCode;
        }
    }

    /// <summary>
    /// How to run this same <c>sluice</c> from a shell, for the commands the CLI suggests: <c>sluice</c> when that is
    /// the one on the PATH, else this executable's path (<c>dotnet run</c>'s build output, or <c>dotnet sluice.dll</c>).
    /// </summary>
    public static string CommandName()
    {
        if (Environment.ProcessPath is not { } process)
            return "sluice";
        if (Path.GetFileNameWithoutExtension(process) != "sluice")
            return $"{Quote(process)} {Quote(typeof(SluiceCli).Assembly.Location)}";
        var self = RealPath(process);
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, Path.GetFileName(process))).FirstOrDefault(File.Exists);
        return onPath is not null && RealPath(onPath) == self ? "sluice" : Quote(process);

        static string RealPath(string path) => new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(path);
    }

    /// <summary>A path as a shell reads it back.</summary>
    public static string Quote(string path) =>
        path.All(c => char.IsLetterOrDigit(c) || "/._-+:=@".Contains(c)) ? path : OperatingSystem.IsWindows() ? $"\"{path}\"" : $"'{path.Replace("'", "'\\''")}'";

    /// <summary>A usage error: a plain message on stderr, exit 2.</summary>
    public static int UsageError(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        Console.Error.WriteLine("Run `sluice --help` for the commands and options.");
        return ExitCodes.BadConfig;
    }

    /// <summary>Rejects a number below <paramref name="minimum"/> at parse time (a usage error, exit 2).</summary>
    public static Option<int> AtLeast(this Option<int> option, int minimum, int maximum = int.MaxValue)
    {
        option.Validators.Add(result =>
        {
            // Only what was typed, and only a number: a word is the parser's own error ("as a whole number").
            if (result.Tokens.Count == 0 ||
                !int.TryParse(result.Tokens[^1].Value, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var value))
                return;
            if (value < minimum || value > maximum)
            {
                result.AddError(maximum == int.MaxValue
                    ? $"{option.Name} must be {minimum} or more (got {value})."
                    : $"{option.Name} must be between {minimum:N0} and {maximum:N0} (got {value}).");
            }
        });
        return option;
    }

    private static bool IsBug(Exception e) => e is not (ConfigException or StateException or SyncBusyException or DbException or IOException
        or UnauthorizedAccessException or DeliveryException or Core.Sources.SourceException or OperationCanceledException);

    /// <summary>What users read for an error that ended a command (or kept a sync from running), and the exit code.</summary>
    public static (string Message, int ExitCode) Explain(Exception e) => e switch
    {
        ConfigException c => (string.Join(" ", c.Problems.Select(p => p.Hint is null ? p.Message : $"{p.Message} {p.Hint}")), ExitCodes.BadConfig),
        StateException or SyncBusyException => (e.Message, ExitCodes.RunFailed),
        // Sources wrap their own errors; a database error that reaches here came from the state.
        DbException => (StateErrors.Explain((DbException)e, FileIn(e.Message) ?? ".sluice/state.duckdb").Message, ExitCodes.RunFailed),
        IOException or UnauthorizedAccessException => (DescribeFileError(e), ExitCodes.RunFailed),
        DeliveryException d => ($"({Describe(d.Category)}): {d.Message}", ExitCodes.RunFailed),
        Core.Sources.SourceException s => ($"(source): {s.Message}", ExitCodes.RunFailed),
        OperationCanceledException => ("Cancelled.", ExitCodes.RunFailed),
        _ => ($"unexpected {e.GetType().Name}: {e.Message.Split('\n', 2)[0]}", ExitCodes.RunFailed),
    };

    /// <summary>A file-system error (full disk, read-only folder, a file where a folder belongs) with what to do.</summary>
    internal static string DescribeFileError(Exception e)
    {
        var reason = e.Message.Split('\n', 2)[0].Trim().TrimEnd('.');
        var file = FileIn(e.Message);
        return StateErrors.Classify(e.Message) switch
        {
            StateFailure.DiskFull => $"the disk is full: {reason}. Free some space on it and run again.",
            StateFailure.ReadOnly => $"cannot write {file ?? "a file of the project"}: {reason}. Make the project folder writable for this user, or use a writable copy of it.",
            StateFailure.WrongKind => $"{reason}: something is in the way of a file or folder Sluice needs. Move it aside and run again.",
            _ => $"cannot read or write {file ?? "a file of the project"}: {reason}. Check the project folder's permissions and free space, then run again.",
        };
    }

    [GeneratedRegex("""["'](/[^"']+|[A-Za-z]:\\[^"']+)["']""")]
    private static partial Regex QuotedPath();

    private static string? FileIn(string message) => QuotedPath().Match(message) is { Success: true } m ? m.Groups[1].Value : null;

    public static void WriteProblems(IReadOnlyList<ConfigProblem> problems, IReadOnlyList<ConfigProblem>? warnings = null)
    {
        if (warnings is not null)
            WriteWarnings(warnings);
        // Plain lines, never wrapped: these land in terminals, CI logs and grep alike.
        Console.Error.WriteLine($"{problems.Count} problem{(problems.Count == 1 ? "" : "s")} found:");
        foreach (var problem in problems)
            Console.Error.WriteLine(problem.ToString());
    }

    /// <summary>Config warnings, on stderr so that --json output stays parseable.</summary>
    public static void WriteWarnings(IReadOnlyList<ConfigProblem> warnings)
    {
        foreach (var warning in warnings)
            Console.Error.WriteLine($"warning: {warning}");
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
        ErrorCategory.Source => "source",
        ErrorCategory.Cancelled => "cancelled",
        ErrorCategory.State => "state",
        _ => "destination",
    };

    /// <summary>
    /// What destinations get from the CLI: their logs on stderr (so --json output stays parseable), Sluice's own at
    /// Information, so a user watching a slow run sees each retry and its wait.
    /// </summary>
    public static DestinationServices Services() => new()
    {
        LoggerFactory = LoggerFactory.Create(logging => logging
            .SetMinimumLevel(LogLevel.Warning)
            .AddFilter("Sluice", LogLevel.Information)
            .AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.IncludeScopes = false;
            })
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)),
    };

    /// <summary>Loads the project named by --project (throws ConfigException with every problem).</summary>
    /// <param name="warn">Print the project's config warnings (validate, plan and run do).</param>
    public static Workspace OpenWorkspace(ParseResult parse, bool warn = false)
    {
        var workspace = Workspace.Load(parse.GetValue(ProjectOption)!, Catalog(), Services());
        if (warn)
            WriteWarnings(workspace.Project.Warnings);
        return workspace;
    }
}

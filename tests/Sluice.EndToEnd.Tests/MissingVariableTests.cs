using Sluice.EndToEnd.Tests.Support;

namespace Sluice.EndToEnd.Tests;

/// <summary>
/// A `${VAR}` that is not set fails only what uses it, through the real `sluice` binary: a project with an
/// Iterable sync (its variables set) and a Salesforce sync whose client secret comes from a variable nobody set.
/// </summary>
public sealed class MissingVariableTests
{
    private const string Iterable = "customers-to-iterable";
    private const string Salesforce = "customers-to-salesforce";

    // Unique, so that no machine running the tests happens to have it set.
    private const string Unset = "SLUICE_E2E_UNSET_SF_CLIENT_SECRET";

    private static async Task<IterableProject> ProjectAsync()
    {
        var project = await IterableProject.CreateAsync();
        await project.WriteCustomersAsync(IterableProject.Customers(30));
        await project.WriteProjectFileAsync(IterableProject.ProjectFile("upsert")
            .Replace("syncs:\n", $$"""
                  salesforce:
                    type: salesforce
                    login_url: http://127.0.0.1:9
                    client_id: e2e-client
                    client_secret: ${{{Unset}}}
                    object: Contact
                syncs:
                  {{Salesforce}}:
                    model: customers
                    destination: salesforce
                    mode: upsert
                    match: { column: email, field: Email__c }
                    mappings:
                      first_name: FirstName

                """, StringComparison.Ordinal));
        return project;
    }

    /// <summary>The line of the project file that reads the variable (1-based), for the file:line:col of the error.</summary>
    private static int LineOfVariable(IterableProject project) =>
        Array.FindIndex(File.ReadAllLines(Path.Combine(project.Directory, "sluice.yaml")), l => l.Contains(Unset, StringComparison.Ordinal)) + 1;

    [Fact]
    public async Task Commands_that_do_not_use_an_unset_variable_work_and_the_sync_that_does_says_which_variable_and_where()
    {
        await using var project = await ProjectAsync();
        Assert.Null(Environment.GetEnvironmentVariable(Unset));

        var run = await project.SluiceAsync("run", Iterable);
        Assert.True(run.ExitCode == 0, $"the sync that doesn't use the variable must run:\n{run}");
        Assert.Equal(30, project.Emulator.UserCount);

        var history = await project.SluiceAsync("history", "--json");
        Assert.True(history.ExitCode == 0, history.ToString());
        Assert.Contains(Iterable, history.Stdout, StringComparison.Ordinal);

        var rejected = await project.SluiceAsync("rejected", Iterable);
        Assert.True(rejected.ExitCode == 0, rejected.ToString());

        // plan never calls the destination, so it needs none of its secrets.
        var plan = await project.SluiceAsync("plan", Salesforce, "--json");
        Assert.True(plan.ExitCode == 0, $"plan must not need the destination's secret:\n{plan}");
        Assert.Equal(30, plan.Json["counts"]!["toSend"]!.GetValue<long>());

        var refused = await project.SluiceAsync("run", Salesforce);
        Assert.True(refused.ExitCode == 2, refused.ToString());
        var line = LineOfVariable(project);
        Assert.Contains($"sluice.yaml:{line}:", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains($"variable ${{{Unset}}} used by option 'client_secret' of destination 'salesforce' is not set", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains($"add a line {Unset}=... to the .env file", refused.Stderr, StringComparison.Ordinal);
        Assert.False(CaseProject.CrashSigns().IsMatch(refused.Stdout + refused.Stderr), refused.ToString());

        var validate = await project.SluiceAsync("validate", "--offline");
        Assert.True(validate.ExitCode == 2, validate.ToString());
        Assert.Contains($"${{{Unset}}}", validate.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_all_runs_the_syncs_that_have_their_variables_and_reports_the_one_that_does_not()
    {
        await using var project = await ProjectAsync();

        var run = await project.SluiceAsync("run", "--all");

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Equal(30, project.Emulator.UserCount);
        Assert.Contains($"${{{Unset}}}", run.Stderr, StringComparison.Ordinal);
        // Both runs are recorded: the one that ran, and the one its configuration stopped, with the variable's error.
        var history = await project.SluiceAsync("history", "--json");
        Assert.True(history.ExitCode == 0, history.ToString());
        var runs = history.Json["runs"]!.AsArray().ToDictionary(r => r!["sync"]!.GetValue<string>(), r => r!);
        Assert.Equal("succeeded", runs[Iterable]["status"]!.GetValue<string>());
        Assert.Equal("failed", runs[Salesforce]["status"]!.GetValue<string>());
        Assert.Contains($"${{{Unset}}}", runs[Salesforce]["error"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}

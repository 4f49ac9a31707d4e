using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Sluice.Server.Tests.Support;

namespace Sluice.Server.Tests;

/// <summary>The real <c>sluice serve</c> binary (the CLI's build output beside the tests) as a child process.</summary>
public sealed partial class ServeCommandTests
{
    [Fact]
    public async Task Serve_without_a_token_refuses_to_start_and_says_how_to_give_one()
    {
        await using var project = await ServerProject.CreateAsync(ServerProject.Sync("customers", "manual"));
        using var process = Start(project.Directory, token: null);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.Equal(2, process.ExitCode);
        Assert.Contains("SLUICE_API_TOKENS", await stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_with_a_bad_sluice_yaml_prints_its_problems_and_does_not_start()
    {
        await using var project = await ServerProject.CreateAsync(ServerProject.Sync("customers", "every fortnight"));
        using var process = Start(project.Directory, ServerProject.Token);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.Equal(2, process.ExitCode);
        var text = await stderr;
        Assert.Contains("sluice.yaml:", text, StringComparison.Ordinal);
        Assert.Contains("every fortnight", text, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_prints_its_address_answers_health_and_the_api_and_stops_cleanly_on_sigterm()
    {
        await using var project = await ServerProject.CreateAsync(ServerProject.Sync("customers", "manual"));
        using var process = Start(project.Directory, ServerProject.Token);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        var printed = new List<string>();
        var url = await ReadAddressAsync(process, printed);
        Assert.True(url is not null, $"no address printed:\n{string.Join('\n', printed)}\n{(process.HasExited ? await stderr : "")}");

        using var http = new HttpClient { BaseAddress = url };
        Assert.Contains("\"status\":\"ok\"", await http.GetStringAsync("/health", TestContext.Current.CancellationToken), StringComparison.Ordinal);
        using var anonymous = await http.GetAsync("/api/syncs", TestContext.Current.CancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, anonymous.StatusCode);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ServerProject.Token);
        Assert.Contains("\"name\":\"customers\"", await http.GetStringAsync("/api/syncs", TestContext.Current.CancellationToken), StringComparison.Ordinal);

        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            await kill.WaitForExitAsync(TestContext.Current.CancellationToken);
        var rest = await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.Equal(0, process.ExitCode);
        var all = string.Join('\n', printed) + rest + await stderr;
        Assert.DoesNotContain(ServerProject.Token, all, StringComparison.Ordinal);
        Assert.DoesNotContain(ServerProject.ApiKey, all, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demo_serve_leaves_the_server_running_on_the_demo_and_its_emulators_with_scheduled_runs_that_succeed_and_keep_finding_changes()
    {
        var directory = Path.Combine(Path.GetTempPath(), "sluice-server-tests", Guid.NewGuid().ToString("N"));
        using var process = StartCli(["demo", "--serve", "--customers", "200", "--urls", "http://127.0.0.1:0", "--dir", directory], token: null);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        var printed = new List<string>();
        Uri? url = null;
        string? token = null;
        while (url is null && await process.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken) is { } line)
        {
            printed.Add(line);
            if (DemoToken().Match(line) is { Success: true } t)
                token = t.Groups[1].Value;
            if (WebUi().Match(line) is { Success: true } m)
                url = new Uri(m.Groups[1].Value);
        }
        Assert.True(url is not null && token is not null, $"no address or token printed:\n{string.Join('\n', printed)}\n{(process.HasExited ? await stderr : "")}");
        var rest = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);

        using var http = new HttpClient { BaseAddress = url };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        // Nothing ran before the server: the interval syncs run at once, and the syncs after them follow.
        foreach (var sync in new[] { "customers-to-iterable", "customers-update-existing", "accounts-to-salesforce", "contacts-to-salesforce", "customers-to-actito" })
        {
            while (true)
            {
                var view = System.Text.Json.Nodes.JsonNode.Parse(await http.GetStringAsync($"/api/syncs/{sync}", TestContext.Current.CancellationToken))!;
                var status = view["last_run"]?["status"]?.GetValue<string>();
                Assert.True(status is null or "succeeded", $"{sync}: {view.ToJsonString()}");
                if (status == "succeeded")
                    break;
                await Task.Delay(200, TestContext.Current.CancellationToken);
            }
        }
        // The demo changes its warehouse between runs: the next scheduled run of the every-1m sync has rows to send.
        long first = 0;
        while (true)
        {
            var view = System.Text.Json.Nodes.JsonNode.Parse(await http.GetStringAsync("/api/syncs/customers-to-iterable", TestContext.Current.CancellationToken))!;
            var last = view["last_run"]!;
            var id = last["run_id"]!.GetValue<long>();
            if (first == 0)
                first = id;
            if (id != first && last["status"]!.GetValue<string>() is var status && status != "running")
            {
                Assert.True(status == "succeeded", view.ToJsonString());
                Assert.True(last["counts"]!["sent"]!.GetValue<long>() > 0, view.ToJsonString());
                break;
            }
            await Task.Delay(500, TestContext.Current.CancellationToken);
        }
        var schedules = await http.GetStringAsync("/api/syncs", TestContext.Current.CancellationToken);
        Assert.Contains("\"schedule\":\"every 1m\"", schedules, StringComparison.Ordinal);
        Assert.Contains("\"schedule\":\"after customers-to-iterable\"", schedules, StringComparison.Ordinal);

        using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            await kill.WaitForExitAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.Equal(0, process.ExitCode);
        var output = await rest + await stderr;
        Assert.False(output.Contains("   at ", StringComparison.Ordinal), $"a stack trace was printed:\n{output}");
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [GeneratedRegex(@"the token ([0-9a-f]{32})")]
    private static partial Regex DemoToken();

    [GeneratedRegex(@"web UI: (http://127\.0\.0\.1:\d+/)")]
    private static partial Regex WebUi();

    /// <summary>Reads stdout up to the printed web UI address (null when the process ends first), keeping the lines read.</summary>
    internal static async Task<Uri?> ReadAddressAsync(Process process, List<string> printed)
    {
        while (await process.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken) is { } line)
        {
            printed.Add(line);
            if (WebUi().Match(line) is { Success: true } m)
                return new Uri(m.Groups[1].Value);
        }
        return null;
    }

    /// <summary>Starts the real <c>sluice serve</c> on a free port for this project, with <paramref name="arguments"/> added.</summary>
    internal static Process Start(string projectDirectory, string? token, params string[] arguments) =>
        StartCli(["serve", "--urls", "http://127.0.0.1:0", "--project", projectDirectory, .. arguments], token);

    private static Process StartCli(IEnumerable<string> args, string? token)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "sluice.dll"));
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        info.Environment["NO_COLOR"] = "1";
        info.Environment.Remove("SLUICE_API_TOKENS");
        info.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT"); // a collector of the machine's is not this test's
        if (token is not null)
            info.Environment["SLUICE_API_TOKENS"] = token;
        return Process.Start(info)!;
    }
}

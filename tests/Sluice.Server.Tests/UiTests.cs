using Microsoft.Playwright;
using Sluice.Server.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace Sluice.Server.Tests;

/// <summary>The web UI in real headless Chromium (Debian's, never a downloaded browser), driven by Playwright.</summary>
public sealed class UiTests
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task The_syncs_page_runs_a_sync_now_and_its_run_page_shows_the_finished_run_and_its_rejected_rows()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does).");
        await using var project = await ServerProject.CreateAsync(
            ServerProject.Sync("customers", "manual") + ServerProject.Sync("hourly-customers", "every 1h"), customers: 30);
        await project.StartAsync();
        // The hourly sync runs at start (never run yet); let it finish so the page shows both kinds of rows.
        await project.WaitForHistoryAsync("hourly-customers", runs => runs.Any(r => r.Status != Core.State.RunStatus.Running));

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var page = await LogInAsync(browser, project);

        var row = page.Locator("#syncs tr[data-sync='customers']");
        await Expect(row).ToContainTextAsync("never run");
        await Expect(page.Locator("#syncs tr[data-sync='hourly-customers']")).ToContainTextAsync("every 1h");
        await row.GetByRole(AriaRole.Button, new() { Name = "Run customers now" }).ClickAsync();

        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex(@"/runs/\d+$"));
        await Expect(page.Locator("#status")).ToHaveTextAsync("succeeded", RunFinishes);
        var rejected = page.Locator("#rejected tbody tr");
        await Expect(rejected).ToHaveCountAsync(4);
        await Expect(page.Locator("#rejected")).ToContainTextAsync("Iterable refused the email address as invalid");
        await Expect(rejected.First.Locator("td").First).ToHaveTextAsync("7"); // numeric key order: 7, 14, 21, 28

        await page.Locator("input[name=key]").FillAsync("21");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Expect(rejected).ToHaveCountAsync(1);
        await Expect(rejected).ToContainTextAsync("21");

        await page.GotoAsync(new Uri(project.BaseUrl, "/").ToString());
        await Expect(row).ToContainTextAsync("succeeded");
        await Expect(row).ToContainTextAsync("26 delivered, 4 rejected");
        await ScreenshotAsync(page, "server-ui.png");
    }

    [Fact]
    public async Task A_sync_page_charts_its_runs_and_shows_its_pause_and_the_warnings_page_lists_the_warnings_in_force()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does).");
        var syncs = """
              customers:
                model: customers
                destination: iterable
                mode: upsert
                match: { column: email, field: email }
                mappings:
                  first_name: firstName
                warnings:
                  rejected_rows_percent: 5
              downstream:
                model: customers
                destination: iterable
                mode: upsert
                match: { column: email, field: email }
                mappings:
                  first_name: firstName
                schedule: after customers

            """;
        await using var project = await ServerProject.CreateAsync(syncs, customers: 30);
        await project.StartAsync();
        // Two runs that succeed with rejected rows (4 of 30: the warning starts with the first), then the key is revoked.
        await project.WaitForRunAsync(await project.RunNowAsync("customers"));
        await project.WriteCustomersAsync(45);
        await project.WaitForRunAsync(await project.RunNowAsync("customers"));
        // The runs of the sync after it, started by those two successes, end before the key is revoked: else one of them
        // would fail on the revoked key and pause that sync on its own account.
        await project.WaitForHistoryAsync("downstream", runs => runs.Count(r => r.Status != Core.State.RunStatus.Running) >= 2);
        await project.WriteEnvAsync("a-revoked-iterable-key");
        using (var reload = await project.Api.PostAsync("/api/reload", null))
            Assert.True(reload.IsSuccessStatusCode);
        await project.WaitForRunAsync(await project.RunNowAsync("customers"));

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var page = await LogInAsync(browser, project);

        await Expect(page.Locator("#syncs tr[data-sync='customers']")).ToContainTextAsync("paused");
        await Expect(page.Locator("#syncs tr[data-sync='customers'] .paused-reason")).ToContainTextAsync("broken: destination credentials");
        await Expect(page.Locator("#syncs tr[data-sync='downstream'] .paused-reason")).ToContainTextAsync("runs after 'customers'");

        await page.GotoAsync(new Uri(project.BaseUrl, "/syncs/customers").ToString());
        await Expect(page.Locator("#paused")).ToContainTextAsync("Broken: destination credentials.");
        await Expect(page.Locator("#paused")).ToContainTextAsync("refused the API key");
        // One point per run on each line: three runs (two that sent rows, one that failed before sending).
        await Expect(page.Locator("#run-chart circle.point-sent")).ToHaveCountAsync(3);
        await Expect(page.Locator("#run-chart circle.point-rejected")).ToHaveCountAsync(3);
        await Expect(page.Locator("#sync-warnings")).ToContainTextAsync("run-failed");
        await ScreenshotAsync(page, "server-sync.png");

        await page.GetByRole(AriaRole.Link, new() { Name = "Warnings" }).ClickAsync();
        var warning = page.Locator("#warnings tr[data-sync='customers'][data-warning='run-failed']");
        await Expect(warning).ToContainTextAsync("refused the API key");
        await ScreenshotAsync(page, "server-warnings.png");

        await page.GotoAsync(new Uri(project.BaseUrl, "/syncs/customers").ToString());
        await page.GetByRole(AriaRole.Button, new() { Name = "Resume now" }).ClickAsync();
        await Expect(page.Locator("#paused")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Run_now_on_a_mirror_sync_shows_its_plan_with_the_deletes_first_and_runs_it_when_confirmed()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does).");
        const string actitoKey = "server-test-actito-key";
        await using var actito = await Sluice.Emulators.Actito.ActitoEmulator.StartAsync(new Sluice.Emulators.Actito.ActitoEmulatorOptions { ApiKey = actitoKey });
        var destination = $"""
              actito:
                type: actito
                api_key: ${"{"}ACTITO_API_KEY{"}"}
                base_url: {actito.BaseUrl.ToString().TrimEnd('/')}
                entity: sluice_demo
                table: Profiles
            """;
        var syncs = """
              mirror:
                model: customers
                destination: actito
                mode: mirror
                match: { column: email, field: emailAddress }
                max_deletes: 50%
                mappings:
                  first_name: firstName

            """;
        await using var project = await ServerProject.CreateAsync(syncs, customers: 30, destinations: destination);
        await File.AppendAllTextAsync(Path.Combine(project.Directory, ".env"), $"ACTITO_API_KEY={actitoKey}\n");
        await project.StartAsync();
        Assert.Equal("succeeded", (await project.WaitForRunAsync(await project.RunNowAsync("mirror")))["status"]!.GetValue<string>());
        var delivered = actito.ProfileCount("Profiles", "sluice_demo");
        await project.WriteCustomersAsync(27); // 28, 29 and 30 leave the model

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var page = await LogInAsync(browser, project);
        await page.Locator("#syncs tr[data-sync='mirror']").GetByRole(AriaRole.Button, new() { Name = "Run mirror now" }).ClickAsync();

        // The plan comes first: what would be deleted, and nothing ran yet.
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex(@"/syncs/mirror\?plan=true$"));
        await Expect(page.Locator("#deletes")).ToContainTextAsync("29");
        await Expect(page.Locator("#deletes")).ToContainTextAsync("30");
        await Expect(page.Locator("#guard")).ToHaveCountAsync(0);
        var toDelete = int.Parse(await page.Locator("#to-delete").InnerTextAsync(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(toDelete, 2, 3); // 28 only if Actito took its malformed email
        Assert.Single(await project.Service<Core.State.IStateStore>().Runs.HistoryAsync("mirror"));

        await page.GetByRole(AriaRole.Button, new() { Name = "Confirm and run" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex(@"/runs/\d+$"));
        await Expect(page.Locator("#status")).ToHaveTextAsync("succeeded", RunFinishes);
        Assert.Equal(delivered - toDelete, actito.ProfileCount("Profiles", "sluice_demo"));
    }

    /// <summary>A run's page shows its end when the run ends: on a loaded machine that takes longer than an assertion's 5 s.</summary>
    private static readonly LocatorAssertionsToHaveTextOptions RunFinishes = new() { Timeout = 60_000 };

    private static async Task<IBrowser> LaunchAsync(IPlaywright playwright) => await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
    {
        ExecutablePath = Chromium,
        Headless = true,
        Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"],
    });

    private static async Task<IPage> LogInAsync(IBrowser browser, ServerProject project)
    {
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });
        page.SetDefaultTimeout(60_000);
        await page.GotoAsync(new Uri(project.BaseUrl, "/").ToString());
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/login"));
        await page.Locator("input[name=token]").FillAsync(ServerProject.Token);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await Expect(page.Locator("#syncs")).ToBeVisibleAsync();
        return page;
    }

    /// <summary>Saves a screenshot beside the tests; into docs/ only on request, so test runs leave the work tree alone.</summary>
    private static async Task ScreenshotAsync(IPage page, string name)
    {
        var shot = Path.Combine(AppContext.BaseDirectory, name);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = shot, FullPage = true });
        if (Environment.GetEnvironmentVariable("SLUICE_UPDATE_SCREENSHOTS") == "1")
            File.Copy(shot, Path.Combine(RepositoryRoot(), "docs", name), overwrite: true);
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Sluice.slnx")))
            directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("Sluice.slnx not found above the test binaries.");
    }
}

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
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"],
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });
        page.SetDefaultTimeout(60_000);

        await page.GotoAsync(new Uri(project.BaseUrl, "/").ToString());
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/login"));
        await page.Locator("input[name=token]").FillAsync(ServerProject.Token);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();

        var row = page.Locator("#syncs tr[data-sync='customers']");
        await Expect(row).ToContainTextAsync("never run");
        await Expect(page.Locator("#syncs tr[data-sync='hourly-customers']")).ToContainTextAsync("every 1h");
        await row.GetByRole(AriaRole.Button, new() { Name = "Run customers now" }).ClickAsync();

        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex(@"/runs/\d+$"));
        await Expect(page.Locator("#status")).ToHaveTextAsync("succeeded");
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
        var shot = Path.Combine(AppContext.BaseDirectory, "server-ui.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = shot, FullPage = true });
        // The README's screenshot is refreshed on request only, so test runs leave the work tree alone.
        if (Environment.GetEnvironmentVariable("SLUICE_UPDATE_SCREENSHOTS") == "1")
            File.Copy(shot, Path.Combine(RepositoryRoot(), "docs", "server-ui.png"), overwrite: true);
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Sluice.slnx")))
            directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("Sluice.slnx not found above the test binaries.");
    }
}

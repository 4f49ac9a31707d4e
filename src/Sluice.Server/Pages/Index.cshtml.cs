using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Sluice.Engine;
using Sluice.Server.Api;

namespace Sluice.Server.Pages;

public sealed class IndexModel(ServerQueries queries, SyncRunner runner, ProjectHost project) : PageModel
{
    public IReadOnlyList<SyncView> Syncs { get; private set; } = [];

    public IReadOnlyList<string> Problems { get; private set; } = [];

    [TempData]
    public string? Message { get; set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        Syncs = await queries.SyncsAsync(ct);
        Problems = project.Problems.Select(p => p.ToString()).ToList();
    }

    /// <summary>"Run now": starts the run and shows it; a sync already running shows that run.</summary>
    public async Task<IActionResult> OnPostRunAsync(string name)
    {
        if (!project.Current.Syncs.ContainsKey(name))
        {
            Message = $"There is no sync named '{name}' any more.";
            return RedirectToPage();
        }
        var result = await runner.StartAsync(name, new RunOptions(), "ui");
        if (result.RunId is { } id)
            return Redirect($"/runs/{id}");
        if (result.AlreadyRunning?.RunId is { } running)
            return Redirect($"/runs/{running}");
        Message = $"Sync '{name}' could not start: {result.Refused}";
        return RedirectToPage();
    }

    public static string Format(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
}

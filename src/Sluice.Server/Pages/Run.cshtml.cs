using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Sluice.Server.Api;

namespace Sluice.Server.Pages;

public sealed class RunModel(ServerQueries queries, SyncRunner runner) : PageModel
{
    public RunView Run { get; private set; } = null!;

    public RejectedPage? Rejected { get; private set; }

    public async Task<IActionResult> OnGetAsync(long id, string? key, CancellationToken ct, int page = 1)
    {
        if (await queries.RunAsync(id, ct) is not { } run)
            return NotFound();
        Run = run;
        if (run.Finished)
            Rejected = await queries.RejectedAsync(run, Math.Max(1, page), 100, key, ct);
        return Page();
    }

    /// <summary>Stops the run after what is in flight (acknowledged batches stay committed).</summary>
    public IActionResult OnPostCancel(long id)
    {
        runner.Cancel(id);
        return Redirect($"/runs/{id}");
    }
}

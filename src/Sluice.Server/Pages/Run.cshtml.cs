using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Sluice.Server.Api;

namespace Sluice.Server.Pages;

public sealed class RunModel(ServerQueries queries) : PageModel
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
}

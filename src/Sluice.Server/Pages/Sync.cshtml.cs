using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Sluice.Core.Configuration;
using Sluice.Core.State;
using Sluice.Server.Api;

namespace Sluice.Server.Pages;

public sealed class SyncModel(ServerQueries queries) : PageModel
{
    public SyncView Sync { get; private set; } = null!;

    public IReadOnlyList<RunView> Runs { get; private set; } = [];

    public PlanView? Plan { get; private set; }

    public string? PlanProblem { get; private set; }

    public async Task<IActionResult> OnGetAsync(string name, bool plan, CancellationToken ct)
    {
        if (await queries.SyncAsync(name, ct) is not { } sync)
            return NotFound();
        Sync = sync;
        Runs = await queries.RunsAsync(name, 100, ct);
        if (plan)
        {
            try
            {
                Plan = await queries.PlanAsync(queries.Project.Syncs[name], fullResync: false, samples: 0, ct);
            }
            catch (ConfigException e)
            {
                PlanProblem = string.Join(" ", e.Problems.Select(p => p.ToString()));
            }
            catch (SyncBusyException e)
            {
                PlanProblem = e.Message;
            }
        }
        return Page();
    }
}

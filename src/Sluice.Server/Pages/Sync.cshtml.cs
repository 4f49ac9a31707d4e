using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Sluice.Core.Configuration;
using Sluice.Core.State;
using Sluice.Server.Api;

namespace Sluice.Server.Pages;

public sealed class SyncModel(ServerQueries queries, SyncHealth health) : PageModel
{
    public SyncView Sync { get; private set; } = null!;

    public IReadOnlyList<RunView> Runs { get; private set; } = [];

    public PlanView? Plan { get; private set; }

    public IReadOnlyList<WarningView> Warnings { get; private set; } = [];

    public string? PlanProblem { get; private set; }

    public async Task<IActionResult> OnGetAsync(string name, bool plan, CancellationToken ct)
    {
        if (await queries.SyncAsync(name, ct) is not { } sync)
            return NotFound();
        Sync = sync;
        Runs = await queries.RunsAsync(name, 100, ct);
        Warnings = await queries.WarningsAsync(name, ct);
        if (plan)
        {
            try
            {
                // Samples: none to send (keys only say little); a mirror's deletes are listed anyway, the first 20.
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

    /// <summary>"Resume now": the sync runs on its schedule again; a run that fails the same way pauses it again.</summary>
    public async Task<IActionResult> OnPostResumeAsync(string name, CancellationToken ct)
    {
        await health.ResumeAsync(name, "asked in the web UI", ct);
        return Redirect($"/syncs/{Uri.EscapeDataString(name)}");
    }
}

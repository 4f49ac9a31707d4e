using Microsoft.AspNetCore.Mvc.RazorPages;
using Sluice.Server.Api;

namespace Sluice.Server.Pages;

public sealed class WarningsModel(ServerQueries queries) : PageModel
{
    public IReadOnlyList<WarningView> Warnings { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct) => Warnings = await queries.WarningsAsync(null, ct);
}

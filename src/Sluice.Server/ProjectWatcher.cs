using Microsoft.Extensions.Hosting;
using Sluice.Core.Configuration;

namespace Sluice.Server;

/// <summary>
/// Reloads sluice.yaml (and .env) when they change, once the edits settle, so that a save in an editor (often a
/// write, a rename and another write) is one reload. A bad edit keeps the last good configuration (<see cref="ProjectHost"/>).
/// </summary>
internal sealed class ProjectWatcher(ProjectHost project, ServerOptions options) : IHostedService, IDisposable
{
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(500);
    private readonly CancellationTokenSource _stopping = new();
    private FileSystemWatcher? _watcher;
    private ITimer? _timer;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.WatchProject)
            return Task.CompletedTask;
        _timer = options.Time.CreateTimer(_ => project.Reload(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _watcher = new FileSystemWatcher(Path.GetFullPath(options.ProjectDirectory))
        {
            NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size,
            IncludeSubdirectories = false,
        };
        foreach (var name in new[] { ProjectLoader.FileName, ProjectLoader.AlternateFileName, ".env" })
            _watcher.Filters.Add(name);
        _watcher.Changed += OnChange;
        _watcher.Created += OnChange;
        _watcher.Renamed += OnChange;
        _watcher.EnableRaisingEvents = true;
        return Task.CompletedTask;
    }

    // Each change pushes the reload back, so it happens once the file has settled.
    private void OnChange(object sender, FileSystemEventArgs e) => _timer?.Change(Settle, Timeout.InfiniteTimeSpan);

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping.Cancel();
        if (_watcher is not null)
            _watcher.EnableRaisingEvents = false;
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        _timer?.Dispose();
        _stopping.Dispose();
    }
}

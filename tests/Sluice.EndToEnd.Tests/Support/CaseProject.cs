using System.Diagnostics;
using System.Text.RegularExpressions;
using DuckDB.NET.Data;

namespace Sluice.EndToEnd.Tests.Support;

/// <summary>
/// A throwaway copy of a template project folder (sluice.yaml, .env, warehouse, .sluice), pointing at the
/// template's emulator, for one bad-input case: break it, run `sluice`, repair it, run again.
/// </summary>
internal sealed partial class CaseProject : IAsyncDisposable
{
    private readonly List<Func<Task>> _cleanups = [];

    private CaseProject(string template, string directory, string sync)
    {
        Template = template;
        Directory = directory;
        Sync = sync;
    }

    public string Template { get; }

    public string Directory { get; }

    public string Sync { get; }

    public string StatePath => Path.Combine(Directory, ".sluice", "state.duckdb");

    public string YamlPath => Path.Combine(Directory, "sluice.yaml");

    public static CaseProject Copy(string template, string sync)
    {
        var directory = Path.Combine(Path.GetTempPath(), "sluice-e2e", "case-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        var project = new CaseProject(template, directory, sync);
        project.CopyFrom(template, directory);
        return project;
    }

    /// <summary>Puts back the template's sluice.yaml, .env and warehouse (not the state).</summary>
    public void RestoreFiles()
    {
        foreach (var name in new[] { "sluice.yaml", ".env", "warehouse.duckdb" })
            File.Copy(Path.Combine(Template, name), Path.Combine(Directory, name), overwrite: true);
    }

    /// <summary>Moves the state aside, as the damaged-state message tells the user to.</summary>
    public void MoveStateAside()
    {
        var folder = Path.Combine(Directory, ".sluice");
        if (File.Exists(folder))
            File.Move(folder, folder + ".old");
        else if (System.IO.Directory.Exists(StatePath))
            System.IO.Directory.Move(StatePath, StatePath + ".old");
        else if (File.Exists(StatePath))
        {
            File.Move(StatePath, StatePath + ".damaged");
            if (File.Exists(StatePath + ".wal"))
                File.Delete(StatePath + ".wal");
        }
    }

    public void Replace(string oldText, string newText)
    {
        var text = File.ReadAllText(YamlPath);
        Assert.Contains(oldText, text);
        File.WriteAllText(YamlPath, text.Replace(oldText, newText, StringComparison.Ordinal));
    }

    public async Task SqlAsync(string sql)
    {
        await using var connection = new DuckDBConnection($"Data Source={Path.Combine(Directory, "warehouse.duckdb")}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Holds DuckDB's lock on the state from this (another) process until the case ends or <see cref="Release"/>.</summary>
    public async Task HoldStateAsync()
    {
        var connection = new DuckDBConnection($"Data Source={StatePath}");
        await connection.OpenAsync();
        _held = connection;
    }

    private DuckDBConnection? _held;

    public async Task ReleaseAsync()
    {
        if (_held is not null)
        {
            await _held.DisposeAsync();
            _held = null;
        }
    }

    /// <summary>Runs mount(8) (root only); skips the case honestly when this machine does not allow it.</summary>
    public void Mount(params string[] args)
    {
        var (code, output) = Exec("mount", args);
        if (code != 0)
            Assert.Skip($"mount {string.Join(' ', args)} is not allowed here ({output.Trim()}); this case needs root.");
    }

    public void Unmount(string path)
    {
        for (var attempt = 0; attempt < 5 && Exec("umount", [path]).Code != 0; attempt++)
            Thread.Sleep(200);
    }

    public void OnCleanup(Func<Task> cleanup) => _cleanups.Add(cleanup);

    /// <summary>Mounts a small tmpfs on the case folder, copies the project into it, and fills the rest with a file.</summary>
    public void FillDisk()
    {
        Mount("-t", "tmpfs", "-o", "size=8m", "tmpfs", Directory);
        OnCleanup(() =>
        {
            Unmount(Directory);
            return Task.CompletedTask;
        });
        CopyFrom(Template, Directory);
        using var filler = new FileStream(Path.Combine(Directory, "filler.bin"), FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
        var block = new byte[64 * 1024];
        try
        {
            while (true)
                filler.Write(block);
        }
        catch (IOException)
        {
            // Full: exactly the state the case wants.
        }
        try
        {
            // Whatever is left in smaller pieces too, so the state cannot grow at all.
            while (true)
                filler.Write(block, 0, 512);
        }
        catch (IOException)
        {
        }
    }

    public void FreeDisk() => File.Delete(Path.Combine(Directory, "filler.bin"));

    /// <summary>Makes .sluice read-only with a read-only bind mount (as root, chmod alone would not stop writes).</summary>
    public void MakeStateReadOnly()
    {
        var folder = Path.Combine(Directory, ".sluice");
        Mount("--bind", folder, folder);
        OnCleanup(() =>
        {
            Unmount(folder);
            return Task.CompletedTask;
        });
        Mount("-o", "remount,ro,bind", folder);
    }

    public void MakeStateWritable() => Unmount(Path.Combine(Directory, ".sluice"));

    public Task<SluiceResult> SluiceAsync(params string[] args) => SluiceCommand.RunAsync(Directory, args);

    private static (int Code, string Output) Exec(string file, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        try
        {
            using var process = Process.Start(info)!;
            var output = process.StandardError.ReadToEnd() + process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }

    private void CopyFrom(string from, string to)
    {
        foreach (var file in System.IO.Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }

    [GeneratedRegex(@"^\s+at |\b\w+Exception\b|please report|unexpected", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    public static partial Regex CrashSigns();

    public async ValueTask DisposeAsync()
    {
        await ReleaseAsync();
        for (var i = _cleanups.Count - 1; i >= 0; i--)
            await _cleanups[i]();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}

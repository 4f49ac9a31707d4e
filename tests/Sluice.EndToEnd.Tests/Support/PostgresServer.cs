using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Sluice.EndToEnd.Tests.Support;

/// <summary>
/// A real PostgreSQL for the tests: <c>initdb</c> in a temporary folder, <c>pg_ctl start</c> on a free port of
/// 127.0.0.1 with password (SCRAM) logins, stopped and removed after. As root (initdb refuses root) the server runs as
/// the <c>postgres</c> user, or a system user created for it. Also linked into Sluice.Sources.Postgres.Tests.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    public const string User = "sluice";

    private readonly string _root = Path.Combine(Path.GetTempPath(), "sluice-pg-" + Guid.NewGuid().ToString("N")[..12]);
    private string _bin = "";
    private string? _runAs;

    /// <summary>The superuser's password (random per server).</summary>
    public string Password { get; } = "pw-" + Guid.NewGuid().ToString("N");

    public int Port { get; private set; }

    public string DataDirectory => Path.Combine(_root, "data");

    /// <summary>A connection string to <paramref name="database"/> as the superuser.</summary>
    public string ConnectionString(string database = "postgres") =>
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = User, Password = Password, Database = database, Pooling = false }
            .ConnectionString;

    /// <summary>The same as a postgres:// URL.</summary>
    public string Url(string database = "postgres") => $"postgres://{User}:{Uri.EscapeDataString(Password)}@127.0.0.1:{Port}/{database}";

    public async ValueTask InitializeAsync()
    {
        _bin = FindBinaries();
        Directory.CreateDirectory(_root);
        _runAs = Environment.UserName == "root" ? await ServerUserAsync() : null;
        var passwordFile = Path.Combine(_root, "password");
        await File.WriteAllTextAsync(passwordFile, Password + "\n");
        if (_runAs is not null)
            await RunAsync("chown", "-R", _runAs, _root);
        await RunServerToolAsync("initdb", "-D", DataDirectory, "-U", User, "--pwfile", passwordFile, "--auth", "scram-sha-256",
            "-E", "UTF8", "--locale", "C", "-N");
        File.Delete(passwordFile);
        Port = FreePort();
        await RunServerToolAsync("pg_ctl", "-D", DataDirectory, "-l", Path.Combine(_root, "server.log"), "-w", "-t", "60",
            "-o", $"-p {Port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off -c max_connections=50", "start");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RunServerToolAsync("pg_ctl", "-D", DataDirectory, "-m", "immediate", "-w", "stop");
        }
        finally
        {
            try
            {
                Directory.Delete(_root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>A new empty database (each test class or test its own, so tests run side by side).</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "t")
    {
        var name = $"{prefix}_{Guid.NewGuid().ToString("N")[..10]}";
        await ExecuteAsync($"CREATE DATABASE {name}");
        return name;
    }

    public async Task ExecuteAsync(string sql, string database = "postgres")
    {
        await using var connection = new NpgsqlConnection(ConnectionString(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string FindBinaries()
    {
        var candidates = new List<string>();
        try
        {
            var info = new ProcessStartInfo("pg_config", "--bindir") { RedirectStandardOutput = true, RedirectStandardError = true };
            using var process = Process.Start(info)!;
            candidates.Add(process.StandardOutput.ReadToEnd().Trim());
            process.WaitForExit();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No pg_config on the PATH: look where Debian and source installs put the binaries.
        }
        if (Directory.Exists("/usr/lib/postgresql"))
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0)
                .Select(d => Path.Combine(d, "bin")));
        candidates.Add("/usr/local/bin");
        candidates.Add("/usr/local/pgsql/bin");
        candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries));
        return candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")))
            ?? throw new InvalidOperationException("PostgreSQL's initdb and pg_ctl were not found: install PostgreSQL (apt-get install postgresql); .ci/run does.");
    }

    /// <summary>The user a root test run starts the server as: postgres, or a system user made for it.</summary>
    private static async Task<string> ServerUserAsync()
    {
        if ((await RunAsync("id", "-u", "postgres")).ExitCode == 0)
            return "postgres";
        const string user = "sluice-pg";
        if ((await RunAsync("id", "-u", user)).ExitCode != 0)
            await RunAsync("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", user);
        return user;
    }

    private async Task RunServerToolAsync(string tool, params string[] args)
    {
        var path = Path.Combine(_bin, tool);
        var result = _runAs is null ? await RunAsync(path, args) : await RunAsync("runuser", ["-u", _runAs, "--", path, .. args]);
        if (result.ExitCode != 0)
        {
            var log = Path.Combine(_root, "server.log");
            var tail = File.Exists(log) ? await File.ReadAllTextAsync(log) : "";
            throw new InvalidOperationException($"{tool} failed (exit {result.ExitCode}): {result.Output}\n{tail}");
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, (await stdout) + (await stderr));
    }
}

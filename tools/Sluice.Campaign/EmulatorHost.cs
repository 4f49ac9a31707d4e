using System.Diagnostics;
using System.Globalization;
using Sluice.Emulators.Actito;
using Sluice.Emulators.Iterable;
using Sluice.Emulators.Salesforce;

namespace Sluice.Campaign;

/// <summary>The credentials every campaign emulator accepts (test values: these emulators only listen on 127.0.0.1).</summary>
internal static class Credentials
{
    public const string IterableKey = "campaign-iterable-key";
    public const string ActitoKey = "campaign-actito-key";
    public const string SalesforceClientId = "campaign-connected-app";
    public const string SalesforceSecret = "campaign-client-secret";
}

/// <summary>What a hosted emulator is started with, beyond what <c>sluice emulate</c> exposes.</summary>
/// <param name="TokenLifetime">Access token / session lifetime (Salesforce and Actito): short in the fault campaign, so tokens expire mid-run.</param>
/// <param name="BulkInProgressPolls">Salesforce: polls a closed Bulk job answers InProgress, so kills land while a job runs.</param>
internal sealed record HostSettings(string Service, TimeSpan? TokenLifetime = null, int BulkInProgressPolls = 2)
{
    public IReadOnlyList<string> Arguments()
    {
        var args = new List<string> { Service, "--parent", Environment.ProcessId.ToString(CultureInfo.InvariantCulture) };
        if (TokenLifetime is { } lifetime)
            args.AddRange(["--token-lifetime-ms", ((long)lifetime.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)]);
        args.AddRange(["--bulk-polls", BulkInProgressPolls.ToString(CultureInfo.InvariantCulture)]);
        return args;
    }
}

/// <summary>
/// <c>Sluice.Campaign host iterable|salesforce|actito</c>: the same emulators as <c>sluice emulate</c>, in a process
/// of their own, with the documented limits on but the budgets that would make a campaign take hours (Actito's
/// 100 calls a minute and 12 imports a day, Salesforce's 15,000 calls a day) raised, and the destination told the
/// same numbers, so that pacing is still exercised and any excess is counted. Exits when its parent is gone.
/// </summary>
internal static class EmulatorHost
{
    /// <summary>The Actito per-minute budget the emulator enforces and the destination is configured with.</summary>
    public const int ActitoCallsPerMinute = 6000;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0)
        {
            await Console.Error.WriteLineAsync("usage: host iterable|salesforce|actito [--parent PID] [--token-lifetime-ms N] [--bulk-polls N]");
            return 2;
        }
        var service = args[0];
        int? parent = null;
        TimeSpan? lifetime = null;
        var bulkPolls = 2;
        for (var i = 1; i + 1 < args.Length; i += 2)
        {
            var value = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--parent": parent = value; break;
                case "--token-lifetime-ms": lifetime = TimeSpan.FromMilliseconds(value); break;
                case "--bulk-polls": bulkPolls = value; break;
                default:
                    await Console.Error.WriteLineAsync($"unknown option {args[i]}");
                    return 2;
            }
        }
        await using IAsyncDisposable emulator = service switch
        {
            "iterable" => await IterableEmulator.StartAsync(new IterableEmulatorOptions { ApiKey = Credentials.IterableKey }),
            "salesforce" => await SalesforceEmulator.StartAsync(new SalesforceEmulatorOptions
            {
                ClientId = Credentials.SalesforceClientId,
                ClientSecret = Credentials.SalesforceSecret,
                DailyApiLimit = 10_000_000,
                BulkInProgressPolls = bulkPolls,
                TokenLifetime = lifetime ?? TimeSpan.FromHours(2),
            }),
            "actito" => await ActitoEmulator.StartAsync(new ActitoEmulatorOptions
            {
                ApiKey = Credentials.ActitoKey,
                CallsPerMinute = ActitoCallsPerMinute,
                MaxImportsPerTablePerDay = 100_000,
                TokenLifetime = lifetime ?? TimeSpan.FromMinutes(15),
            }),
            _ => throw new CampaignException($"unknown service '{service}'"),
        };
        var url = emulator switch
        {
            IterableEmulator e => e.BaseUrl,
            SalesforceEmulator e => e.BaseUrl,
            ActitoEmulator e => e.BaseUrl,
            _ => throw new UnreachableException(),
        };
        Console.Out.WriteLine(url.ToString().TrimEnd('/'));
        await Console.Out.FlushAsync();
        // A campaign killed itself must not leave its emulators behind.
        while (parent is null || IsAlive(parent.Value))
            await Task.Delay(TimeSpan.FromSeconds(1));
        return 0;
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}

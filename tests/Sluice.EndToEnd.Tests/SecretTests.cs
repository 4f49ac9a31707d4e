using System.Text;
using DuckDB.NET.Data;
using Sluice.Emulators.Actito;
using Sluice.Emulators.Iterable;
using Sluice.Emulators.Salesforce;
using Sluice.EndToEnd.Tests.Support;

namespace Sluice.EndToEnd.Tests;

/// <summary>
/// Secrets are never printed nor stored: every command, failing ones included, runs with unusual secret
/// values (YAML-special characters, quotes, non-ASCII where the protocol allows it) for each destination,
/// written in .env and then literally in sluice.yaml, and none of them may appear in stdout, stderr, the
/// state under .sluice (searched as bytes in UTF-8 and UTF-16) or any other file the run leaves.
/// </summary>
public sealed class SecretTests
{
    // HTTP headers carry only ASCII: Iterable's and Actito's keys travel in headers, Salesforce's secret in a form body.
    private const string IterableKey = "s3cr3t-Iterable-7f9e: #{k}[0] 'q' \"dq\" &%";
    private const string ActitoKey = "s3cr3t-Actito-4b1d, {\"k\": 'v'} # not a comment";
    private const string SalesforceSecret = "s3cr3t-Salesforce-Ω-7f9e: \"quoted\" 'single' #&=+%";

    /// <summary>The tell-tale cores: a secret must not appear even cut short or re-escaped.</summary>
    private static readonly string[] Cores = ["s3cr3t-Iterable-7f9e", "s3cr3t-Actito-4b1d", "s3cr3t-Salesforce-Ω-7f9e"];

    private sealed record Destination(string Name, string Sync, string Variable, string Secret, string SecretOption, string ProjectFile, string Env);

    [Fact]
    public async Task No_command_prints_or_stores_a_secret_even_one_written_literally_in_sluice_yaml()
    {
        await using var iterable = await IterableEmulator.StartAsync(new IterableEmulatorOptions { ApiKey = IterableKey });
        await using var actito = await ActitoEmulator.StartAsync(new ActitoEmulatorOptions { ApiKey = ActitoKey, CallsPerMinute = 100_000 });
        await using var salesforce = await SalesforceEmulator.StartAsync(new SalesforceEmulatorOptions
        {
            ClientId = SalesforceProject.ClientId,
            ClientSecret = SalesforceSecret,
            BulkInProgressPolls = 0,
        });
        var destinations = new[]
        {
            new Destination("iterable", "customers-to-iterable", "ITERABLE_API_KEY", IterableKey, "api_key",
                IterableProject.ProjectFile("upsert").Replace("base_url: ${ITERABLE_BASE_URL}", "base_url: ${ITERABLE_BASE_URL}\n    max_retries: 0", StringComparison.Ordinal),
                $"ITERABLE_BASE_URL={Url(iterable.BaseUrl)}\n"),
            new Destination("actito", ActitoProject.Sync, "ACTITO_API_KEY", ActitoKey, "api_key", ActitoProject.ProjectFile("upsert"),
                $"ACTITO_BASE_URL={Url(actito.BaseUrl)}\n"),
            new Destination("salesforce", SalesforceProject.SyncName, "SF_CLIENT_SECRET", SalesforceSecret, "client_secret",
                SalesforceProject.ProjectFile(new SalesforceSync()), $"SF_LOGIN_URL={Url(salesforce.BaseUrl)}\nSF_CLIENT_ID={SalesforceProject.ClientId}\n"),
        };

        var root = Path.Combine(Path.GetTempPath(), "sluice-e2e", "secrets-" + Guid.NewGuid().ToString("N"));
        try
        {
            var results = new List<(string What, SluiceResult Result)>();
            var init = Path.Combine(root, "init");
            results.Add(("init", await SluiceCommand.RunAsync(init, "init")));
            Assert.Equal(0, results[^1].Result.ExitCode);

            foreach (var d in destinations)
            {
                foreach (var literal in new[] { false, true })
                {
                    var dir = Path.Combine(root, $"{d.Name}-{(literal ? "literal" : "env")}");
                    Directory.CreateDirectory(dir);
                    await WriteWarehouseAsync(dir);
                    var reference = $"${{{d.Variable}}}";
                    var yaml = literal ? d.ProjectFile.Replace(reference, Quoted(d.Secret), StringComparison.Ordinal) : d.ProjectFile;
                    var env = Env(d, literal, d.Secret);
                    await File.WriteAllTextAsync(Path.Combine(dir, "sluice.yaml"), yaml);
                    await File.WriteAllTextAsync(Path.Combine(dir, ".env"), env);
                    results.AddRange(await EveryCommandAsync(d, dir, yaml, env, literal));
                    AssertNoSecretInFiles(dir);
                }
            }

            foreach (var (what, result) in results)
            {
                foreach (var secret in destinations.Select(d => d.Secret).Concat(Cores))
                {
                    Assert.False(result.Stdout.Contains(secret, StringComparison.Ordinal) || result.Stderr.Contains(secret, StringComparison.Ordinal),
                        $"{what} printed a secret:\n{result}");
                }
            }
        }
        finally
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task<List<(string, SluiceResult)>> EveryCommandAsync(Destination d, string dir, string yaml, string env, bool literal)
    {
        var results = new List<(string, SluiceResult)>();
        async Task<SluiceResult> Run(string what, int? exit, params string[] args)
        {
            var result = await SluiceCommand.RunAsync(dir, args);
            results.Add(($"{d.Name} ({(literal ? "literal" : ".env")}) {what}", result));
            if (exit is { } expected)
                Assert.True(result.ExitCode == expected, $"{d.Name} {what}: expected exit {expected}\n{result}");
            return result;
        }

        var validate = await Run("validate", 0, "validate");
        if (literal)
            Assert.Contains($"is a secret written literally in sluice.yaml", validate.Stderr, StringComparison.Ordinal);
        else
            Assert.DoesNotContain("warning:", validate.Stderr, StringComparison.Ordinal);
        var plan = await Run("plan", 0, "plan", d.Sync);
        Assert.Equal(literal, plan.Stderr.Contains("written literally", StringComparison.Ordinal));
        await Run("run", 0, "run", d.Sync);
        await Run("run --json", 0, "run", d.Sync, "--json", "--full-resync");
        await Run("history", 0, "history");
        await Run("rejected", 0, "rejected", d.Sync);

        // A config error on the line after the secret: its YAML excerpt shows the secret's line.
        var secretLine = yaml.Split('\n').First(l => l.TrimStart().StartsWith(d.SecretOption + ":", StringComparison.Ordinal));
        await File.WriteAllTextAsync(Path.Combine(dir, "sluice.yaml"), yaml.Replace(secretLine, secretLine + "\n    : broken [", StringComparison.Ordinal));
        var syntax = await Run("validate with a syntax error beside the secret", 2, "validate");
        Assert.Contains("invalid YAML", syntax.Stderr, StringComparison.Ordinal);
        if (literal)
            Assert.Contains($"{d.SecretOption}: ***", syntax.Stderr, StringComparison.Ordinal);
        await File.WriteAllTextAsync(Path.Combine(dir, "sluice.yaml"), yaml.Replace(secretLine, secretLine + "\n    bogus_option: 1", StringComparison.Ordinal));
        await Run("run with an unknown key beside the secret", 2, "run", d.Sync);
        await File.WriteAllTextAsync(Path.Combine(dir, "sluice.yaml"), yaml.Replace(secretLine, secretLine[..(secretLine.IndexOf(':') + 1)] + " [" + secretLine[(secretLine.IndexOf(':') + 1)..], StringComparison.Ordinal));
        await Run("validate with the secret's own line broken", 2, "validate");

        // Wrong credentials: the destination refuses a value that differs from the right one by a suffix.
        var wrong = yaml.Replace(Quoted(d.Secret), Quoted(d.Secret + "-wrong"), StringComparison.Ordinal);
        await File.WriteAllTextAsync(Path.Combine(dir, "sluice.yaml"), wrong);
        await File.WriteAllTextAsync(Path.Combine(dir, ".env"), Env(d, literal, d.Secret + "-wrong"));
        await Run("validate with wrong credentials", 2, "validate");
        await Run("run with wrong credentials", 1, "run", d.Sync);

        // Unreachable destination (Iterable, whose retries can be turned down; the others retry for minutes).
        await File.WriteAllTextAsync(Path.Combine(dir, ".env"), env);
        if (d.Name == "iterable")
        {
            await File.WriteAllTextAsync(Path.Combine(dir, "sluice.yaml"), yaml.Replace("${ITERABLE_BASE_URL}", "http://127.0.0.1:9", StringComparison.Ordinal));
            await Run("run against an unreachable destination", 1, "run", d.Sync);
        }

        await File.WriteAllTextAsync(Path.Combine(dir, "sluice.yaml"), yaml);
        await Run("run after the failures", 0, "run", d.Sync);
        return results;
    }

    /// <summary>Every file of the project but the two the user wrote: the state, its WAL, temp files, anything a run left.</summary>
    private static void AssertNoSecretInFiles(string dir)
    {
        var needles = new[] { IterableKey, ActitoKey, SalesforceSecret }.Concat(Cores)
            .SelectMany(s => new[] { Encoding.UTF8.GetBytes(s), Encoding.Unicode.GetBytes(s), Encoding.BigEndianUnicode.GetBytes(s) })
            .ToList();
        var files = Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) is not ("sluice.yaml" or ".env"))
            .ToList();
        Assert.Contains(files, f => f.EndsWith(Path.Combine(".sluice", "state.duckdb"), StringComparison.Ordinal));
        foreach (var file in files)
        {
            var bytes = File.ReadAllBytes(file);
            foreach (var needle in needles)
                Assert.True(bytes.AsSpan().IndexOf(needle) < 0, $"{file} holds a secret ({Encoding.UTF8.GetString(needle)})");
        }
    }

    /// <summary>The .env of a case: the secret as a double-quoted value, unless sluice.yaml holds it literally.</summary>
    private static string Env(Destination d, bool literal, string secret) => d.Env + (literal ? "" : $"{d.Variable}={Quoted(secret)}\n");

    /// <summary>A double-quoted scalar (YAML and .env read the same escapes).</summary>
    private static string Quoted(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static string Url(Uri url) => url.ToString().TrimEnd('/');

    private static async Task WriteWarehouseAsync(string dir)
    {
        await using var connection = new DuckDBConnection($"Data Source={Path.Combine(dir, "warehouse.duckdb")}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            CREATE TABLE customers AS SELECT i AS customer_id, 'c' || i || '@example.com' AS email, 'First' || i AS first_name,
              'free' AS plan, i AS seats, (i * 1.5)::DECIMAL(10,2) AS ltv, i % 2 = 0 AS active, DATE '2024-01-01' + i::INTEGER AS signup_date, '' AS note
              FROM range(1, 11) t(i);
            CREATE TABLE people AS SELECT i AS person_id, 'p' || i || '@example.com' AS email, 'First' || i AS first_name, 'Last' || i AS last_name,
              NULL::DATE AS birthdate, i AS seats, '' AS note FROM range(1, 11) t(i);
            CREATE TABLE companies (account_id BIGINT, name VARCHAR, employees BIGINT, revenue DOUBLE, website VARCHAR, note VARCHAR);
            """;
        await command.ExecuteNonQueryAsync();
    }
}

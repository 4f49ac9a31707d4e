using System.Net.Http.Json;
using Sluice.EndToEnd.Tests.Support;

namespace Sluice.EndToEnd.Tests;

/// <summary>
/// One project per destination, each run once: every bad-input case works on a copy of one of them, so
/// the emulators are started once for the whole table.
/// </summary>
public sealed class BadInputWorld : IAsyncLifetime
{
    internal IterableProject Iterable { get; private set; } = null!;

    internal ActitoProject Actito { get; private set; } = null!;

    internal SalesforceProject Salesforce { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Iterable = await IterableProject.CreateAsync();
        await Iterable.WriteCustomersAsync(IterableProject.Customers(20));
        Actito = await ActitoProject.CreateAsync("mirror");
        await Actito.WriteCustomersAsync(ActitoProject.Customers(10));
        Salesforce = await SalesforceProject.CreateAsync();
        await Salesforce.WritePeopleAsync(Enumerable.Range(1, 10).Select(i => new Person(i, $"p{i}@example.com", $"First{i}", $"Last{i}", null)));
        foreach (var (run, name) in new[]
                 {
                     (Iterable.SluiceAsync("run", "customers-to-iterable"), "iterable"),
                     (Actito.SluiceAsync("run", ActitoProject.Sync), "actito"),
                     (Salesforce.SluiceAsync("run", SalesforceProject.SyncName), "salesforce"),
                 })
        {
            var result = await run;
            Assert.True(result.ExitCode == 0, $"{name} template run: {result}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Iterable.DisposeAsync();
        await Actito.DisposeAsync();
        await Salesforce.DisposeAsync();
    }
}

/// <summary>
/// The bad-input table: each input is given to the real `sluice` binary; the test checks the exit code,
/// that the message names the place and what to do, that nothing looks like a crash, and that once the
/// input is repaired the next run succeeds. RELIABILITY.md ("Bad input") shows the same table.
/// </summary>
public sealed class BadInputTests(BadInputWorld world) : IClassFixture<BadInputWorld>
{
    private const string It = "customers-to-iterable";

    /// <summary>One bad input: how to make it, the command, what the user must see, and how to repair it.</summary>
    internal sealed record BadInput(string Name, string Destination, string[] Args, int Exit, string[] Shows, Func<CaseProject, Task> Break)
    {
        /// <summary>Undoes the break before the good run; default: the template's files put back.</summary>
        public Func<CaseProject, Task>? Repair { get; init; }

        /// <summary>Runs the bad command against another folder than the case's (a missing project).</summary>
        public string? ProjectSuffix { get; init; }
    }

    private static Func<CaseProject, Task> Yaml(string oldText, string newText) => p =>
    {
        p.Replace(oldText, newText);
        return Task.CompletedTask;
    };

    private static Func<CaseProject, Task> Sql(string sql) => p => p.SqlAsync(sql);

    private static Func<CaseProject, Task> Do(Action<CaseProject> action) => p =>
    {
        action(p);
        return Task.CompletedTask;
    };

    private static Task Nothing(CaseProject p) => Task.CompletedTask;

    private static readonly string[] Run = ["run", It];
    private static readonly string[] Validate = ["validate"];
    private const string IterableSelect = "select customer_id, email, first_name, plan, seats, note from customers";

    internal static readonly BadInput[] Cases =
    [
        // ---- sluice.yaml ----
        new("malformed YAML: unclosed flow sequence", "iterable", Validate, 2, ["sluice.yaml:20:18", "invalid YAML", "> 20 |", "hint: Fix the syntax"],
            Yaml("    mode: upsert", "    mode upsert: [")),
        new("malformed YAML: tab indentation", "iterable", Validate, 2, ["sluice.yaml:", "tab", "hint: Fix the syntax"],
            Yaml("    mode: upsert", "\tmode: upsert")),
        new("malformed YAML: missing space after colon", "iterable", Run, 2, ["sluice.yaml:", "invalid YAML", "hint:"],
            Yaml("    destination: iterable\n", "    destination:iterable\n    - x\n")),
        new("two YAML documents", "iterable", Validate, 2, ["sluice.yaml:", "more than one YAML document", "Remove the '---'"],
            p => File.AppendAllTextAsync(p.YamlPath, "\n---\nother: 1\n")),
        new("unknown top-level key", "iterable", Validate, 2, ["sluice.yaml:", "unknown key 'extras'", "Valid keys here"],
            p => File.AppendAllTextAsync(p.YamlPath, "\nextras: 1\n")),
        new("misspelt sync key", "iterable", Run, 2, ["sluice.yaml:", "unknown key 'mdoe'", "did you mean 'mode'"],
            Yaml("    mode: upsert", "    mdoe: upsert")),
        new("unknown destination option", "iterable", Validate, 2, ["sluice.yaml:", "unknown key 'regoin'", "region"],
            Yaml("    type: iterable\n", "    type: iterable\n    regoin: us\n")),
        new("unknown destination type", "iterable", Validate, 2, ["sluice.yaml:", "unknown destination type 'iterabel'", "did you mean 'iterable'"],
            Yaml("type: iterable", "type: iterabel")),
        new("wrong type: list where a value goes", "iterable", Validate, 2, ["sluice.yaml:", "mode of sync", "must be a single value"],
            Yaml("    mode: upsert", "    mode: [upsert]")),
        new("wrong type: text where a number goes", "iterable", Validate, 2, ["sluice.yaml:", "batch_size", "whole number"],
            Yaml("    type: iterable\n", "    type: iterable\n    batch_size: lots\n")),
        new("wrong type: mappings as a list", "iterable", Validate, 2, ["sluice.yaml:", "mappings", "mapping"],
            Yaml("      first_name: firstName\n      plan: plan\n      seats: seats", "      - first_name\n      - plan")),
        new("missing ${VAR}", "iterable", Run, 2, ["sluice.yaml:", "${ITERABLE_API_KEY}", "is not set", "add a line ITERABLE_API_KEY=..."],
            p => File.WriteAllTextAsync(Path.Combine(p.Directory, ".env"), "")),
        new("malformed ${VAR} reference", "iterable", Validate, 2, ["sluice.yaml:", "not a valid variable reference", "Variable names use"],
            Yaml("${ITERABLE_API_KEY}", "${1KEY}")),
        new("malformed .env line", "iterable", Validate, 2, [".env:3:1", "not a KEY=VALUE assignment", "NAME=value"],
            p => File.AppendAllTextAsync(Path.Combine(p.Directory, ".env"), "this line is wrong\n")),
        new("no sluice.yaml", "iterable", Validate, 2, ["no sluice.yaml in", "sluice init"],
            Do(p => File.Delete(p.YamlPath))),
        new("project folder missing", "iterable", Run, 2, ["the project folder", "does not exist", "--project DIR"], Nothing)
            { ProjectSuffix = "does-not-exist" },
        new("sync uses an unknown model", "iterable", Run, 2, ["sluice.yaml:", "model 'customer'", "did you mean 'customers'"],
            Yaml("    model: customers", "    model: customer")),
        new("required option missing", "iterable", Validate, 2, ["sluice.yaml:", "missing the required option 'api_key'", "Add api_key:"],
            Yaml("    api_key: ${ITERABLE_API_KEY}\n", "")),
        new("URL that is not a URL", "iterable", Validate, 2, ["sluice.yaml:", "base_url", "absolute http(s) URL"],
            Yaml("base_url: ${ITERABLE_BASE_URL}", "base_url: localhost:5081")),

        // ---- the model ----
        new("SQL syntax error", "iterable", Run, 2, ["sluice.yaml:", "Model 'customers'", "syntax error", "Check the model's SQL"],
            Yaml(IterableSelect, "selec customer_id from customers")),
        new("SQL on a missing table", "iterable", Validate, 2, ["sluice.yaml:", "Model 'customers'", "customerz does not exist", "Check the model's SQL"],
            Yaml("from customers", "from customerz")),
        new("primary key column missing", "iterable", Run, 2, ["sluice.yaml:", "primary_key 'id'", "has the columns customer_id"],
            Yaml("primary_key: customer_id", "primary_key: id")),
        new("mapped column missing", "iterable", Run, 2, ["sluice.yaml:", "mapped column 'plann'", "did you mean 'plan'"],
            Yaml("      plan: plan", "      plann: plan")),
        new("column type the field can't take", "iterable", Run, 2, ["sluice.yaml:", "Column 'seats'", "Cast the column"],
            Yaml(IterableSelect, "select customer_id, email, first_name, plan, seats::double + 0.5 as seats, note from customers")),
        new("missing DuckDB file", "iterable", Run, 2, ["sluice.yaml:", "warehouse.duckdb' does not exist", "Check the source's path"],
            Do(p => File.Delete(Path.Combine(p.Directory, "warehouse.duckdb")))),
        new("DuckDB file that is not a database", "iterable", Run, 2, ["sluice.yaml:", "not a valid DuckDB database file", "source's settings"],
            p => File.WriteAllTextAsync(Path.Combine(p.Directory, "warehouse.duckdb"), "id,email\n1,a@example.com\n")),
        new("invalid UTF-8 in a CSV the model reads", "iterable", Run, 2, ["sluice.yaml:", "Model 'customers'", "CSV Error on Line: 2", "Check the model's SQL"],
            async p =>
            {
                var csv = Path.Combine(p.Directory, "bad.csv");
                await File.WriteAllBytesAsync(csv, [.. "customer_id,email,first_name,plan,seats,note\n1,c1@example.com,"u8, 0xFF, 0xFE, .. ",free,1,x\n"u8]);
                p.Replace("from customers", $"from read_csv('{csv}')");
            }),

        // ---- rows (the run succeeds; bad rows are listed by `sluice rejected` and retried) ----
        new("null and duplicate keys", "iterable", Run, 0, ["3 rejected", $"sluice rejected {It}"],
            Sql("insert into customers values (null, 'n@example.com', 'N', 'free', 1, ''), (5, 'dup@example.com', 'D', 'free', 1, '')")),
        new("invalid and empty emails", "iterable", Run, 0, ["3 rejected", $"sluice rejected {It}"],
            Sql("insert into customers values (100, 'not-an-email', 'N', 'free', 1, ''), (101, '', 'E', 'free', 1, ''), (102, null, 'E', 'free', 1, '')")),
        new("NaN and infinities", "iterable", Run, 0, ["2 rejected", $"sluice rejected {It}"],
            async p =>
            {
                await p.SqlAsync("alter table customers add column score double; update customers set score = case customer_id when 1 then 'nan'::double when 2 then 'inf'::double else 1.5 end");
                p.Replace(IterableSelect, "select customer_id, email, first_name, plan, seats, score from customers");
                p.Replace("      seats: seats", "      seats: seats\n      score: score");
            }),
        new("emoji, CJK and control characters", "iterable", Run, 0, ["succeeded", "3 changed"],
            Sql("update customers set first_name = 'Zoë 🚀 名前 ' || chr(1) || chr(0) || '‮' where customer_id < 4")),
        new("huge row (20 MB value)", "iterable", Run, 0, ["1 rejected", $"sluice rejected {It}"],
            Sql("insert into customers values (100, 'huge@example.com', repeat('x', 20000000), 'free', 1, '')")),
        new("every DuckDB column type", "iterable", Run, 0, ["succeeded", "20 changed"],
            p =>
            {
                p.Replace("sql: " + IterableSelect, "sql: >-\n      select customer_id, email, first_name, plan, seats, [1, 2] as l, {'a': 1} as st, map {'k': 1} as m, " +
                    "1.5::decimal(10,2) as dec, 12345678901234567890123::hugeint as h, 255::utinyint as u8, 3.5::float as f, true as b, " +
                    "'00000000-0000-0000-0000-000000000001'::uuid as id, interval 3 day as iv, time '12:34:56' as t, date '2024-02-29' as d, " +
                    "timestamp '2024-02-29 12:00:00' as ts, timestamptz '2024-02-29 12:00:00+02' as tz, '\\xFF\\x00'::blob as bl, " +
                    "'a'::enum_kind as e, '101'::bit as bits from customers");
                p.Replace("      seats: seats", "      seats: seats\n" + string.Join("\n",
                    new[] { "l", "st", "m", "dec", "h", "u8", "f", "b", "id", "iv", "t", "d", "ts", "tz", "bl", "e", "bits" }.Select(c => $"      {c}: t_{c}")));
                return p.SqlAsync("create type enum_kind as enum ('a', 'b')");
            }),
        new("values too long for the field", "salesforce", ["run", SalesforceProject.SyncName], 0, ["rejected", $"sluice rejected {SalesforceProject.SyncName}"],
            Sql($"update people set first_name = repeat('x', 300) where person_id < 3")),
        new("empty model in mirror mode", "actito", ["run", ActitoProject.Sync], 0, ["10 removed", "deleted 0", $"warnings for {ActitoProject.Sync}: empty-model"],
            Sql("delete from customers")),

        // ---- the state in .sluice ----
        new("corrupt state: random bytes", "iterable", Run, 1, [".sluice/state.duckdb", "is damaged", "move it aside"],
            p => File.WriteAllBytesAsync(p.StatePath, [.. Enumerable.Range(0, 300_000).Select(i => (byte)(i * 7919 % 251))]))
            { Repair = p => { p.MoveStateAside(); return Task.CompletedTask; } },
        new("corrupt state: damaged block (checksum)", "iterable", Run, 1, [".sluice/state.duckdb", "is damaged", "Corrupt database file", "move it aside"],
            async p =>
            {
                await using var file = new FileStream(p.StatePath, FileMode.Open, FileAccess.Write);
                file.Seek(8192, SeekOrigin.Begin);
                await file.WriteAsync(Enumerable.Repeat((byte)0xA5, 4096).ToArray());
            })
            { Repair = p => { p.MoveStateAside(); return Task.CompletedTask; } },
        new("truncated state", "iterable", Run, 1, [".sluice/state.duckdb", "is damaged", "move it aside"],
            Do(p => { using var f = new FileStream(p.StatePath, FileMode.Open); f.SetLength(5000); }))
            { Repair = p => { p.MoveStateAside(); return Task.CompletedTask; } },
        new("state that is a folder", "iterable", Run, 1, [".sluice/state.duckdb is a folder", "Move it aside"],
            Do(p => { File.Delete(p.StatePath); Directory.CreateDirectory(p.StatePath); }))
            { Repair = p => { p.MoveStateAside(); return Task.CompletedTask; } },
        new(".sluice that is a file", "iterable", Run, 1, [".sluice is a file", "Move or delete that file"],
            Do(p => { Directory.Delete(Path.Combine(p.Directory, ".sluice"), true); File.WriteAllText(Path.Combine(p.Directory, ".sluice"), "x"); }))
            { Repair = p => { p.MoveStateAside(); return Task.CompletedTask; } },
        new("state locked by another process", "iterable", Run, 1, [".sluice/state.duckdb", "in use by another sluice process", "PID", "Wait for it to finish"],
            p => p.HoldStateAsync())
            { Repair = p => p.ReleaseAsync() },
        new("read-only state", "iterable", Run, 1, [".sluice/state.duckdb", "Read-only file system", "writable"],
            Do(p => p.MakeStateReadOnly()))
            { Repair = p => { p.MakeStateWritable(); return Task.CompletedTask; } },
        new("full disk", "iterable", ["run", It, "--full-resync"], 1, [".sluice", "No space left on device", "Free some space"],
            Do(p => p.FillDisk()))
            { Repair = p => { p.FreeDisk(); return Task.CompletedTask; } },

        // ---- the destination ----
        new("wrong credentials", "iterable", Run, 1, ["bad credentials", "Iterable refused the API key of destination 'iterable'", "Check api_key"],
            p => File.WriteAllTextAsync(Path.Combine(p.Directory, ".env"),
                File.ReadAllText(Path.Combine(p.Template, ".env")).Replace(IterableProject.ApiKey, "wrong-key", StringComparison.Ordinal))),
        new("wrong credentials (validate)", "salesforce", Validate, 2, ["sluice.yaml:", "bad credentials", "Check client_id and client_secret"],
            p => File.WriteAllTextAsync(Path.Combine(p.Directory, ".env"),
                File.ReadAllText(Path.Combine(p.Template, ".env")).Replace(SalesforceProject.ClientSecret, "wrong-secret", StringComparison.Ordinal))),
        new("unreachable destination", "iterable", Run, 1, ["connection", "Could not reach Iterable at http://127.0.0.1:9", "Check the network"],
            Yaml("base_url: ${ITERABLE_BASE_URL}", "base_url: http://127.0.0.1:9\n    max_retries: 1")),
        new("always-failing destination", "iterable", Run, 1, ["Iterable kept failing", "HTTP 500", "run again later"],
            async p =>
            {
                p.Replace("base_url: ${ITERABLE_BASE_URL}", "base_url: ${ITERABLE_BASE_URL}\n    max_retries: 1");
                await SetIterableErrorRateAsync(p, 1.0);
            })
            { Repair = async p => { await SetIterableErrorRateAsync(p, 0); p.RestoreFiles(); } },

        // ---- the command line ----
        new("unknown command", "iterable", ["frobnicate"], 2, ["Unrecognized command or argument 'frobnicate'", "sluice --help"], Nothing),
        new("unknown flag", "iterable", ["run", It, "--fast"], 2, ["Unrecognized command or argument '--fast'", "sluice --help"], Nothing),
        new("flag value of the wrong type", "iterable", ["history", "--limit", "many"], 2, ["'many'", "--limit", "whole number"], Nothing),
        new("run without a sync", "iterable", ["run"], 2, ["name one sync", "--all"], Nothing),
        new("unknown sync", "iterable", ["run", "customers-to-iterabel"], 2, ["no sync named 'customers-to-iterabel'", $"Syncs in this project: {It}"], Nothing),
    ];

    public static TheoryData<string> Names() => new(Cases.Select(c => c.Name));

    private static async Task SetIterableErrorRateAsync(CaseProject p, double rate)
    {
        var url = File.ReadAllLines(Path.Combine(p.Template, ".env")).Single(l => l.StartsWith("ITERABLE_BASE_URL=", StringComparison.Ordinal))[18..];
        using var http = new HttpClient();
        using var response = await http.PostAsJsonAsync($"{url}/_emulator/faults", new { errorRate = rate });
        response.EnsureSuccessStatusCode();
    }

    /// <summary>The output with every run of whitespace as one space: tables and summaries wrap at the terminal's width.</summary>
    private static string Flat(string text) => System.Text.RegularExpressions.Regex.Replace(text, @"\s+", " ");

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Bad_input_gets_a_clear_message_and_the_next_good_run_works(string name)
    {
        var input = Cases.Single(c => c.Name == name);
        var (template, sync) = input.Destination switch
        {
            "actito" => (world.Actito.Directory, ActitoProject.Sync),
            "salesforce" => (world.Salesforce.Directory, SalesforceProject.SyncName),
            _ => (world.Iterable.Directory, It),
        };
        await using var project = CaseProject.Copy(template, sync);
        await input.Break(project);

        var bad = input.ProjectSuffix is { } suffix
            ? await SluiceCommand.RunAsync(Path.Combine(project.Directory, suffix), input.Args)
            : await project.SluiceAsync(input.Args);
        var seen = Flat(bad.Stdout + bad.Stderr);

        Assert.True(bad.ExitCode == input.Exit, $"exit {bad.ExitCode}, expected {input.Exit}\n{bad}");
        foreach (var text in input.Shows)
            Assert.True(seen.Contains(Flat(text), StringComparison.OrdinalIgnoreCase), $"missing '{text}' in\n{bad}");
        Assert.False(CaseProject.CrashSigns().IsMatch(bad.Stdout + bad.Stderr), $"looks like a crash:\n{bad}");

        await (input.Repair ?? (p => { p.RestoreFiles(); return Task.CompletedTask; }))(project);
        var good = await project.SluiceAsync("run", sync);
        Assert.True(good.ExitCode == 0, $"the next good run failed:\n{good}");
        Assert.False(CaseProject.CrashSigns().IsMatch(good.Stdout + good.Stderr), good.ToString());
    }
}

using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Sluice.Campaign;

internal enum CampaignKind
{
    Crash,
    Fault,
}

/// <summary>What to run: which cases, how many kills, how big a model, where to keep the projects.</summary>
internal sealed record CampaignOptions
{
    public CampaignKind Kind { get; init; }
    public int Seed { get; init; }

    /// <summary>Kills in total, spread over the cases (or per case with <see cref="KillsPerCase"/>).</summary>
    public int Kills { get; init; } = 100;

    public bool KillsPerCase { get; init; }

    /// <summary>Model rows; null takes each destination's default.</summary>
    public int? Rows { get; init; }

    public string? Destination { get; init; }
    public string? Mode { get; init; }

    /// <summary>Folder for the case projects and report.txt; null uses a temporary folder, removed for clean cases.</summary>
    public string? Out { get; init; }

    public string? Cli { get; init; }

    /// <summary>
    /// The PostgreSQL database the cases keep their state in (each case a schema of its own: <c>state:</c> in its
    /// sluice.yaml); null: the embedded <c>.sluice/</c> state.
    /// </summary>
    public string? StateUrl { get; init; }

    /// <summary>
    /// The PostgreSQL database the cases' models live in, planned by the warehouse planner (each case a schema of its
    /// own, holding its table and its sync's ledger); null: a DuckDB file planned by the embedded planner.
    /// </summary>
    public string? SourceUrl { get; init; }

    /// <summary>Fault campaign: rounds of model changes, each run until converged.</summary>
    public int Rounds { get; init; } = 3;

    /// <summary>Fault campaign: the share of rows with values the destination refuses (at most 0.2).</summary>
    public double RejectShare { get; init; } = 0.1;

    public IReadOnlyList<Target> Cases()
    {
        var cases = Target.All().Where(t => (Destination is null || t.Destination == Destination)
            && (Mode is null || t.Variant == Mode || t.Mode == Mode)).ToList();
        return cases.Count > 0 ? cases : throw new CampaignException($"No case matches --dest {Destination ?? "*"} --mode {Mode ?? "*"}. " +
            "Cases: " + string.Join(", ", Target.All().Select(t => t.Name)));
    }
}

/// <summary>The figures of one case (a destination and mode).</summary>
internal sealed record CaseResult(string Name, int Rows, int Runs, int Kills, int CleanRuns, bool Converged, Verdict Verdict)
{
    /// <summary>Fault campaign: rows the destination must refuse, and how many `sluice rejected` lists with a reason.</summary>
    public int RejectsExpected { get; init; }
    public int RejectsListed { get; init; }

    /// <summary>Fault campaign: the most runs a round took to deliver every good row.</summary>
    public int RunsToConverge { get; init; }

    /// <summary>Faults the emulator injected (every kind of its <c>faultsInjected</c> counter).</summary>
    public long FaultsInjected { get; init; }

    /// <summary>Requests that broke the destination's documented limits, by the emulator's count.</summary>
    public long Violations { get; init; }

    public string? Directory { get; init; }

    /// <summary>Why the case could not finish (a child that failed unexpectedly, an unreadable destination).</summary>
    public string? Error { get; init; }

    public bool Passed => Error is null && Verdict.Clean && Converged && RejectsListed == RejectsExpected && Violations == 0;
}

/// <summary>
/// The crash and fault campaigns. Each case gets a project folder, a DuckDB model and an emulator in its own
/// process; <c>sluice run</c> runs as a real process (killed at random moments in the crash campaign), and the
/// destination is read back through its own API at the end.
/// </summary>
internal sealed class Campaign(CampaignOptions options, TextWriter log)
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(5);

    public async Task<IReadOnlyList<CaseResult>> RunAsync(CancellationToken ct)
    {
        var cli = Children.FindCli(options.Cli);
        var cases = options.Cases();
        var root = options.Out is { } o ? Path.GetFullPath(o) : Path.Combine(Path.GetTempPath(), "sluice-campaign", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        log.WriteLine($"{options.Kind.ToString().ToLowerInvariant()} campaign, seed {options.Seed}, {cases.Count} case(s), projects under {root}");
        var results = new List<CaseResult>();
        for (var i = 0; i < cases.Count; i++)
        {
            var kills = options.KillsPerCase ? options.Kills : options.Kills / cases.Count + (i < options.Kills % cases.Count ? 1 : 0);
            // Derived from the case's name, not its position, so that --dest/--mode replay a case of a full campaign.
            var seed = unchecked(options.Seed * 31 + cases[i].Name.Aggregate(17, (h, c) => h * 31 + c));
            var dir = Path.Combine(root, $"{cases[i].Destination}-{cases[i].Variant}");
            if (Directory.Exists(dir))
                Directory.Delete(dir, recursive: true);
            Directory.CreateDirectory(dir);
            CaseResult result;
            try
            {
                result = await RunCaseAsync(cases[i], cli, dir, seed, kills, ct);
            }
            catch (Exception e) when (e is CampaignException or HttpRequestException or System.Text.Json.JsonException)
            {
                // One case that cannot finish does not stop the others; it fails.
                result = new CaseResult(cases[i].Name, options.Rows ?? cases[i].DefaultRows, 0, 0, 0, false, new Verdict()) { Error = e.Message };
                log.WriteLine($"{cases[i].Name} could not finish: {e.Message}");
            }
            log.WriteLine(Report.Line(result, options.Kind));
            foreach (var example in result.Verdict.Examples)
                log.WriteLine($"    {example}");
            if (result.Passed && options.Out is null)
                Directory.Delete(dir, recursive: true);
            results.Add(result with { Directory = result.Passed && options.Out is null ? null : dir });
        }
        if (options.Out is null && !Directory.EnumerateFileSystemEntries(root).Any())
            Directory.Delete(root);
        return results;
    }

    private async Task<CaseResult> RunCaseAsync(Target target, string cli, string dir, int seed, int kills, CancellationToken ct)
    {
        var random = new Random(seed);
        var faults = options.Kind == CampaignKind.Fault;
        await using var emulator = await EmulatorProcess.StartAsync(target.Host(faults).Arguments(), ct);
        using var http = new HttpClient { BaseAddress = emulator.BaseUrl, Timeout = TimeSpan.FromSeconds(60) };
        // Each case's schemas are its own, so that cases of one database never meet.
        var schema = $"campaign_{Guid.NewGuid().ToString("N")[..12]}";
        ModelTable table = options.SourceUrl is { } sourceUrl
            ? new PostgresModelTable(sourceUrl, $"{schema}_model")
            : new DuckDbModelTable(Path.Combine(dir, "warehouse.duckdb"));
        var env = target.EnvFile(emulator.BaseUrl) + "\n" + table.EnvLines;
        var yaml = target.ProjectYaml(table);
        if (options.StateUrl is { } stateUrl)
        {
            // The same guarantees on the shared store: the case's state in a schema of its own, the URL a variable.
            env += $"SLUICE_STATE_URL={stateUrl}\n";
            yaml = $"state:\n  connection: ${{SLUICE_STATE_URL}}\n  schema: {schema}\n" + yaml;
        }
        await File.WriteAllTextAsync(Path.Combine(dir, ".env"), env, ct);
        await File.WriteAllTextAsync(Path.Combine(dir, "sluice.yaml"), yaml, ct);

        var rows = options.Rows ?? target.DefaultRows;
        var model = new ModelState(random, rows) { FreshOnReturn = target.Mode == "insert" && target.InsertCreatesChangedRows };
        if (faults)
            model.MakeBad(Math.Min(0.2, options.RejectShare), tooLongNames: target is SalesforceTarget);

        // Records someone else created: for keys the model never has (no sync may touch them) and, for update mode,
        // every other model row (the only ones update mode may change).
        var foreign = Enumerable.Range(1, 3).ToDictionary(n => target.MatchOf(900_000 + n),
            n => target.SeedFields(new RowValues(ModelState.EmailOf(900_000 + n), $"Foreign{n}", "Someone", "free", n)), StringComparer.Ordinal);
        var preExisting = new HashSet<long>();
        var seeds = new Dictionary<string, Dictionary<string, string?>>(foreign, StringComparer.Ordinal);
        if (target.Mode == "update")
        {
            foreach (var (id, row) in model.Current.Where(p => p.Key % 2 == 0 && !model.Bad.Contains(p.Key)))
            {
                preExisting.Add(id);
                seeds[target.MatchOf(id)] = target.SeedFields(row with { FirstName = $"Old{id}", LastName = "Old" });
            }
        }
        await target.SeedAsync(http, seeds, ct);
        await table.WriteAsync(model, ct);

        var faultBody = faults
            ? new JsonObject
            {
                ["errorRate"] = 0.12,
                ["throttleBurstEvery"] = 15,
                ["throttleBurstLength"] = 3,
                ["throttleRetryAfterSeconds"] = 1,
                ["dropConnectionRate"] = 0.05,
                ["latencyMs"] = 20,
                ["seed"] = seed,
                // Applied, then the answer lost or late: the case that only a kill reached before.
                ["applyThenDropRate"] = 0.05,
                ["applyThenDelayRate"] = 0.03,
                ["applyThenDelayMs"] = 2000,
            }
            : new JsonObject { ["latencyMs"] = target.CrashLatencyMs, ["applyThenDropRate"] = 0.01, ["seed"] = seed };
        target.AddFaults(faultBody, crash: !faults);
        await PostAsync(http, "_emulator/faults", faultBody, ct);

        int runs = 0, killed = 0, cleanRuns = 0, runsToConverge = 0;
        var converged = false;
        if (!faults)
        {
            var expected = TimeSpan.FromSeconds(3);
            for (var attempt = 0; killed < kills && attempt < kills * 3; attempt++)
            {
                if (attempt > 0 && random.NextDouble() < 0.75)
                {
                    model.Mutate();
                    await table.WriteAsync(model, ct);
                }
                // Uniform over the run's expected length (and a little past it), so kills land before, during and
                // after batches and commits.
                var delay = TimeSpan.FromMilliseconds(random.NextDouble() * expected.TotalMilliseconds * 1.15);
                var run = await Children.RunAsync(Children.Dotnet(cli, ["run", Target.Sync, "--json", "--project", dir]), delay, RunTimeout, ct);
                runs++;
                if (run.Killed)
                {
                    killed++;
                }
                else
                {
                    if (run.ExitCode is not (0 or 1))
                        throw new CampaignException($"{target.Name}: `sluice run` failed unexpectedly.\n{run.Describe()}");
                    // A completed run tells how long runs take: the next kills are drawn over that length.
                    expected = TimeSpan.FromMilliseconds(Math.Max(expected.TotalMilliseconds * 0.7, run.Elapsed.TotalMilliseconds));
                }
            }
            (converged, cleanRuns) = await RunToEndAsync(target, cli, dir, maxRuns: 3, ct);
            runs += cleanRuns;
        }
        else
        {
            using var expiry = new CancellationTokenSource();
            var expirer = target is IterableTarget ? Task.CompletedTask : ExpireTokensAsync(http, target.ExpireEvery, expiry.Token);
            converged = true;
            for (var round = 0; round < options.Rounds; round++)
            {
                if (round > 0)
                {
                    model.Mutate();
                    await table.WriteAsync(model, ct);
                }
                var (done, used) = await RunToEndAsync(target, cli, dir, maxRuns: 6, ct);
                runs += used;
                runsToConverge = Math.Max(runsToConverge, used);
                converged &= done;
            }
            await expiry.CancelAsync();
            await expirer;
        }

        // The faults go off before reading back: the read is the referee, not a subject.
        var off = new JsonObject
        {
            ["errorRate"] = 0,
            ["throttleBurstEvery"] = 0,
            ["dropConnectionRate"] = 0,
            ["latencyMs"] = 0,
            ["applyThenDropRate"] = 0,
            ["applyThenDelayRate"] = 0,
        };
        if (target is SalesforceTarget)
            off["bulkJobDelayMs"] = 0;
        await PostAsync(http, "_emulator/faults", off, ct);
        var stats = (await http.GetFromJsonAsync<JsonObject>("_emulator/stats", ct))!;
        var violations = target.Violations(stats);
        var injected = stats["faultsInjected"] is JsonObject counts ? counts.Sum(c => c.Value?.GetValue<long>() ?? 0) : 0;
        var matches = model.History.Keys.Select(target.MatchOf).Concat(foreign.Keys).ToList();
        var records = await target.ReadAsync(http, matches, ct);
        var verdict = Verdict.Judge(target, model, preExisting, foreign, records);

        var result = new CaseResult(target.Name, rows, runs, killed, cleanRuns, converged, verdict) { Violations = violations, RunsToConverge = runsToConverge, FaultsInjected = injected };
        if (faults)
        {
            var (expectedRejects, listed) = await RejectsAsync(target, cli, dir, model, ct);
            result = result with { RejectsExpected = expectedRejects, RejectsListed = listed };
        }
        return result;
    }

    /// <summary>
    /// Runs without kills until a run plans nothing but the rows that are refused or not found every time (update
    /// mode's missing records, the fault campaign's bad rows); false when <paramref name="maxRuns"/> are not enough.
    /// </summary>
    private async Task<(bool Done, int Runs)> RunToEndAsync(Target target, string cli, string dir, int maxRuns, CancellationToken ct)
    {
        for (var i = 1; i <= maxRuns; i++)
        {
            var run = await Children.RunAsync(Children.Dotnet(cli, ["run", Target.Sync, "--json", "--project", dir]), null, RunTimeout, ct);
            var counts = run.Json?["runs"]?[0]?["counts"];
            if (counts is null)
            {
                if (run.ExitCode is not 1)
                    throw new CampaignException($"{target.Name}: `sluice run` printed no run.\n{run.Describe()}");
                continue;
            }
            long Count(string name) => counts[name]?.GetValue<long>() ?? 0;
            if (run.ExitCode == 0 && Count("planned") == Count("rejected") + Count("notFound"))
                return (true, i);
        }
        return (false, maxRuns);
    }

    /// <summary>Rows the model holds with refused values, and how many of them `sluice rejected --json` lists with a reason.</summary>
    private static async Task<(int Expected, int Listed)> RejectsAsync(Target target, string cli, string dir, ModelState model, CancellationToken ct)
    {
        var run = await Children.RunAsync(Children.Dotnet(cli, ["rejected", Target.Sync, "--json", "--limit", "100000", "--project", dir]), null, RunTimeout, ct);
        var rows = run.Json?["rows"]?.AsArray() ?? throw new CampaignException($"{target.Name}: `sluice rejected --json` printed no rows.\n{run.Describe()}");
        // Update mode looks a refused match value up rather than writing it, so such a row is listed as not found.
        var outcomes = target.Mode == "update" ? new[] { "rejected", "not_found", "invalid" } : ["rejected", "invalid"];
        var listed = rows.Where(r => outcomes.Contains(r?["outcome"]?.GetValue<string>()) && !string.IsNullOrWhiteSpace(r!["reason"]?.GetValue<string>()))
            .Select(r => r!["key"]!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
        var bad = model.Bad.Where(model.Current.ContainsKey).ToList();
        return (bad.Count, bad.Count(id => listed.Contains(id.ToString(CultureInfo.InvariantCulture))));
    }

    /// <summary>Fault campaign: every access token is expired now and then, on top of their short lifetime.</summary>
    private static async Task ExpireTokensAsync(HttpClient http, TimeSpan every, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                await Task.Delay(every, ct);
                using var response = await http.PostAsync("_emulator/expire-tokens", null, ct);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task PostAsync(HttpClient http, string path, JsonObject body, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync(path, body, ct);
        if (!response.IsSuccessStatusCode)
            throw new CampaignException($"POST {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
    }
}

/// <summary>The printed figures.</summary>
internal static class Report
{
    public const string Header =
        "case                  rows  runs kills expected  found missing duplicated stale extra wrongly-deleted";

    public static string Line(CaseResult r, CampaignKind kind)
    {
        var v = r.Verdict;
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{r.Name,-20} {r.Rows,5} {r.Runs,5} {r.Kills,5} {v.Expected,8} {v.Found,6} {v.Missing,7} {v.Duplicated,10} {v.Stale,5} {v.Extra,5} {v.WronglyDeleted,15}");
        if (kind == CampaignKind.Fault)
            line += string.Create(CultureInfo.InvariantCulture, $"  faults {r.FaultsInjected}, rejects listed {r.RejectsListed}/{r.RejectsExpected}, most runs to converge {r.RunsToConverge}, limit violations {r.Violations}");
        else if (r.Violations > 0)
            line += string.Create(CultureInfo.InvariantCulture, $"  limit violations {r.Violations}");
        if (r.Error is not null)
            line += $"  ERROR: {r.Error.Split('\n')[0]}";
        else if (!r.Converged)
            line += "  NOT CONVERGED";
        return line + (r.Passed ? "" : "  FAIL" + (r.Directory is null ? "" : $" (project kept in {r.Directory})"));
    }

    public static string Total(IReadOnlyList<CaseResult> results)
    {
        var s = (Func<Func<Verdict, long>, long>)(f => results.Sum(r => f(r.Verdict)));
        return string.Create(CultureInfo.InvariantCulture,
            $"{"total",-20} {"",5} {results.Sum(r => r.Runs),5} {results.Sum(r => r.Kills),5} {s(v => v.Expected),8} {s(v => v.Found),6} {s(v => v.Missing),7} " +
            $"{s(v => v.Duplicated),10} {s(v => v.Stale),5} {s(v => v.Extra),5} {s(v => v.WronglyDeleted),15}");
    }

    public static void Print(TextWriter log, IReadOnlyList<CaseResult> results, CampaignOptions options, TimeSpan elapsed)
    {
        log.WriteLine();
        log.WriteLine($"{options.Kind.ToString().ToLowerInvariant()} campaign, seed {options.Seed}, {elapsed.TotalMinutes:0.0} min");
        log.WriteLine(Header);
        foreach (var r in results)
            log.WriteLine(Line(r, options.Kind));
        log.WriteLine(Total(results));
        var failed = results.Count(r => !r.Passed);
        log.WriteLine(failed == 0 ? "every case clean" : $"{failed} case(s) FAILED");
    }
}

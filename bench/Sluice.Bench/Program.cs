using Sluice.Bench;

const string Usage = """
    Sluice benchmarks (build with -c Release). Each prints plain `name: value` lines, then one JSON line.

      plan [--rows 10000000] [--change-percent 1] [--repeat 3] [--work DIR] [--regenerate] [--no-stream] [--cli sluice.dll]
          Planner.PlanAsync against DuckDB alone computing the same diff, and the `sluice plan` process, on the same
          file: a first plan (empty ledger) and one whose ledger holds every row after 1% changed and a few were added
          and removed; each in a fresh process (time and peak RSS). The warehouse and ledger are built once and cached
          under --work (default /tmp/sluice-bench).
      iterable-throughput [--users 100000] [--rate-limits on|off] [--emulator in-process|process|both] [--cli sluice.dll]
          [--repeat 1] [--emulator-url URL]
          A first run (every user new) of an upsert sync to the Iterable emulator; users/s, requests, 429s. --repeat
          runs it again from scratch and reports the median run. --emulator-url uses an emulator started by hand
          (e.g. under dotnet-trace; API key bench-iterable-key).
      salesforce-throughput [--contacts 100000] [--transport collections|bulk|both] [--mode upsert|insert|both]
          [--emulator in-process|process|both] [--repeat 1] [--cli sluice.dll]
          A first run (every contact new) of a sync of Contacts by External_Id__c to the Salesforce emulator, through
          sObject Collections (bulk_threshold above N) and Bulk API 2.0 (bulk_threshold below N); rows/s, API calls, and
          the records read back from the emulator.
      engine-overhead [--rows 100000] [--batch-size 1000] [--concurrency 4] [--repeat 3]
          The engine's own cost per row: a first run of an upsert sync to a destination that only acknowledges
          (plan, stream, batch, commit, compact, record); µs per row and rows/s.
      actito-throughput [--profiles 100000] [--emulator in-process|process] [--cli sluice.dll]
          The Actito emulator with its real limits on: an upsert of N new profiles, an upsert of the N all changed, and a
          mirror run deleting 1%; wall time, calls, imports, 429s and throttled calls against the limit-bound minimum.
      cli-10k [--rows 10000] [--change-percent 1] [--repeat 5] [--rate-limits on|off] [--diagnose] [--diagnose-repeat 5]
          [--cli sluice.dll]
          The `sluice run <sync>` process from start to exit, 1% changed since a first full run; --diagnose shows
          where the time goes.
      run-memory [--rows 100000,1000000] [--repeat 1] [--cli sluice.dll]
          Peak RSS of the `sluice run` process (GNU time) on a first upsert run to the Iterable emulator in its own
          process, rate limits off, for each model size: memory must not grow with the model.
      warehouse --pg-url postgres://user:password@host:port/db [--rows 1000000,10000000] [--change-percent 1] [--work DIR]
          A PostgreSQL model planned in the warehouse (planner: warehouse) and locally (rows streamed into DuckDB): a
          first plan committed as delivered, then 1% changed; plan time, rows and bytes moved out of PostgreSQL (through
          a counting proxy) and peak RSS, each in a fresh process; against PostgreSQL alone running the same diff.
      ledger-commit [--batches 100] [--batch-size 1000]
          ISyncLedger.CommitAsync per acknowledged batch and the end-of-run compaction (a ceiling on throughput,
          since commits are serialised).
    """;

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    Console.Out.WriteLine(Usage);
    return args.Length == 0 ? 2 : 0;
}

try
{
    var options = new BenchArgs(args.Skip(1));
    return args[0] switch
    {
        "plan" => await PlanBench.RunAsync(options, cancel.Token),
        "plan-child" => await PlanBench.ChildAsync(options, cancel.Token), // hidden: one measured plan in a fresh process
        "plan-duckdb" => await PlanBench.DuckDbAloneAsync(options, cancel.Token), // hidden: DuckDB alone, the same diff
        "iterable-throughput" => await ThroughputBench.RunAsync(options, cancel.Token),
        "salesforce-throughput" => await SalesforceBench.RunAsync(options, cancel.Token),
        "engine-overhead" => await EngineOverheadBench.RunAsync(options, cancel.Token),
        "actito-throughput" => await ActitoBench.RunAsync(options, cancel.Token),
        "cli-10k" => await CliBench.RunAsync(options, cancel.Token),
        "ledger-commit" => await CommitBench.RunAsync(options, cancel.Token),
        "run-memory" => await RunMemoryBench.RunAsync(options, cancel.Token),
        "warehouse" => await WarehouseBench.RunAsync(options, cancel.Token),
        "warehouse-child" => await WarehouseBench.ChildAsync(options, cancel.Token), // hidden: one plan in a fresh process
        _ => throw new UsageException($"Unknown benchmark '{args[0]}'."),
    };
}
catch (UsageException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    Console.Error.WriteLine(Usage);
    return 2;
}
catch (BenchException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
catch (OperationCanceledException) when (cancel.IsCancellationRequested)
{
    Console.Error.WriteLine("Cancelled.");
    return 1;
}

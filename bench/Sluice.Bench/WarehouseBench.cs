using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Npgsql;
using Sluice.Core.Destinations;
using Sluice.Core.Planning;
using Sluice.Core.State;
using Sluice.Sources.Postgres;
using Sluice.State;
using Sluice.State.Postgres.Warehouse;

namespace Sluice.Bench;

/// <summary>
/// <c>warehouse</c>: a PostgreSQL model planned by the warehouse planner (diff inside PostgreSQL) and by the local one
/// (rows streamed into DuckDB), for each model size: a first plan whose rows are all committed as delivered, then 1% of
/// the rows changed and planned again. Each plan runs in a fresh process (<c>warehouse-child</c>) whose connection goes
/// through a proxy counting the bytes PostgreSQL sends; against PostgreSQL alone running the same diff (group on the
/// key with the hash, full join with the ledger) in the same run.
/// </summary>
internal static class WarehouseBench
{
    private const string Sync = "bench";

    public static async Task<int> RunAsync(BenchArgs args, CancellationToken ct)
    {
        var url = args.String("pg-url") ?? throw new UsageException("warehouse needs --pg-url postgres://user:password@host:port/db (a server of your own: it creates tables).");
        var sizes = (args.String("rows") ?? "1000000,10000000").Split(',').Select(s => long.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var percent = args.Double("change-percent", 1);
        var work = args.String("work") ?? Path.Combine(Path.GetTempPath(), "sluice-bench-warehouse");
        args.RejectUnknown();

        var report = new Report("warehouse");
        Machine.Describe(report);
        foreach (var rows in sizes)
        {
            var table = $"bench_wh_{rows}";
            var schema = $"sluice_bench_{rows}";
            var state = Path.Combine(work, $"local-{rows}");
            if (Directory.Exists(state))
                Directory.Delete(state, recursive: true);
            Directory.CreateDirectory(state);
            var setup = Stopwatch.StartNew();
            await ExecuteAsync(url, $"""
                DROP SCHEMA IF EXISTS {schema} CASCADE;
                DROP TABLE IF EXISTS {table};
                CREATE TABLE {table} AS
                  SELECT i AS customer_id, 'user' || i || '@example.com' AS email, 'First' || i AS first_name,
                         CASE WHEN i % 3 = 0 THEN 'pro' ELSE 'free' END AS plan, (i % 50)::integer AS seats, 'unmapped' AS note
                  FROM generate_series(1, {rows}) i;
                ANALYZE {table};
                """, ct);
            report.Line($"{rows} setup", setup.Elapsed.TotalSeconds, "s");

            foreach (var planner in new[] { "local", "warehouse" })
                Line(report, rows, planner, "first", await ChildAsync(url, table, schema, state, planner, seed: true, ct));

            var step = (long)Math.Max(1, Math.Round(100 / percent));
            await ExecuteAsync(url, $"UPDATE {table} SET first_name = first_name || '*' WHERE customer_id % {step} = 0; ANALYZE {table};", ct);

            var alone = await PostgresAloneAsync(url, table, schema, ct);
            report.Line($"{rows} postgres alone (1%)", alone.TotalSeconds, "s");
            foreach (var planner in new[] { "local", "warehouse" })
            {
                var result = Line(report, rows, planner, "1%", await ChildAsync(url, table, schema, state, planner, seed: false, ct));
                report.Line($"{rows} {planner} (1%) vs postgres alone", result["seconds"]!.GetValue<double>() / alone.TotalSeconds, "x");
            }
        }
        report.Finish();
        return 0;
    }

    private static JsonObject Line(Report report, long rows, string planner, string scenario, JsonObject result)
    {
        report.Line($"{rows} {planner} ({scenario}) plan+stream", result["seconds"]!.GetValue<double>(), "s");
        report.Line($"{rows} {planner} ({scenario}) rows out of postgres", result["rowsOut"]!.GetValue<long>());
        report.Line($"{rows} {planner} ({scenario}) bytes out of postgres (MiB)", result["bytesOut"]!.GetValue<long>() / 1048576.0);
        report.Line($"{rows} {planner} ({scenario}) peak rss (MiB)", result["peakRssMiB"]!.GetValue<double>());
        report.Line($"{rows} {planner} ({scenario}) allocated (MiB)", result["allocatedMiB"]!.GetValue<double>());
        report.Line($"{rows} {planner} ({scenario}) gen0 collections", result["gen0Collections"]!.GetValue<int>());
        return result;
    }

    private static async Task<JsonObject> ChildAsync(string url, string table, string schema, string state, string planner, bool seed,
        CancellationToken ct)
    {
        var childArgs = new List<string> { "warehouse-child", "--pg-url", url, "--table", table, "--schema", schema, "--state", state, "--planner", planner };
        if (seed)
            childArgs.Add("--seed");
        var result = await Spawn.RunAsync(Spawn.Self([.. childArgs]), TimeSpan.FromHours(2), ct);
        result.EnsureSuccess($"warehouse-child {planner}");
        return JsonNode.Parse(result.Stdout.Trim().Split('\n')[^1])!.AsObject();
    }

    /// <summary>One plan (and, with --seed, every row committed as delivered) in this process; prints one JSON line.</summary>
    public static async Task<int> ChildAsync(BenchArgs args, CancellationToken ct)
    {
        var url = args.String("pg-url")!;
        var table = args.String("table")!;
        var schema = args.String("schema")!;
        var stateDir = args.String("state")!;
        var warehouse = args.String("planner") == "warehouse";
        var seed = args.Flag("seed");
        args.RejectUnknown();

        var target = new NpgsqlConnectionStringBuilder(PostgresConnectionText(url));
        await using var proxy = ByteCountingProxy.Start(target.Host!, target.Port);
        target.Host = "127.0.0.1";
        target.Port = proxy.Port;
        await using var source = new PostgresSource("bench", target.ConnectionString, warehouse ? w => new WarehousePlanner(w) : null, schema);
        await using var embedded = warehouse ? null : await EmbeddedState.OpenAsync(stateDir);
        IChangePlanner planner = warehouse ? source.Planner! : new Planner();
        await using var ledger = warehouse ? (await planner.OpenLedgerAsync(Sync, ct))! : await embedded!.ClaimAsync(Sync, ct);
        var sql = $"select customer_id, email, first_name, plan, seats, note from {table}";
        var request = new PlanRequest(Sync, sql, source, "customer_id", new FieldMapping("email", "email"),
            [new FieldMapping("first_name", "firstName"), new FieldMapping("plan", "plan"), new FieldMapping("seats", "seats")],
            await source.DescribeAsync(sql, ct));
        var bytesBefore = proxy.BytesFromServer;

        var watch = Stopwatch.StartNew();
        long sent = 0;
        var batch = new List<LedgerEntry>(50_000);
        var number = 0;
        await using (var plan = await planner.PlanAsync(request, ledger, ct))
        {
            await foreach (var row in plan.ReadChangesAsync(true, true, ct: ct))
            {
                sent++;
                if (!seed)
                    continue;
                batch.Add(new LedgerEntry(row.Key, row.Hash, "id-" + row.Key));
                if (batch.Count == batch.Capacity)
                {
                    await ledger.CommitAsync(new BatchId(1, ++number), batch, [], ct);
                    batch.Clear();
                }
            }
        }
        var seconds = watch.Elapsed.TotalSeconds;
        var bytes = proxy.BytesFromServer - bytesBefore;
        if (batch.Count > 0)
            await ledger.CommitAsync(new BatchId(1, ++number), batch, [], ct);
        if (seed)
            _ = await ledger.SizeAsync(ct); // folds the journal, as the end of a run does

        // The local planner reads every model row out of PostgreSQL; the warehouse planner only the rows to send.
        var rowsOut = warehouse ? sent : await CountAsync(url, table, ct);
        Console.Out.WriteLine(new JsonObject
        {
            ["seconds"] = seconds,
            ["rowsToSend"] = sent,
            ["rowsOut"] = rowsOut,
            ["bytesOut"] = bytes,
            ["peakRssMiB"] = Machine.PeakRssMiB(),
            // What the process allocated and how often it collected: garbage not yet collected is resident too.
            ["allocatedMiB"] = GC.GetTotalAllocatedBytes() / 1048576.0,
            ["gen0Collections"] = GC.CollectionCount(0),
        }.ToJsonString());
        return 0;
    }

    /// <summary>PostgreSQL alone: the diff of the model against the warehouse planner's ledger, narrow, in one statement.</summary>
    private static async Task<TimeSpan> PostgresAloneAsync(string url, string table, string schema, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        await ExecuteAsync(url, $"""
            SET TimeZone = 'UTC';
            CREATE TEMP TABLE diff AS
            WITH r AS (SELECT customer_id::text AS key, count(*) AS n,
                              min(hashtextextended(ROW('match:email'::text, email, 'firstName'::text, first_name, 'plan'::text, plan,
                                                       'seats'::text, seats)::text, 0)) AS h
                       FROM {table} GROUP BY 1),
            l AS (SELECT key, hash FROM {schema}.ledger WHERE sync = '{Sync}')
            SELECT coalesce(r.key, l.key) AS key, r.h, r.n
            FROM r FULL JOIN l ON r.key = l.key
            WHERE l.key IS NULL OR r.key IS NULL OR r.n > 1 OR r.h <> l.hash;
            """, ct);
        return watch.Elapsed;
    }

    private static string PostgresConnectionText(string url)
    {
        var uri = new Uri(url);
        var user = Uri.UnescapeDataString(uri.UserInfo.Split(':')[0]);
        var password = uri.UserInfo.Contains(':', StringComparison.Ordinal) ? Uri.UnescapeDataString(uri.UserInfo[(uri.UserInfo.IndexOf(':', StringComparison.Ordinal) + 1)..]) : "";
        return new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host, Port = uri.Port > 0 ? uri.Port : 5432, Username = user, Password = password, Database = uri.AbsolutePath.Trim('/'),
        }.ConnectionString;
    }

    private static async Task ExecuteAsync(string url, string sql, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(PostgresConnectionText(url));
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<long> CountAsync(string url, string table, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(PostgresConnectionText(url));
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM {table}", connection);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>A TCP relay to PostgreSQL that counts the bytes the server sends: what a plan moves out of the database.</summary>
    private sealed class ByteCountingProxy : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly string _host;
        private readonly int _port;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _accepting;
        private long _fromServer;

        private ByteCountingProxy(string host, int port)
        {
            _host = host;
            _port = port;
            _listener.Start();
            _accepting = Task.Run(AcceptAsync);
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public long BytesFromServer => Interlocked.Read(ref _fromServer);

        public static ByteCountingProxy Start(string host, int port) => new(host, port);

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync(_stop.Token);
                }
                catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
                {
                    return;
                }
                _ = Task.Run(() => RelayAsync(client));
            }
        }

        private async Task RelayAsync(TcpClient client)
        {
            using (client)
            using (var server = new TcpClient())
            {
                try
                {
                    await server.ConnectAsync(_host, _port, _stop.Token);
                    var up = CopyAsync(client.GetStream(), server.GetStream(), count: false);
                    var down = CopyAsync(server.GetStream(), client.GetStream(), count: true);
                    await Task.WhenAny(up, down);
                }
                catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
                {
                }
            }
        }

        private async Task CopyAsync(Stream from, Stream to, bool count)
        {
            var buffer = new byte[81920];
            int read;
            while ((read = await from.ReadAsync(buffer, _stop.Token)) > 0)
            {
                if (count)
                    Interlocked.Add(ref _fromServer, read);
                await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            try
            {
                await _accepting;
            }
            catch (OperationCanceledException)
            {
            }
            _stop.Dispose();
        }
    }
}

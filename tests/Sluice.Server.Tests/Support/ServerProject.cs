using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using DuckDB.NET.Data;
using Microsoft.Extensions.Logging;
using Sluice.Core.Configuration;
using Sluice.Core.Destinations;
using Sluice.Core.State;
using Sluice.Destinations.Iterable;
using Sluice.Emulators.Iterable;
using Sluice.Sources.DuckDb;
using Sluice.State;

namespace Sluice.Server.Tests.Support;

/// <summary>
/// A project on disk (sluice.yaml, .env, a DuckDB warehouse) wired to a real Iterable emulator over HTTP, served by a
/// real <see cref="SluiceServer"/> on Kestrel at 127.0.0.1 (any free port), with a real HttpClient for its API.
/// </summary>
internal sealed class ServerProject : IAsyncDisposable
{
    public const string Token = "test-token-0123456789abcdef";
    public const string ApiKey = "server-test-iterable-key";

    private ServerProject(string directory, IterableEmulator emulator)
    {
        Directory = directory;
        Emulator = emulator;
    }

    public string Directory { get; }

    public IterableEmulator Emulator { get; }

    public SluiceServer? Server { get; private set; }

    public Uri BaseUrl => Server!.Urls[0];

    /// <summary>A client with the bearer token.</summary>
    public HttpClient Api { get; private set; } = null!;

    /// <summary>A client without a token.</summary>
    public HttpClient Anonymous { get; private set; } = null!;

    /// <param name="destinations">More destinations (YAML under <c>destinations:</c>) beside <c>iterable</c>.</param>
    public static async Task<ServerProject> CreateAsync(string syncs, int customers = 20, IterableEmulatorOptions? emulator = null, int batchSize = 1000,
        string destinations = "")
    {
        var directory = Path.Combine(Path.GetTempPath(), "sluice-server-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        emulator ??= new IterableEmulatorOptions();
        emulator.ApiKey = ApiKey;
        var project = new ServerProject(directory, await IterableEmulator.StartAsync(emulator));
        await project.WriteEnvAsync(ApiKey);
        await project.WriteProjectAsync(syncs, batchSize, destinations);
        await project.WriteCustomersAsync(customers);
        return project;
    }

    /// <summary>Writes .env with this Iterable key (the emulator accepts <see cref="ApiKey"/> only).</summary>
    public Task WriteEnvAsync(string apiKey) => File.WriteAllTextAsync(Path.Combine(Directory, ".env"),
        $"ITERABLE_API_KEY={apiKey}\nITERABLE_BASE_URL={Emulator.BaseUrl.ToString().TrimEnd('/')}\n");

    /// <summary>A sync of the customers model into Iterable, with the given schedule.</summary>
    public static string Sync(string name, string schedule) => $"""
          {name}:
            model: customers
            destination: iterable
            mode: upsert
            match: {"{"} column: email, field: email {"}"}
            mappings:
              first_name: firstName
            schedule: "{schedule}"

        """;

    /// <summary>Writes sluice.yaml with these syncs; <paramref name="batchSize"/> makes runs of several batches.</summary>
    public Task WriteProjectAsync(string syncs, int batchSize = 1000, string destinations = "") => File.WriteAllTextAsync(Path.Combine(Directory, "sluice.yaml"), $"""
        sources:
          warehouse:
            type: duckdb
            path: warehouse.duckdb
        models:
          customers:
            source: warehouse
            kind: user
            primary_key: customer_id
            sql: select customer_id, email, first_name from customers
        destinations:
          iterable:
            type: iterable
            api_key: ${"{"}ITERABLE_API_KEY{"}"}
            base_url: ${"{"}ITERABLE_BASE_URL{"}"}
            batch_size: {batchSize}
        {destinations}
        syncs:
        {syncs}
        """);

    /// <summary>Customers 1..n; every seventh has an email Iterable refuses, so each run has rejected rows.</summary>
    public async Task WriteCustomersAsync(int count)
    {
        await using var connection = new DuckDBConnection($"Data Source={Path.Combine(Directory, "warehouse.duckdb")}");
        await connection.OpenAsync();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "CREATE OR REPLACE TABLE customers (customer_id BIGINT, email VARCHAR, first_name VARCHAR)";
            await command.ExecuteNonQueryAsync();
        }
        using var appender = connection.CreateAppender("customers");
        for (var i = 1; i <= count; i++)
            appender.CreateRow().AppendValue((long)i).AppendValue(BadEmail(i) ? $"broken-{i}" : $"c{i}@example.com").AppendValue($"First{i}").EndRow();
    }

    public static bool BadEmail(int i) => i % 7 == 0;

    public static ProjectCatalog Catalog() =>
        new([new DuckDbSourceProvider()], [new IterableDestinationProvider(), new Sluice.Destinations.Actito.ActitoDestinationProvider()]);

    public async Task StartAsync(TimeProvider? time = null, Uri? otlp = null, TimeSpan? checkInterval = null)
    {
        var services = new DestinationServices { LoggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning)) };
        Server = await SluiceServer.StartAsync(new ServerOptions
        {
            ProjectDirectory = Directory,
            Catalog = Catalog(),
            Services = services,
            OpenState = async ct => await EmbeddedState.OpenAsync(Directory, ct),
            Urls = ["http://127.0.0.1:0"],
            Tokens = [Token, "second-token"],
            Time = time ?? TimeProvider.System,
            OtlpEndpoint = otlp,
            CheckInterval = checkInterval ?? TimeSpan.FromMinutes(1),
        }, logging: b => b.SetMinimumLevel(LogLevel.Warning));
        Api = new HttpClient { BaseAddress = BaseUrl };
        Api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        Anonymous = new HttpClient { BaseAddress = BaseUrl };
    }

    /// <summary>Stops the server (as a restart's first half); the project, its state and the emulator stay.</summary>
    public async Task StopServerAsync()
    {
        Api.Dispose();
        Anonymous.Dispose();
        await Server!.DisposeAsync();
        Server = null;
    }

    public T Service<T>()
        where T : notnull => (T)Server!.Services.GetService(typeof(T))!;

    public async Task<JsonObject> GetJsonAsync(string path)
    {
        using var response = await Api.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>Starts a run through the API and returns its id.</summary>
    public async Task<long> RunNowAsync(string sync, bool fullResync = false)
    {
        using var response = await Api.PostAsJsonAsync($"/api/syncs/{sync}/runs", new { full_resync = fullResync });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Accepted, text);
        return JsonNode.Parse(text)!["run_id"]!.GetValue<long>();
    }

    /// <summary>Polls the run until it is no longer running (bounded by the test's timeout).</summary>
    public async Task<JsonObject> WaitForRunAsync(long runId)
    {
        while (true)
        {
            var run = await GetJsonAsync($"/api/runs/{runId}");
            if (run["status"]!.GetValue<string>() != "running")
                return run;
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Waits until the sync's history holds a finished run that satisfies <paramref name="done"/>.</summary>
    public async Task<IReadOnlyList<RunRecord>> WaitForHistoryAsync(string sync, Func<IReadOnlyList<RunRecord>, bool> done)
    {
        var state = Service<IStateStore>();
        while (true)
        {
            var runs = await state.Runs.HistoryAsync(sync, 100);
            if (done(runs))
                return runs;
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async ValueTask DisposeAsync()
    {
        Api?.Dispose();
        Anonymous?.Dispose();
        if (Server is not null)
            await Server.DisposeAsync();
        await Emulator.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

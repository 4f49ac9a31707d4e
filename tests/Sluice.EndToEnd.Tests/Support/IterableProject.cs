using System.Net.Http.Json;
using System.Text.Json.Nodes;
using DuckDB.NET.Data;
using Sluice.Emulators.Iterable;

namespace Sluice.EndToEnd.Tests.Support;

/// <summary>A customer row of the test warehouse.</summary>
internal sealed record Customer(long Id, string Email, string FirstName, string Plan, long Seats, string Note = "");

/// <summary>
/// A project folder on disk (sluice.yaml, .env, a DuckDB warehouse) wired to an Iterable emulator running
/// in the test process; the `sluice` binary runs against it as a user's would.
/// </summary>
internal sealed class IterableProject : IAsyncDisposable
{
    public const string ApiKey = "e2e-test-key";

    private IterableProject(string directory, IterableEmulator emulator)
    {
        Directory = directory;
        Emulator = emulator;
        Http = new HttpClient { BaseAddress = emulator.BaseUrl };
        Http.DefaultRequestHeaders.Add("Api-Key", ApiKey);
    }

    public string Directory { get; }

    public IterableEmulator Emulator { get; }

    /// <summary>A client of the emulator's own API, to read back what Sluice delivered.</summary>
    public HttpClient Http { get; }

    public static async Task<IterableProject> CreateAsync(string mode = "upsert", IterableEmulatorOptions? options = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), "sluice-e2e", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        options ??= new IterableEmulatorOptions();
        options.ApiKey = ApiKey;
        var emulator = await IterableEmulator.StartAsync(options);
        var project = new IterableProject(directory, emulator);
        await File.WriteAllTextAsync(Path.Combine(directory, ".env"),
            $"ITERABLE_API_KEY={ApiKey}\nITERABLE_BASE_URL={emulator.BaseUrl.ToString().TrimEnd('/')}\n");
        await project.WriteProjectFileAsync(ProjectFile(mode));
        return project;
    }

    public static string ProjectFile(string mode) => $$"""
        sources:
          warehouse:
            type: duckdb
            path: warehouse.duckdb
        models:
          customers:
            source: warehouse
            kind: user
            primary_key: customer_id
            sql: select customer_id, email, first_name, plan, seats, note from customers
        destinations:
          iterable:
            type: iterable
            api_key: ${ITERABLE_API_KEY}
            base_url: ${ITERABLE_BASE_URL}
        syncs:
          customers-to-iterable:
            model: customers
            destination: iterable
            mode: {{mode}}
            match: { column: email, field: email }
            mappings:
              first_name: firstName
              plan: plan
              seats: seats
        """;

    public Task WriteProjectFileAsync(string text) => File.WriteAllTextAsync(Path.Combine(Directory, "sluice.yaml"), text);

    public async Task WriteCustomersAsync(IEnumerable<Customer> customers)
    {
        await using var connection = new DuckDBConnection($"Data Source={Path.Combine(Directory, "warehouse.duckdb")}");
        await connection.OpenAsync();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "CREATE OR REPLACE TABLE customers (customer_id BIGINT, email VARCHAR, first_name VARCHAR, plan VARCHAR, seats BIGINT, note VARCHAR)";
            await command.ExecuteNonQueryAsync();
        }
        using var appender = connection.CreateAppender("customers");
        foreach (var c in customers)
            appender.CreateRow().AppendValue(c.Id).AppendValue(c.Email).AppendValue(c.FirstName).AppendValue(c.Plan).AppendValue(c.Seats).AppendValue(c.Note).EndRow();
    }

    public static List<Customer> Customers(int count) =>
        Enumerable.Range(1, count).Select(i => new Customer(i, $"c{i}@example.com", $"First{i}", i % 3 == 0 ? "pro" : "free", i)).ToList();

    /// <summary>Reads a user back through Iterable's GET endpoint (null when Iterable answers `{}`).</summary>
    public async Task<JsonObject?> GetUserAsync(string email)
    {
        var body = await Http.GetFromJsonAsync<JsonObject>($"/api/users/getByEmail?email={Uri.EscapeDataString(email)}");
        return body?["user"] as JsonObject;
    }

    /// <summary>Users received by the emulator's write endpoints so far.</summary>
    public long UsersReceived => Emulator.GetStats().UsersReceived.Values.Sum();

    public Task<SluiceResult> SluiceAsync(params string[] args) => SluiceCommand.RunAsync(Directory, args);

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
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

using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using DuckDB.NET.Data;
using Sluice.Emulators.Actito;

namespace Sluice.EndToEnd.Tests.Support;

/// <summary>A customer row of the Actito test warehouse; the model exposes its key as <c>C-{Id}</c> (Actito's customerId).</summary>
internal sealed record ActitoCustomer(long Id, string Email, string FirstName, string Plan, long Seats, decimal Ltv, bool Active,
    DateOnly SignupDate, string Note = "")
{
    public string Ref => RefOf(Id);

    public static string RefOf(long id) => $"C-{id}";
}

/// <summary>
/// A project folder on disk (sluice.yaml, .env, a DuckDB warehouse) wired to an Actito emulator running in the test
/// process; the `sluice` binary runs against it as a user's would, and profiles are read back through Actito's own API.
/// </summary>
internal sealed class ActitoProject : IAsyncDisposable
{
    public const string ApiKey = "e2e-actito-key";
    public const string Entity = "sluice_demo";
    public const string Table = "Profiles";
    public const string Sync = "customers-to-actito";

    /// <summary>A bulk_threshold no test reaches: every run goes through single-profile calls.</summary>
    public const int SingleCalls = 1000;

    /// <summary>A bulk_threshold of 0: every operation of every run goes through a bulk import.</summary>
    public const int BulkImports = 0;

    /// <summary>The attributes the sync maps that the default Profiles table lacks, with the CUSTOM value type each column implies.</summary>
    public static readonly IReadOnlyDictionary<string, string> CreatedAttributes = new Dictionary<string, string>
    {
        ["plan"] = "STRING",
        ["seats"] = "INTEGER",
        ["lifetimeValue"] = "STRING", // Actito documents no decimal value type
        ["isActive"] = "BOOLEAN",
        ["signupDate"] = "DATE",
    };

    private string? _token;

    private ActitoProject(string directory, ActitoEmulator emulator)
    {
        Directory = directory;
        Emulator = emulator;
        Http = new HttpClient { BaseAddress = emulator.BaseUrl };
        Http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
    }

    public string Directory { get; }

    public ActitoEmulator Emulator { get; }

    /// <summary>A client of the emulator's own API, to read back what Sluice delivered.</summary>
    public HttpClient Http { get; }

    /// <summary>
    /// Starts an emulator and writes the project. The emulator keeps Actito's concurrency limit (5 in flight) but a
    /// per-minute budget far above the documented 100, and the destination is told so (<c>calls_per_minute</c>), so
    /// tests are not paced to a call every 0.6 s.
    /// </summary>
    public static async Task<ActitoProject> CreateAsync(string mode = "upsert", int bulkThreshold = SingleCalls, string? maxDeletes = null,
        ActitoEmulatorOptions? options = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), "sluice-e2e", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        options ??= new ActitoEmulatorOptions();
        options.ApiKey = ApiKey;
        options.CallsPerMinute = 100_000;
        var emulator = await ActitoEmulator.StartAsync(options);
        var project = new ActitoProject(directory, emulator);
        await File.WriteAllTextAsync(Path.Combine(directory, ".env"),
            $"ACTITO_API_KEY={ApiKey}\nACTITO_BASE_URL={emulator.BaseUrl.ToString().TrimEnd('/')}\n");
        await project.WriteProjectFileAsync(ProjectFile(mode, bulkThreshold, maxDeletes));
        return project;
    }

    public static string ProjectFile(string mode, int bulkThreshold = SingleCalls, string? maxDeletes = null) => $$"""
        sources:
          warehouse:
            type: duckdb
            path: warehouse.duckdb
        models:
          customers:
            source: warehouse
            kind: user
            primary_key: customer_id
            sql: select customer_id, 'C-' || customer_id as customer_ref, email, first_name, plan, seats, ltv, active, signup_date, note from customers
        destinations:
          actito:
            type: actito
            api_key: ${ACTITO_API_KEY}
            base_url: ${ACTITO_BASE_URL}
            entity: {{Entity}}
            table: {{Table}}
            bulk_threshold: {{bulkThreshold}}
            calls_per_minute: 6000
        syncs:
          {{Sync}}:
            model: customers
            destination: actito
            mode: {{mode}}
            match: { column: customer_ref, field: customerId }
        {{(maxDeletes is null ? "" : $"    max_deletes: {maxDeletes}\n")}}    mappings:
              email: emailAddress
              first_name: firstName
              plan: plan
              seats: seats
              ltv: lifetimeValue
              active: isActive
              signup_date: signupDate
        """;

    public Task WriteProjectFileAsync(string text) => File.WriteAllTextAsync(Path.Combine(Directory, "sluice.yaml"), text);

    public async Task WriteCustomersAsync(IEnumerable<ActitoCustomer> customers)
    {
        await using var connection = new DuckDBConnection($"Data Source={Path.Combine(Directory, "warehouse.duckdb")}");
        await connection.OpenAsync();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "CREATE OR REPLACE TABLE customers (customer_id BIGINT, email VARCHAR, first_name VARCHAR, plan VARCHAR, " +
                "seats BIGINT, ltv DECIMAL(10,2), active BOOLEAN, signup_date DATE, note VARCHAR)";
            await command.ExecuteNonQueryAsync();
        }
        using var appender = connection.CreateAppender("customers");
        foreach (var c in customers)
        {
            appender.CreateRow().AppendValue(c.Id).AppendValue(c.Email).AppendValue(c.FirstName).AppendValue(c.Plan).AppendValue(c.Seats)
                .AppendValue(c.Ltv).AppendValue(c.Active).AppendValue(c.SignupDate).AppendValue(c.Note).EndRow();
        }
    }

    public static List<ActitoCustomer> Customers(int count) =>
        Enumerable.Range(1, count).Select(i => new ActitoCustomer(i, $"c{i}@example.com", $"First{i}", i % 3 == 0 ? "pro" : "free", i,
            i * 10.25m, i % 2 == 0, new DateOnly(2024, 1, 1).AddDays(i))).ToList();

    public Task<SluiceResult> SluiceAsync(params string[] args) => SluiceCommand.RunAsync(Directory, args);

    // ---- reading back through Actito's API ----

    private string ProfileRoot => $"v4/entity/{Entity}/table/{Table}/profile";

    /// <summary>GET with a bearer token from <c>GET /auth/token</c>; a 401 (an expired token) fetches a new one once.</summary>
    public async Task<HttpResponseMessage> ApiGetAsync(string path)
    {
        for (var attempt = 0; ; attempt++)
        {
            _token ??= await FetchTokenAsync();
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
            var response = await Http.SendAsync(request);
            if (response.StatusCode != HttpStatusCode.Unauthorized || attempt > 0) return response;
            response.Dispose();
            _token = null;
        }
    }

    private async Task<string> FetchTokenAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "auth/token");
        request.Headers.TryAddWithoutValidation("Authorization", ApiKey);
        using var response = await Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        return body!["accessToken"]!.GetValue<string>();
    }

    /// <summary>One profile by a unique attribute (<c>GET .../profile/{attr}={value}</c>) as flat attributes; null on 404.</summary>
    public async Task<Dictionary<string, string?>?> GetProfileAsync(string attribute, string value)
    {
        using var response = await ApiGetAsync($"{ProfileRoot}/{attribute}={Uri.EscapeDataString(value)}");
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        response.EnsureSuccessStatusCode();
        return Flatten((await response.Content.ReadFromJsonAsync<JsonObject>())!);
    }

    public Task<Dictionary<string, string?>?> GetCustomerAsync(long id) => GetProfileAsync("customerId", ActitoCustomer.RefOf(id));

    /// <summary>Every profile of the table through the search route (<c>GET .../profile?number=1000</c>), keyed by customerId.</summary>
    public async Task<Dictionary<string, Dictionary<string, string?>>> ListProfilesAsync()
    {
        using var response = await ApiGetAsync($"{ProfileRoot}?number=1000");
        response.EnsureSuccessStatusCode();
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        var profiles = body["profiles"]!.AsArray().Select(p => Flatten(p!.AsObject())).ToList();
        Assert.True(profiles.Count < 1000, "the table holds more profiles than one search page");
        return profiles.ToDictionary(p => p.GetValueOrDefault("customerId") ?? "profile:" + p["profileId"], StringComparer.Ordinal);
    }

    /// <summary>The table's attributes by name, from <c>GET /profile-table-structure/v5/entities/{e}/profile-tables/{t}</c>.</summary>
    public async Task<Dictionary<string, JsonObject>> TableAttributesAsync()
    {
        using var response = await ApiGetAsync($"profile-table-structure/v5/entities/{Entity}/profile-tables/{Table}");
        response.EnsureSuccessStatusCode();
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        return body["attributes"]!.AsArray().Select(a => a!.AsObject()).ToDictionary(a => a["name"]!.GetValue<string>(), StringComparer.Ordinal);
    }

    /// <summary>The emulator's counters from <c>GET /_emulator/stats</c>.</summary>
    public async Task<JsonObject> StatsAsync() => (await Http.GetFromJsonAsync<JsonObject>("_emulator/stats"))!;

    /// <summary>Stores a profile "created by someone else" through the emulator's seeding route; returns its profileId.</summary>
    public async Task<long> SeedAsync(IReadOnlyDictionary<string, string?> attributes)
    {
        var flat = new JsonObject();
        foreach (var (name, value) in attributes) flat[name] = value;
        using var response = await Http.PostAsJsonAsync("_emulator/profiles", new JsonObject { ["profiles"] = new JsonArray(flat) });
        response.EnsureSuccessStatusCode();
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        return body["profileIds"]![0]!.GetValue<long>();
    }

    private static Dictionary<string, string?> Flatten(JsonObject profile)
    {
        var flat = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var attribute in profile["attributes"]!.AsArray())
        {
            var value = attribute!["value"];
            flat[attribute["name"]!.GetValue<string>()] = value?.GetValueKind() switch
            {
                null or JsonValueKind.Null => null,
                JsonValueKind.String => value.GetValue<string>(),
                JsonValueKind.True => "true",
                JsonValueKind.False => "false",
                _ => value.ToJsonString(),
            };
        }
        return flat;
    }

    /// <summary>A profile's attributes without the system-managed ones, for comparing two tables.</summary>
    public static string Describe(Dictionary<string, string?> profile) =>
        string.Join("; ", profile.Where(p => p.Key is not ("profileId" or "creationMoment" or "updateMoment"))
            .OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));

    public static decimal Number(string? text) => decimal.Parse(text!, CultureInfo.InvariantCulture);

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

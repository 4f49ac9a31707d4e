using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using DuckDB.NET.Data;
using Sluice.Emulators.Salesforce;

namespace Sluice.EndToEnd.Tests.Support;

/// <summary>A person of the test warehouse: the source of Contact records (a user model).</summary>
internal sealed record Person(long Id, string? Email, string? FirstName, string? LastName, DateOnly? Birthdate, string Note = "")
{
    public string ExternalId => $"P-{Id}";
}

/// <summary>A company of the test warehouse: the source of Account records (a custom model).</summary>
internal sealed record Company(long Id, string? Name, long? Employees, double? Revenue, string? Website, string Note = "")
{
    public string ExternalId => $"A-{Id}";
}

/// <summary>The one sync of a Salesforce test project, as the user writes it in sluice.yaml.</summary>
internal sealed record SalesforceSync
{
    public static readonly string[] ContactMappings = ["email: Email", "first_name: FirstName", "last_name: LastName", "birthdate: Birthdate"];
    public static readonly string[] AccountMappings = ["name: Name", "employees: NumberOfEmployees", "revenue: AnnualRevenue", "website: Website"];

    public string Mode { get; init; } = "upsert";

    public string Object { get; init; } = "Contact";

    /// <summary><c>people</c> (kind user), <c>companies</c> (kind custom) or <c>people_as_custom</c>.</summary>
    public string Model { get; init; } = "people";

    /// <summary>The match line's value; null leaves the match out.</summary>
    public string? Match { get; init; } = "{ column: external_id, field: External_Id__c }";

    public IReadOnlyList<string> Mappings { get; init; } = ContactMappings;

    public long? BulkThreshold { get; init; }

    public static SalesforceSync Accounts(string mode = "upsert") => new()
    {
        Mode = mode,
        Object = "Account",
        Model = "companies",
        Mappings = AccountMappings,
    };
}

/// <summary>
/// A project folder on disk (sluice.yaml, .env, a DuckDB warehouse) wired to a Salesforce emulator running in the
/// test process; the `sluice` binary runs against it as a user's would. Records are read back through the
/// emulator's REST API (OAuth token, SOQL query, GET sobjects), as any Salesforce client would.
/// </summary>
internal sealed class SalesforceProject : IAsyncDisposable
{
    public const string ClientId = "e2e-connected-app";
    public const string ClientSecret = "e2e-very-secret-value-9f3k";
    public const string SyncName = "to-salesforce";
    public const string ApiPath = "/services/data/v62.0/";

    private string? _token;

    private SalesforceProject(string directory, SalesforceEmulator emulator)
    {
        Directory = directory;
        Emulator = emulator;
        Http = new HttpClient { BaseAddress = emulator.BaseUrl };
    }

    public string Directory { get; }

    public SalesforceEmulator Emulator { get; }

    /// <summary>A client of the emulator's own API, to read back what Sluice delivered.</summary>
    public HttpClient Http { get; }

    public static async Task<SalesforceProject> CreateAsync(SalesforceSync? sync = null, Action<SalesforceEmulatorOptions>? configure = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), "sluice-e2e", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        var options = new SalesforceEmulatorOptions { ClientId = ClientId, ClientSecret = ClientSecret, BulkInProgressPolls = 0 };
        configure?.Invoke(options);
        var emulator = await SalesforceEmulator.StartAsync(options);
        var project = new SalesforceProject(directory, emulator);
        await File.WriteAllTextAsync(Path.Combine(directory, ".env"),
            $"SF_LOGIN_URL={emulator.BaseUrl.ToString().TrimEnd('/')}\nSF_CLIENT_ID={ClientId}\nSF_CLIENT_SECRET={ClientSecret}\n");
        await project.WriteProjectFileAsync(ProjectFile(sync ?? new SalesforceSync()));
        await project.WritePeopleAsync([]);
        await project.WriteCompaniesAsync([]);
        return project;
    }

    public static string ProjectFile(SalesforceSync sync)
    {
        var text = new StringBuilder($$"""
            sources:
              warehouse:
                type: duckdb
                path: warehouse.duckdb
            models:
              people:
                source: warehouse
                kind: user
                primary_key: person_id
                sql: select person_id, 'P-' || person_id as external_id, email, first_name, last_name, birthdate, seats, note from people
              people_as_custom:
                source: warehouse
                kind: custom
                primary_key: person_id
                sql: select person_id, 'P-' || person_id as external_id, email, first_name, last_name, birthdate, seats, note from people
              companies:
                source: warehouse
                kind: custom
                primary_key: account_id
                sql: select account_id, 'A-' || account_id as external_id, name, employees, revenue, website, note from companies
            destinations:
              salesforce:
                type: salesforce
                login_url: ${SF_LOGIN_URL}
                client_id: ${SF_CLIENT_ID}
                client_secret: ${SF_CLIENT_SECRET}
                object: {{sync.Object}}

            """);
        if (sync.BulkThreshold is { } threshold)
            text.Append(CultureInfo.InvariantCulture, $"    bulk_threshold: {threshold}\n");
        text.Append(CultureInfo.InvariantCulture, $"""
            syncs:
              {SyncName}:
                model: {sync.Model}
                destination: salesforce
                mode: {sync.Mode}

            """);
        if (sync.Match is { } match)
            text.Append(CultureInfo.InvariantCulture, $"    match: {match}\n");
        text.Append("    mappings:\n");
        foreach (var mapping in sync.Mappings)
            text.Append(CultureInfo.InvariantCulture, $"      {mapping}\n");
        return text.ToString();
    }

    public Task WriteProjectFileAsync(string text) => File.WriteAllTextAsync(Path.Combine(Directory, "sluice.yaml"), text);

    public Task WriteProjectFileAsync(SalesforceSync sync) => WriteProjectFileAsync(ProjectFile(sync));

    public async Task WritePeopleAsync(IEnumerable<Person> people)
    {
        await using var connection = await OpenWarehouseAsync();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "CREATE OR REPLACE TABLE people (person_id BIGINT, email VARCHAR, first_name VARCHAR, last_name VARCHAR, birthdate DATE, seats BIGINT, note VARCHAR)";
            await command.ExecuteNonQueryAsync();
        }
        using var appender = connection.CreateAppender("people");
        foreach (var p in people)
        {
            var row = appender.CreateRow().AppendValue(p.Id);
            Text(row, p.Email);
            Text(row, p.FirstName);
            Text(row, p.LastName);
            if (p.Birthdate is { } birthdate)
                row.AppendValue(birthdate);
            else
                row.AppendNullValue();
            row.AppendValue(p.Id * 10).AppendValue(p.Note).EndRow();
        }
    }

    public async Task WriteCompaniesAsync(IEnumerable<Company> companies)
    {
        await using var connection = await OpenWarehouseAsync();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "CREATE OR REPLACE TABLE companies (account_id BIGINT, name VARCHAR, employees BIGINT, revenue DOUBLE, website VARCHAR, note VARCHAR)";
            await command.ExecuteNonQueryAsync();
        }
        using var appender = connection.CreateAppender("companies");
        foreach (var c in companies)
        {
            var row = appender.CreateRow().AppendValue(c.Id);
            Text(row, c.Name);
            if (c.Employees is { } employees)
                row.AppendValue(employees);
            else
                row.AppendNullValue();
            if (c.Revenue is { } revenue)
                row.AppendValue(revenue);
            else
                row.AppendNullValue();
            Text(row, c.Website);
            row.AppendValue(c.Note).EndRow();
        }
    }

    private static void Text(IDuckDBAppenderRow row, string? value)
    {
        if (value is null)
            row.AppendNullValue();
        else
            row.AppendValue(value);
    }

    private async Task<DuckDBConnection> OpenWarehouseAsync()
    {
        var connection = new DuckDBConnection($"Data Source={Path.Combine(Directory, "warehouse.duckdb")}");
        await connection.OpenAsync();
        return connection;
    }

    public static List<Person> People(int count) =>
        [.. Enumerable.Range(1, count).Select(i => new Person(i, $"p{i}@example.com", $"First{i}", $"Last{i}", new DateOnly(1980, 1, 1).AddDays(i)))];

    public static List<Company> Companies(int count) =>
        [.. Enumerable.Range(1, count).Select(i => new Company(i, $"Company {i}", i * 3, i * 1000.5, i % 4 == 0 ? null : $"https://c{i}.example.com"))];

    /// <summary>Runs `sluice` on this project; no output of any command may contain the client secret.</summary>
    public async Task<SluiceResult> SluiceAsync(params string[] args)
    {
        var result = await SluiceCommand.RunAsync(Directory, args);
        Assert.DoesNotContain(ClientSecret, result.Stdout + result.Stderr, StringComparison.Ordinal);
        return result;
    }

    /// <summary>Every record of an object, with the given fields, through SOQL (paged with nextRecordsUrl).</summary>
    public async Task<List<JsonObject>> QueryAsync(string soql)
    {
        var records = new List<JsonObject>();
        string? path = ApiPath + "query?q=" + Uri.EscapeDataString(soql);
        while (path is not null)
        {
            var page = await GetJsonAsync(path) ?? throw new InvalidOperationException($"query answered 404: {soql}");
            records.AddRange(page["records"]!.AsArray().Select(r => r!.AsObject()));
            path = page["done"]!.GetValue<bool>() ? null : page["nextRecordsUrl"]!.GetValue<string>();
        }
        return records;
    }

    /// <summary>The records of an object keyed by their External_Id__c (records without one are left out).</summary>
    public async Task<Dictionary<string, JsonObject>> ByExternalIdAsync(string objectName, string fields)
    {
        var records = await QueryAsync($"SELECT Id, External_Id__c, {fields} FROM {objectName}");
        return records.Where(r => r["External_Id__c"] is not null)
            .ToDictionary(r => r["External_Id__c"]!.GetValue<string>(), StringComparer.Ordinal);
    }

    /// <summary>One record through <c>GET /sobjects/{Object}/{Id}</c>; null on 404.</summary>
    public Task<JsonObject?> GetRecordAsync(string objectName, string id) => GetJsonAsync($"{ApiPath}sobjects/{objectName}/{id}");

    /// <summary>Creates a record through <c>POST /sobjects/{Object}</c>, as another integration would; returns its Id.</summary>
    public async Task<string> CreateRecordAsync(string objectName, JsonObject fields)
    {
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Post, $"{ApiPath}sobjects/{objectName}") { Content = JsonContent.Create(fields) });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        return JsonNode.Parse(body)!["id"]!.GetValue<string>();
    }

    /// <summary>The emulator's counters through <c>GET /_emulator/stats</c>.</summary>
    public async Task<JsonObject> StatsAsync() => (await Http.GetFromJsonAsync<JsonObject>("/_emulator/stats"))!;

    /// <summary>How many requests an endpoint received, e.g. <c>"POST /services/data/v{version}/jobs/ingest"</c>.</summary>
    public async Task<long> RequestsAsync(string endpoint) =>
        (await StatsAsync())["requests"]![endpoint]?.GetValue<long>() ?? 0;

    public async Task ExpireTokensAsync()
    {
        using var response = await Http.PostAsync("/_emulator/expire-tokens", null);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    public async Task SetFaultsAsync(JsonObject faults)
    {
        using var response = await Http.PostAsJsonAsync("/_emulator/faults", faults);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<JsonObject?> GetJsonAsync(string path)
    {
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, path));
        if (response.StatusCode == HttpStatusCode.NotFound)
            return null;
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    /// <summary>Sends with a bearer token, signing in again once when the emulator says the session expired.</summary>
    private async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> request)
    {
        for (var attempt = 0; ; attempt++)
        {
            _token ??= await SignInAsync();
            using var message = request();
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
            var response = await Http.SendAsync(message);
            if (response.StatusCode != HttpStatusCode.Unauthorized || attempt > 0)
                return response;
            response.Dispose();
            _token = null;
        }
    }

    private async Task<string> SignInAsync()
    {
        using var response = await Http.PostAsync("/services/oauth2/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = ClientId,
            ["client_secret"] = ClientSecret,
        }));
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.True(response.IsSuccessStatusCode, body?.ToJsonString());
        return body!["access_token"]!.GetValue<string>();
    }

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

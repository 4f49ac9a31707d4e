using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Sluice.Emulators.Actito.Tests;

/// <summary>A clock the tests move by hand.</summary>
internal sealed class ManualClock : TimeProvider
{
    private DateTimeOffset _now = new(2025, 3, 10, 9, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}

/// <summary>One emulator plus a raw HttpClient for a test; dispose at the end of the test.</summary>
internal sealed class Harness : IAsyncDisposable
{
    public const string ApiKey = "test-api-key-7f3c";
    public const string Entity = "sluice_demo";

    private Harness(ActitoEmulator emulator, ManualClock clock)
    {
        Emulator = emulator;
        Clock = clock;
        Http = new HttpClient { BaseAddress = emulator.BaseUrl };
    }

    public ActitoEmulator Emulator { get; }

    public ManualClock Clock { get; }

    public HttpClient Http { get; }

    public string Profiles => $"v4/entity/{Entity}/table/Profiles";

    public static async Task<Harness> StartAsync(Action<ActitoEmulatorOptions>? configure = null)
    {
        var clock = new ManualClock();
        var options = new ActitoEmulatorOptions { ApiKey = ApiKey, TimeProvider = clock, RateLimits = false };
        configure?.Invoke(options);
        var emulator = await ActitoEmulator.StartAsync(options, TestContext.Current.CancellationToken);
        return new Harness(emulator, clock);
    }

    /// <summary>Gets a token and sends it on every later request.</summary>
    public async Task<Harness> AuthenticateAsync()
    {
        var token = await TokenAsync();
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return this;
    }

    public async Task<string> TokenAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "auth/token");
        request.Headers.TryAddWithoutValidation("Authorization", ApiKey);
        using var response = await Http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (string)(await ReadJsonAsync(response))!["accessToken"]!;
    }

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        request.Headers.Accept.ParseAdd("application/json");
        return await Http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public async Task<(HttpStatusCode Status, JsonNode? Body)> CallAsync(HttpMethod method, string path, string? json = null)
    {
        using var response = await SendAsync(method, path, json);
        return (response.StatusCode, await ReadJsonAsync(response));
    }

    public static async Task<JsonNode?> ReadJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return text.Length == 0 ? null : JsonNode.Parse(text);
    }

    /// <summary>Creates a profile from (name, value) pairs and returns its id.</summary>
    public async Task<long> CreateAsync(params (string Name, string Value)[] attributes)
    {
        var (status, body) = await CallAsync(HttpMethod.Post, Profiles + "/profile", ProfileBody(attributes));
        Assert.True(status is HttpStatusCode.Created or HttpStatusCode.OK, $"create answered {status}: {body}");
        return (long)body!["profileId"]!;
    }

    public static string ProfileBody(params (string Name, string Value)[] attributes)
    {
        var list = new JsonArray();
        foreach (var (name, value) in attributes) list.Add(new JsonObject { ["name"] = name, ["value"] = value });
        return new JsonObject { ["attributes"] = list }.ToJsonString();
    }

    public static string? Attribute(JsonNode? profile, string name) =>
        profile?["attributes"]?.AsArray().FirstOrDefault(a => (string?)a?["name"] == name)?["value"]?.ToString();

    /// <summary>The one-shot ETL definition of a load into a profile table, mapping every header to the attribute of its name.</summary>
    public static string Definition(string mode, string key, string separator = ";", string encoding = "UTF-8", string table = "Profiles",
        JsonArray? mapping = null)
    {
        var load = new JsonObject { ["table"] = table, ["mode"] = mode, ["keyAttribute"] = key };
        if (mapping is not null) load["mapping"] = mapping;
        return new JsonObject
        {
            ["file"] = new JsonObject
            {
                ["compression"] = "ZIP",
                ["format"] = new JsonObject { ["separator"] = separator, ["enclosing"] = "\"", ["escaping"] = "\"", ["encoding"] = encoding },
            },
            ["load"] = load,
            ["reportRecipients"] = new JsonArray(),
        }.ToJsonString();
    }

    public string Executions => $"mass-imports/v5/entities/{Entity}/etl-executions";

    public async Task<HttpResponseMessage> ImportAsync(byte[] file, string definition, string fileName = "profiles.zip",
        string fileType = "application/zip")
    {
        using var form = new MultipartFormDataContent();
        var filePart = new ByteArrayContent(file);
        filePart.Headers.ContentType = new MediaTypeHeaderValue(fileType);
        form.Add(filePart, "inputFile", fileName);
        var definitionPart = new ByteArrayContent(Encoding.UTF8.GetBytes(definition));
        definitionPart.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        form.Add(definitionPart, "definition", "definition.json");
        return await Http.PostAsync(Executions, form, TestContext.Current.CancellationToken);
    }

    public async Task<long> ImportOkAsync(string csv, string definition)
    {
        using var response = await ImportAsync(Zip(csv), definition);
        var body = await ReadJsonAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"the ETL execution answered {response.StatusCode}: {body}");
        return (long)body!["id"]!;
    }

    /// <summary>Polls the ETL execution until it has finished.</summary>
    public async Task<JsonNode> ResultAsync(long executionId, string entity = Entity)
    {
        for (var i = 0; i < 20; i++)
        {
            var (status, body) = await CallAsync(HttpMethod.Get, $"mass-imports/v5/entities/{entity}/etl-executions/{executionId}");
            Assert.Equal(HttpStatusCode.OK, status);
            if ((string?)body!["status"] != "RUNNING") return body;
        }
        throw new InvalidOperationException("The ETL execution never finished.");
    }

    public static byte[] Zip(string csv, string entryName = "profiles.csv", bool bom = false)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var entry = zip.CreateEntry(entryName).Open();
            var bytes = new UTF8Encoding(bom).GetPreamble().Concat(Encoding.UTF8.GetBytes(csv)).ToArray();
            entry.Write(bytes);
        }
        return buffer.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Emulator.DisposeAsync();
    }
}

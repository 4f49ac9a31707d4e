using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Sluice.Emulators.Salesforce.Tests.Support;

/// <summary>A running emulator plus a logged-in raw HTTP client; tests speak JSON strings, not shared types.</summary>
internal sealed class Org : IAsyncDisposable
{
    public const string ClientId = "test-client-id";
    public const string ClientSecret = "test-client-secret-value";
    public const string V = "/services/data/v59.0";

    private Org(SalesforceEmulator emulator, HttpClient http)
    {
        Emulator = emulator;
        Http = http;
    }

    public SalesforceEmulator Emulator { get; }
    public HttpClient Http { get; }
    public string Token { get; private set; } = "";

    public static async Task<Org> StartAsync(Action<SalesforceEmulatorOptions>? configure = null, bool login = true)
    {
        var options = new SalesforceEmulatorOptions { ClientId = ClientId, ClientSecret = ClientSecret };
        configure?.Invoke(options);
        var emulator = await SalesforceEmulator.StartAsync(options, TestContext.Current.CancellationToken);
        var http = new HttpClient { BaseAddress = emulator.BaseUrl };
        var org = new Org(emulator, http);
        if (login)
            await org.LoginAsync();
        return org;
    }

    public async Task LoginAsync()
    {
        using var response = await Http.PostAsync("/services/oauth2/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = ClientId,
            ["client_secret"] = ClientSecret,
        }), TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        Token = (string)body["access_token"]!;
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
    }

    public async Task<Reply> SendAsync(HttpMethod method, string path, string? json = null, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
            request.Content = new StringContent(json, Encoding.UTF8, contentType);
        using var response = await Http.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return new Reply((int)response.StatusCode, text, response.Headers, response.Content.Headers);
    }

    public Task<Reply> GetAsync(string path) => SendAsync(HttpMethod.Get, path);
    public Task<Reply> PostAsync(string path, string json) => SendAsync(HttpMethod.Post, path, json);
    public Task<Reply> PatchAsync(string path, string json) => SendAsync(HttpMethod.Patch, path, json);
    public Task<Reply> DeleteAsync(string path) => SendAsync(HttpMethod.Delete, path);

    /// <summary>Creates one record through the REST API and returns its id.</summary>
    public async Task<string> CreateAsync(string type, string json)
    {
        var reply = await PostAsync($"{V}/sobjects/{type}", json);
        Assert.True(reply.Status == 201, reply.Text);
        return (string)reply.Json["id"]!;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Emulator.DisposeAsync();
    }
}

internal sealed record Reply(int Status, string Text, HttpResponseHeaders Headers, HttpContentHeaders ContentHeaders)
{
    public JsonNode Json => JsonNode.Parse(Text)!;

    public string? Header(string name) =>
        Headers.TryGetValues(name, out var v) ? string.Join(",", v) : ContentHeaders.TryGetValues(name, out var c) ? string.Join(",", c) : null;

    /// <summary>The first element of a REST error array.</summary>
    public JsonNode Error => Json.AsArray()[0]!;
}

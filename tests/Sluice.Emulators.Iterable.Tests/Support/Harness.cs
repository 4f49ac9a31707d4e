using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Sluice.Emulators.Iterable.Tests.Support;

/// <summary>An emulator plus an HttpClient that carries the project's key; answers come back as raw JSON.</summary>
internal sealed class Harness : IAsyncDisposable
{
    public const string ApiKey = "test-key-5f2a";

    private Harness(IterableEmulator emulator, HttpClient http)
    {
        Emulator = emulator;
        Http = http;
    }

    public IterableEmulator Emulator { get; }

    public HttpClient Http { get; }

    /// <summary>Starts an emulator with rate limits off (tests of limits switch them on).</summary>
    public static async Task<Harness> StartAsync(Action<IterableEmulatorOptions>? configure = null)
    {
        var options = new IterableEmulatorOptions { ApiKey = ApiKey, RateLimits = false };
        configure?.Invoke(options);
        var emulator = await IterableEmulator.StartAsync(options, TestContext.Current.CancellationToken);
        var http = new HttpClient { BaseAddress = emulator.BaseUrl };
        http.DefaultRequestHeaders.Add("Api-Key", ApiKey);
        return new Harness(emulator, http);
    }

    public Task<Answer> PostAsync(string path, string json) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") });

    public Task<Answer> GetAsync(string path) => SendAsync(new HttpRequestMessage(HttpMethod.Get, path));

    public Task<Answer> DeleteAsync(string path) => SendAsync(new HttpRequestMessage(HttpMethod.Delete, path));

    public async Task<Answer> SendAsync(HttpRequestMessage request)
    {
        using var response = await Http.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        JsonNode? json = null;
        try
        {
            json = text.Length == 0 ? null : JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
        }
        return new Answer(response.StatusCode, json, text, response.Headers.RetryAfter?.Delta);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Emulator.DisposeAsync();
    }
}

internal sealed record Answer(HttpStatusCode Status, JsonNode? Json, string Text, TimeSpan? RetryAfter)
{
    public string? Code => Json?["code"]?.GetValue<string>();

    public string[] List(string path)
    {
        JsonNode? node = Json;
        foreach (var part in path.Split('.'))
            node = node?[part];
        return node is JsonArray array ? array.Select(x => x!.GetValue<string>()).ToArray() : [];
    }
}

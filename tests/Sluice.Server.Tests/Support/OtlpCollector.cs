using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Sluice.Server.Tests.Support;

/// <summary>A local OTLP/HTTP receiver: a real Kestrel endpoint that keeps every protobuf body posted to /v1/*.</summary>
public sealed class OtlpCollector : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<(string Path, byte[] Body)> _received = new();

    private OtlpCollector(WebApplication app) => _app = app;

    public Uri Url => new(_app.Urls.First());

    public IReadOnlyList<byte[]> Received(string path) => [.. _received.Where(r => r.Path == path).Select(r => r.Body)];

    public static async Task<OtlpCollector> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var collector = new OtlpCollector(app);
        app.MapPost("/v1/{signal}", async (string signal, HttpRequest request) =>
        {
            Assert.Equal("application/x-protobuf", request.ContentType);
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            collector._received.Enqueue(($"/v1/{signal}", body.ToArray()));
            // An empty Export*ServiceResponse: the exporter takes any 200 with a protobuf body as accepted.
            return Results.Bytes([], "application/x-protobuf");
        });
        await app.StartAsync();
        return collector;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

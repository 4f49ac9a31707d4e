using System.Net;
using System.Net.Sockets;

namespace Sluice.Notifications.Tests.Support;

/// <summary>A local HTTP endpoint that keeps every body posted to it and answers with the statuses it is given, in turn.</summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;
    private readonly List<string> _bodies = [];
    private readonly Queue<int> _answers;

    private WebhookReceiver(int port, IEnumerable<int> answers)
    {
        _answers = new Queue<int>(answers);
        Url = $"http://127.0.0.1:{port}/hook/secret-token-part/";
        _listener.Prefixes.Add(Url);
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public string Url { get; }

    public IReadOnlyList<string> Bodies
    {
        get
        {
            lock (_bodies) return [.. _bodies];
        }
    }

    /// <summary>Answers each post with the next of <paramref name="answers"/>, then 200.</summary>
    public static WebhookReceiver Start(params int[] answers)
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return new WebhookReceiver(port, answers);
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            using (var reader = new StreamReader(context.Request.InputStream))
            {
                var body = await reader.ReadToEndAsync();
                lock (_bodies) _bodies.Add(body);
            }
            lock (_answers)
                context.Response.StatusCode = _answers.Count > 0 ? _answers.Dequeue() : 200;
            context.Response.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
    }
}

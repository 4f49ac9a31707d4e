using Sluice.Core.Telemetry;

namespace Sluice.Destinations.Http;

/// <summary>An answer with an HTTP status, so <see cref="RetryPolicy{T}"/> counts the call by status class.</summary>
public interface IHttpAnswer
{
    int Status { get; }
}

/// <summary>Counts one service's calls, retries and throttling (<see cref="SluiceTelemetry"/>); tags hold the service name only.</summary>
internal sealed class ApiTelemetry(string service)
{
    private readonly KeyValuePair<string, object?> _service = new(SluiceTelemetry.Tags.Service, service.ToLowerInvariant());

    public void Answered(IHttpAnswer answer)
    {
        SluiceTelemetry.ApiCalls.Add(1, _service, new(SluiceTelemetry.Tags.StatusClass, SluiceTelemetry.StatusClass(answer.Status)));
        if (answer.Status == 429)
            SluiceTelemetry.Throttled.Add(1, _service);
    }

    /// <summary>A call that got no answer (connection refused or dropped, timed out).</summary>
    public void Failed() => SluiceTelemetry.ApiCalls.Add(1, _service, new(SluiceTelemetry.Tags.StatusClass, "error"));

    public void Retrying(object? answer, Exception? error, FailureKind kind)
    {
        var reason = (answer, error) switch
        {
            (IHttpAnswer { Status: 429 }, _) => "throttled",
            (IHttpAnswer { Status: 408 }, _) => "timeout",
            (IHttpAnswer { Status: >= 500 }, _) => "server_error",
            (_, not null) when kind == FailureKind.Unreachable => "unreachable",
            (_, OperationCanceledException or TimeoutException) => "timeout",
            (_, not null) => "connection",
            _ => "transient",
        };
        SluiceTelemetry.Retries.Add(1, _service, new(SluiceTelemetry.Tags.RetryReason, reason));
    }

    public void Paced(TimeSpan wait) => SluiceTelemetry.PacingWait.Record(wait.TotalSeconds, _service);
}

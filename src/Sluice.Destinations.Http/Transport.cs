using System.Net.Sockets;

namespace Sluice.Destinations.Http;

/// <summary>Reads what an exception from <see cref="HttpClient"/> says about the call.</summary>
public static class Transport
{
    /// <summary>
    /// True when no connection could be made (refused, unknown host, unreachable network): the request never left,
    /// so resending is safe even for a call that creates something.
    /// </summary>
    public static bool IsUnreachable(Exception exception) => exception switch
    {
        HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError } => true,
        HttpRequestException { InnerException: SocketException s } => s.SocketErrorCode is SocketError.ConnectionRefused
            or SocketError.HostNotFound or SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.TryAgain,
        _ => false,
    };

    /// <summary>
    /// True for a failure of the transport (connection dropped or refused, HttpClient's own timeout), as opposed to
    /// the caller's cancellation or a bug.
    /// </summary>
    public static bool IsFailure(Exception exception, CancellationToken callerToken) => exception switch
    {
        HttpRequestException or IOException or TimeoutException => true,
        OperationCanceledException => !callerToken.IsCancellationRequested,
        _ => false,
    };

    /// <summary>A short description without URL or secrets: "connection refused", "timed out", "connection dropped".</summary>
    public static string Describe(Exception exception) => exception switch
    {
        HttpRequestException { InnerException: SocketException { SocketErrorCode: SocketError.ConnectionRefused } } => "connection refused",
        HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError } => "host name not found",
        HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } => "could not connect",
        HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded } => "connection closed before the answer",
        HttpRequestException { HttpRequestError: var e } when e != HttpRequestError.Unknown => $"connection failed: {e}",
        OperationCanceledException or TimeoutException => "timed out",
        _ => "connection dropped",
    };

    /// <summary>The verdict on a transport failure: unreachable (quick, few retries) or transient.</summary>
    public static Verdict Judge(Exception exception) =>
        IsUnreachable(exception) ? Verdict.Unreachable(Describe(exception)) : Verdict.Transient(Describe(exception));
}

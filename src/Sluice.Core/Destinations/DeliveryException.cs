namespace Sluice.Core.Destinations;

/// <summary>The categories of run errors users recognise (warnings.md).</summary>
public enum ErrorCategory
{
    Connection,
    Authentication,
    Permission,
    RateLimit,
    Configuration,
    Timeout,
    NotFound,
    Destination,

    /// <summary>The model's source failed: its SQL, its file, its connection.</summary>
    Source,

    /// <summary>The run was cancelled (Ctrl+C, a stopping host).</summary>
    Cancelled,

    /// <summary>The project's state could not be read or written.</summary>
    State,
}

/// <summary>
/// A destination failure that stops the run: the service can't be reached, refuses the credentials,
/// the daily API limit would be exhausted... The message is shown to users as is, so it says what
/// happened and what to do, and never contains a secret.
/// </summary>
public sealed class DeliveryException : Exception
{
    public DeliveryException(ErrorCategory category, string message, Exception? inner = null)
        : base(message, inner)
    {
        Category = category;
    }

    public ErrorCategory Category { get; }
}

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

using System.Globalization;
using System.Net.Http.Headers;

namespace Sluice.Destinations.Http;

/// <summary>
/// The one reading of <c>Retry-After</c> for every destination: delta-seconds or an HTTP-date, never negative,
/// never more than <see cref="Cap"/> (a wait longer than that is better spent failing the run with a clear message).
/// </summary>
public static class RetryAfter
{
    /// <summary>The longest wait a service can ask for; longer asks are cut to this.</summary>
    public static readonly TimeSpan Cap = TimeSpan.FromMinutes(2);

    /// <summary>The wait the answer asks for, or null when it has no readable Retry-After.</summary>
    public static TimeSpan? From(HttpResponseMessage response, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(time);
        if (response.Headers.RetryAfter is { } parsed)
            return From(parsed, time.GetUtcNow());
        // A value the strict header parser refused (a fractional "1.5"...) may still be readable.
        return response.Headers.TryGetValues("Retry-After", out var values)
            ? Parse(values.FirstOrDefault(), time.GetUtcNow())
            : null;
    }

    /// <summary>Reads a Retry-After value: seconds (<c>7</c>, <c>1.5</c>) or an HTTP-date (<c>Wed, 21 Oct 2015 07:28:00 GMT</c>).</summary>
    public static TimeSpan? Parse(string? value, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(value))
            return null;
        var text = value.Trim();
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
            return double.IsFinite(seconds) ? Clamp(seconds >= Cap.TotalSeconds ? Cap : TimeSpan.FromSeconds(seconds)) : null;
        if (DateTimeOffset.TryParseExact(text, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date)
            || DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out date))
            return Clamp(date - now);
        return null;
    }

    private static TimeSpan? From(RetryConditionHeaderValue header, DateTimeOffset now) =>
        header.Delta is { } delta ? Clamp(delta)
        : header.Date is { } date ? Clamp(date - now)
        : null;

    private static TimeSpan Clamp(TimeSpan wait) => wait < TimeSpan.Zero ? TimeSpan.Zero : wait > Cap ? Cap : wait;
}

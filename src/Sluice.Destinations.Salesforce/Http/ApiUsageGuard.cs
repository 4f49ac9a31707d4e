using System.Globalization;
using Sluice.Core.Destinations;

namespace Sluice.Destinations.Salesforce.Http;

/// <summary>
/// Tracks the org's daily API usage from <c>Sforce-Limit-Info: api-usage=N/MAX</c> and refuses a call that
/// would eat into the reserve the user keeps for other integrations. Thread-safe.
/// </summary>
internal sealed class ApiUsageGuard(double reservePercent)
{
    private readonly Lock _gate = new();
    private long _used = -1;
    private long _max = -1;

    public double ReservePercent { get; } = reservePercent;

    public (long Used, long Max)? Usage
    {
        get
        {
            lock (_gate)
                return _max > 0 ? (_used, _max) : null;
        }
    }

    /// <summary>Counts a call about to be made; throws when it would go below the reserve.</summary>
    public void BeforeCall()
    {
        lock (_gate)
        {
            if (_max <= 0)
                return; // Nothing known yet: the first answer tells.
            var remaining = Math.Max(0, _max - _used);
            var reserve = (long)Math.Ceiling(_max * ReservePercent / 100.0);
            if (remaining - 1 < reserve)
                throw new DeliveryException(ErrorCategory.RateLimit, Messages.ReserveReached(remaining, _max, ReservePercent));
            // Count it now so concurrent calls see each other before their answers arrive.
            _used++;
        }
    }

    public void Observe(string? header)
    {
        if (!TryParse(header, out var used, out var max))
            return;
        lock (_gate)
        {
            // Answers arrive out of order; the highest count is the freshest lower bound.
            _used = _max == max ? Math.Max(_used, used) : used;
            _max = max;
        }
    }

    internal static bool TryParse(string? header, out long used, out long max)
    {
        used = max = 0;
        if (string.IsNullOrEmpty(header))
            return false;
        foreach (var part in header.Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!part.StartsWith("api-usage=", StringComparison.OrdinalIgnoreCase))
                continue;
            var value = part["api-usage=".Length..];
            var slash = value.IndexOf('/', StringComparison.Ordinal);
            return slash > 0
                && long.TryParse(value[..slash], NumberStyles.Integer, CultureInfo.InvariantCulture, out used)
                && long.TryParse(value[(slash + 1)..], NumberStyles.Integer, CultureInfo.InvariantCulture, out max)
                && max > 0;
        }
        return false;
    }
}

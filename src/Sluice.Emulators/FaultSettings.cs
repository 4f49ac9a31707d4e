using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sluice.Emulators;

/// <summary>
/// The one JSON vocabulary of <see cref="FaultOptions"/>, shared by every emulator's <c>/_emulator/faults</c> and the
/// CLI's <c>--faults</c>. Names are camelCase and matched without regard to case; durations take a TimeSpan string
/// (<c>"00:00:00.200"</c>) or a number of milliseconds, and each has a <c>...Ms</c> alias that takes milliseconds.
/// A change is checked whole: on any error nothing is applied.
/// </summary>
public static class FaultSettings
{
    private static readonly string[] Names =
    [
        "errorRate", "latency", "latencyMs", "throttleBurstEvery", "throttleBurstLength", "throttleRetryAfterSeconds",
        "dropConnectionRate", "applyThenDropRate", "applyThenDelayRate", "applyThenDelay", "applyThenDelayMs",
        "bulkJobDelay", "bulkJobDelayMs", "seed",
    ];

    /// <summary>Parses a JSON object of settings onto <paramref name="target"/>. Returns an error message, or null when applied.</summary>
    public static string? Apply(string json, FaultOptions target, bool bulkJobs)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonNode? body;
        try
        {
            body = JsonNode.Parse(json);
        }
        catch (JsonException e)
        {
            return $"The fault settings are not valid JSON: {e.Message}";
        }
        return Apply(body, target, bulkJobs);
    }

    /// <summary>
    /// Applies a JSON object of settings to a running emulator's faults; a <c>seed</c> in it restarts the random
    /// choices from that seed. Returns an error message, or null when applied.
    /// </summary>
    public static string? Apply(JsonNode? body, FaultInjector injector, bool bulkJobs)
    {
        ArgumentNullException.ThrowIfNull(injector);
        var error = Apply(body, injector.Options, bulkJobs);
        if (error is null && injector.Options.Seed is { } seed
            && ((JsonObject)body!).Any(p => string.Equals(p.Key, "seed", StringComparison.OrdinalIgnoreCase)))
            injector.Reseed(seed);
        return error;
    }

    /// <summary>Applies a JSON object of settings to <paramref name="target"/>. Returns an error message, or null when applied.</summary>
    public static string? Apply(JsonNode? body, FaultOptions target, bool bulkJobs)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (body is not JsonObject settings)
            return "Expected a JSON object of fault settings, e.g. {\"errorRate\":0.1,\"latency\":\"00:00:00.200\"}.";
        var next = target.Clone();
        foreach (var (name, value) in settings)
        {
            var known = Array.Find(Names, n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase));
            if (known is null)
                return $"Unknown fault setting '{name}'. Known settings: {string.Join(", ", Names)}.";
            if (known.StartsWith("bulkJobDelay", StringComparison.Ordinal) && !bulkJobs)
                return $"'{known}' applies to the Salesforce emulator only (Bulk API ingest jobs).";
            var error = Set(next, known, value);
            if (error is not null)
                return $"Fault setting '{known}': {error}";
        }
        target.CopyFrom(next);
        return null;
    }

    private static string? Set(FaultOptions o, string name, JsonNode? value)
    {
        switch (name)
        {
            case "errorRate": return Rate(value, v => o.ErrorRate = v);
            case "dropConnectionRate": return Rate(value, v => o.DropConnectionRate = v);
            case "applyThenDropRate": return Rate(value, v => o.ApplyThenDropRate = v);
            case "applyThenDelayRate": return Rate(value, v => o.ApplyThenDelayRate = v);
            case "latency": return Duration(value, v => o.Latency = v, textAllowed: true);
            case "latencyMs": return Duration(value, v => o.Latency = v, textAllowed: false);
            case "applyThenDelay": return Duration(value, v => o.ApplyThenDelay = v, textAllowed: true);
            case "applyThenDelayMs": return Duration(value, v => o.ApplyThenDelay = v, textAllowed: false);
            case "bulkJobDelay": return Duration(value, v => o.BulkJobDelay = v, textAllowed: true);
            case "bulkJobDelayMs": return Duration(value, v => o.BulkJobDelay = v, textAllowed: false);
            case "throttleBurstEvery": return Integer(value, 0, v => o.ThrottleBurstEvery = v!.Value, nullable: false);
            case "throttleBurstLength": return Integer(value, 1, v => o.ThrottleBurstLength = v!.Value, nullable: false);
            case "throttleRetryAfterSeconds": return Integer(value, 0, v => o.ThrottleRetryAfterSeconds = v, nullable: true);
            default: return Integer(value, int.MinValue, v => o.Seed = v, nullable: true);
        }
    }

    private static string? Rate(JsonNode? value, Action<double> set)
    {
        if (value is not JsonValue v || v.GetValueKind() != JsonValueKind.Number || !v.TryGetValue<double>(out var rate))
            return "expected a number between 0 and 1.";
        if (!(rate is >= 0 and <= 1))
            return $"{rate.ToString(CultureInfo.InvariantCulture)} is not between 0 and 1.";
        set(rate);
        return null;
    }

    private static string? Duration(JsonNode? value, Action<TimeSpan> set, bool textAllowed)
    {
        var expected = textAllowed ? "expected a duration like \"00:00:00.200\" or a number of milliseconds." : "expected a number of milliseconds.";
        TimeSpan duration;
        if (value is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var ms) && double.IsFinite(ms))
        {
            if (ms is < 0 or > 86_400_000d * 30)
                return "must be between 0 and 30 days.";
            duration = TimeSpan.FromMilliseconds(ms);
        }
        else if (textAllowed && value is JsonValue t && t.GetValueKind() == JsonValueKind.String
            && TimeSpan.TryParse(t.GetValue<string>(), CultureInfo.InvariantCulture, out duration))
        {
            if (duration < TimeSpan.Zero)
                return "must not be negative.";
        }
        else
        {
            return expected;
        }
        set(duration);
        return null;
    }

    private static string? Integer(JsonNode? value, int min, Action<int?> set, bool nullable)
    {
        if (value is null)
        {
            if (!nullable)
                return "expected a whole number, not null.";
            set(null);
            return null;
        }
        if (value is not JsonValue v || v.GetValueKind() != JsonValueKind.Number || !v.TryGetValue<int>(out var n))
            return nullable ? "expected a whole number or null." : "expected a whole number.";
        if (n < min)
            return $"must be at least {min}.";
        set(n);
        return null;
    }

    /// <summary>The current settings, in the same names (durations both as text and as <c>...Ms</c>).</summary>
    public static JsonObject ToJson(FaultOptions o, bool bulkJobs)
    {
        ArgumentNullException.ThrowIfNull(o);
        var json = new JsonObject
        {
            ["errorRate"] = o.ErrorRate,
            ["latency"] = Text(o.Latency),
            ["latencyMs"] = o.Latency.TotalMilliseconds,
            ["throttleBurstEvery"] = o.ThrottleBurstEvery,
            ["throttleBurstLength"] = o.ThrottleBurstLength,
            ["throttleRetryAfterSeconds"] = o.ThrottleRetryAfterSeconds,
            ["dropConnectionRate"] = o.DropConnectionRate,
            ["applyThenDropRate"] = o.ApplyThenDropRate,
            ["applyThenDelayRate"] = o.ApplyThenDelayRate,
            ["applyThenDelay"] = Text(o.ApplyThenDelay),
            ["applyThenDelayMs"] = o.ApplyThenDelay.TotalMilliseconds,
        };
        if (bulkJobs)
        {
            json["bulkJobDelay"] = Text(o.BulkJobDelay);
            json["bulkJobDelayMs"] = o.BulkJobDelay.TotalMilliseconds;
        }
        json["seed"] = o.Seed;
        return json;
    }

    /// <summary>The injected-fault counts, for each emulator's <c>/_emulator/stats</c> as <c>faultsInjected</c>.</summary>
    public static JsonObject CountsJson(InjectedFaultCounts c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return new JsonObject
        {
            ["serverErrors"] = c.ServerErrors,
            ["throttles"] = c.Throttles,
            ["droppedConnections"] = c.DroppedConnections,
            ["appliedThenDropped"] = c.AppliedThenDropped,
            ["appliedThenDelayed"] = c.AppliedThenDelayed,
        };
    }

    private static string Text(TimeSpan t) => t.ToString("c", CultureInfo.InvariantCulture);
}

using System.Globalization;

namespace Sluice.Core.Destinations;

/// <summary>
/// A destination's options as written in <c>sluice.yaml</c>, with <c>${VAR}</c> already resolved and
/// defaults applied from the provider's <see cref="OptionSpec"/>s. Validation has already checked types
/// and required options, so the typed getters only fail on programming errors.
/// </summary>
public sealed class DestinationSettings
{
    private readonly IReadOnlyDictionary<string, string> _values;

    public DestinationSettings(string name, string type, IReadOnlyDictionary<string, string> values)
    {
        Name = name;
        Type = type;
        _values = values;
    }

    /// <summary>The destination's name in <c>sluice.yaml</c> (e.g. <c>iterable</c>).</summary>
    public string Name { get; }

    /// <summary>The destination type (e.g. <c>iterable</c>, <c>salesforce</c>).</summary>
    public string Type { get; }

    public string? GetString(string option) => _values.TryGetValue(option, out var v) && v.Length > 0 ? v : null;

    public string GetRequiredString(string option) =>
        GetString(option) ?? throw new InvalidOperationException($"Destination '{Name}' has no '{option}' option.");

    public int? GetInt(string option) =>
        GetString(option) is { } v ? int.Parse(v, NumberStyles.Integer, CultureInfo.InvariantCulture) : null;

    public double? GetDouble(string option) =>
        GetString(option) is { } v ? double.Parse(v.TrimEnd('%'), NumberStyles.Float, CultureInfo.InvariantCulture) : null;

    public bool? GetBool(string option) => GetString(option) is { } v ? bool.Parse(v) : null;

    /// <summary>Settings for tests and code that builds a destination without a project file.</summary>
    public static DestinationSettings From(string name, string type, params (string Key, string Value)[] values) =>
        new(name, type, values.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal));
}

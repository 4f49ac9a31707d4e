using System.Globalization;

namespace Sluice.Bench;

/// <summary>
/// The few <c>--name value</c> options and <c>--flag</c>s a subcommand takes. Unknown options are an error, so
/// a typo never silently runs a benchmark with its defaults.
/// </summary>
internal sealed class BenchArgs
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public BenchArgs(IEnumerable<string> args)
    {
        string? pending = null;
        foreach (var arg in args)
        {
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                if (pending is not null)
                    _values[pending] = null;
                var eq = arg.IndexOf('=', StringComparison.Ordinal);
                if (eq > 0)
                {
                    _values[arg[2..eq]] = arg[(eq + 1)..];
                    pending = null;
                }
                else
                {
                    pending = arg[2..];
                }
            }
            else if (pending is not null)
            {
                _values[pending] = arg;
                pending = null;
            }
            else
            {
                throw new UsageException($"Unexpected argument '{arg}'.");
            }
        }
        if (pending is not null)
            _values[pending] = null;
    }

    public string? String(string name, string? fallback = null)
    {
        _read.Add(name);
        return _values.TryGetValue(name, out var value) ? value ?? throw new UsageException($"--{name} needs a value.") : fallback;
    }

    public long Long(string name, long fallback)
    {
        var text = String(name);
        if (text is null)
            return fallback;
        // Accept 10_000_000, 10,000,000 and 10M-style shorthands.
        var clean = text.Replace("_", "", StringComparison.Ordinal).Replace(",", "", StringComparison.Ordinal);
        var multiplier = 1L;
        if (clean.EndsWith('k') || clean.EndsWith('K'))
            (multiplier, clean) = (1_000, clean[..^1]);
        else if (clean.EndsWith('m') || clean.EndsWith('M'))
            (multiplier, clean) = (1_000_000, clean[..^1]);
        return long.TryParse(clean, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? value * multiplier
            : throw new UsageException($"--{name} must be a whole number, not '{text}'.");
    }

    public double Double(string name, double fallback)
    {
        var text = String(name);
        if (text is null)
            return fallback;
        return double.TryParse(text.TrimEnd('%'), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? value
            : throw new UsageException($"--{name} must be a number, not '{text}'.");
    }

    public bool Flag(string name)
    {
        _read.Add(name);
        if (!_values.TryGetValue(name, out var value))
            return false;
        return value is null || value is "true" or "on" or "yes" or "1"
            || (value is "false" or "off" or "no" or "0"
                ? false
                : throw new UsageException($"--{name} takes no value (or on/off), not '{value}'."));
    }

    public string Choice(string name, string fallback, params string[] choices)
    {
        var value = String(name, fallback)!;
        return choices.Contains(value, StringComparer.Ordinal)
            ? value
            : throw new UsageException($"--{name} must be one of {string.Join(", ", choices)}, not '{value}'.");
    }

    /// <summary>Throws when an option was given that the subcommand never asked for.</summary>
    public void RejectUnknown()
    {
        var unknown = _values.Keys.Where(k => !_read.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw new UsageException($"Unknown option(s): {string.Join(", ", unknown.Select(u => "--" + u))}.");
    }
}

/// <summary>A bad command line: printed as is, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

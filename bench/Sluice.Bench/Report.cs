using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sluice.Bench;

/// <summary>
/// Prints a benchmark's figures as plain <c>name: value</c> lines and collects them for the final JSON line,
/// which scripts (and BENCHMARKS.md updates) read.
/// </summary>
internal sealed class Report(string bench)
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = false,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
    private readonly JsonObject _json = new() { ["bench"] = bench };

    public JsonObject Json => _json;

    public void Line(string name, object? value, string? unit = null)
    {
        Console.Out.WriteLine($"{name}: {Format(value)}{(unit is null ? "" : " " + unit)}");
        _json[Key(name)] = JsonValue(value);
    }

    /// <summary>"peak rss (MiB)" becomes "peak_rss_mib".</summary>
    private static string Key(string name)
    {
        var chars = name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray();
        return string.Join('_', new string(chars).Split('_', StringSplitOptions.RemoveEmptyEntries));
    }

    public static void Note(string text) => Console.Out.WriteLine("# " + text);

    public void Finish() => Console.Out.WriteLine(_json.ToJsonString(JsonOptions));

    public static string Format(object? value) => value switch
    {
        null => "-",
        double d => d.ToString(Math.Abs(d) >= 100 ? "N0" : Math.Abs(d) >= 10 ? "0.0" : "0.000", CultureInfo.InvariantCulture),
        long or int => ((IFormattable)value).ToString("N0", CultureInfo.InvariantCulture),
        bool b => b ? "yes" : "no",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static JsonNode? JsonValue(object? value) => value switch
    {
        null => null,
        JsonNode node => node.DeepClone(),
        double d => Math.Round(d, 4),
        long l => l,
        int i => i,
        bool b => b,
        _ => Convert.ToString(value, CultureInfo.InvariantCulture),
    };
}

internal static class Stats
{
    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}

/// <summary>What this machine is, and how busy it is right now (benchmarks on 2 shared cores are noisy).</summary>
internal static class Machine
{
    public static int Cores => Environment.ProcessorCount;

    public static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line?.Split(':', 2)[1].Trim() ?? "unknown";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    public static double MemoryGiB()
    {
        var kb = ReadKb("/proc/meminfo", "MemTotal:");
        return kb is null ? 0 : kb.Value / 1024.0 / 1024.0;
    }

    /// <summary>The 1-minute load average (above the core count, figures are slowed by other work).</summary>
    public static double Load()
    {
        try
        {
            return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return -1;
        }
    }

    /// <summary>Peak resident set size of this process so far (VmHWM), in MiB.</summary>
    public static double PeakRssMiB() => (ReadKb("/proc/self/status", "VmHWM:") ?? 0) / 1024.0;

    /// <summary>Peak resident set size of another process (read before it exits), in MiB.</summary>
    public static double PeakRssMiB(int pid)
    {
        try
        {
            return (ReadKb($"/proc/{pid}/status", "VmHWM:") ?? 0) / 1024.0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    public static void Describe(Report report)
    {
        report.Line("machine", $"{Cores} cores, {CpuModel()}, {MemoryGiB():0.0} GiB");
        report.Line("load before", Load());
#if DEBUG
        Report.Note("WARNING: built in Debug; build with -c Release for meaningful figures.");
#endif
    }

    private static long? ReadKb(string file, string field)
    {
        var line = File.ReadLines(file).FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
        if (line is null)
            return null;
        var number = line[field.Length..].Trim().Split(' ')[0];
        return long.Parse(number, CultureInfo.InvariantCulture);
    }
}

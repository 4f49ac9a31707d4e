using System.Data.Common;
using System.Text.Json;

namespace Sluice.Core.State;

/// <summary>
/// How a run is stored as a row, the same in every store: the columns <c>run_id, sync, started_at, finished_at, status,
/// full_resync, counts, warnings, error</c>, with counts and warnings as JSON.
/// </summary>
public static class RunRows
{
    /// <summary>The run at the reader's current row, whose columns are in the stored order.</summary>
    public static RunRecord Read(DbDataReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return new RunRecord(
            reader.GetInt64(0),
            reader.GetString(1),
            reader.GetDateTime(2),
            reader.IsDBNull(3) ? null : reader.GetDateTime(3),
            Enum.Parse<RunStatus>(reader.GetString(4), ignoreCase: true),
            reader.GetBoolean(5),
            reader.IsDBNull(6) ? new RunCounts() : JsonSerializer.Deserialize<RunCounts>(reader.GetString(6))!,
            Warnings(reader.IsDBNull(7) ? null : reader.GetString(7)),
            reader.IsDBNull(8) ? null : reader.GetString(8));
    }

    /// <summary>Every run <paramref name="command"/> selects (its columns in the stored order).</summary>
    public static async Task<IReadOnlyList<RunRecord>> ReadAllAsync(DbCommand command, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(command);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var runs = new List<RunRecord>();
        while (await reader.ReadAsync(ct))
            runs.Add(Read(reader));
        return runs;
    }

    /// <summary>A run's warnings from their stored JSON (none when null).</summary>
    public static List<string> Warnings(string? json) => json is null ? [] : JsonSerializer.Deserialize<List<string>>(json) ?? [];

    /// <summary>The stored warnings with <paramref name="warning"/> added, as stored; null when it is there already.</summary>
    public static string? WithWarning(string? json, string warning)
    {
        var warnings = Warnings(json);
        if (warnings.Contains(warning))
            return null;
        warnings.Add(warning);
        return JsonSerializer.Serialize(warnings);
    }
}

using System.Data.Common;

namespace Sluice.Core.State;

/// <summary>How a pause is stored as a row, the same in every store: the columns of <see cref="Columns"/>.</summary>
public static class PauseRows
{
    /// <summary>The stored columns, in the order <see cref="ReadAllAsync"/> reads them.</summary>
    public const string Columns = "sync, part, reason, since, run_id, checked_at";

    /// <summary>Every pause <paramref name="command"/> selects (its columns those of <see cref="Columns"/>).</summary>
    public static async Task<IReadOnlyList<PauseRecord>> ReadAllAsync(DbCommand command, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(command);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var pauses = new List<PauseRecord>();
        while (await reader.ReadAsync(ct))
        {
            pauses.Add(new PauseRecord(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetDateTime(3),
                reader.IsDBNull(4) ? null : reader.GetInt64(4), reader.IsDBNull(5) ? null : reader.GetDateTime(5)));
        }
        return pauses;
    }
}

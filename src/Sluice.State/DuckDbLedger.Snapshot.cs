using System.Runtime.CompilerServices;
using DuckDB.NET.Data;
using Sluice.Core.Destinations;
using Sluice.Core.State;

namespace Sluice.State;

// The ledger's read-out (what another store's planner or a migration copies) and its write-in (a scratch copy).
public sealed partial class DuckDbLedger
{
    public async IAsyncEnumerable<LedgerRecord> ReadLedgerAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        await CompactAsync(ct);
        await foreach (var r in StreamAsync(
                           $"SELECT CAST(key AS VARCHAR), hash, dest_id, delivered_at, match_hash FROM {LedgerName} ORDER BY 1", ct))
        {
            yield return new LedgerRecord(r.GetString(0), r.GetFieldValue<ulong>(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetDateTime(3),
                r.IsDBNull(4) ? null : r.GetFieldValue<ulong>(4));
        }
    }

    public async IAsyncEnumerable<InDoubtRecord> ReadInDoubtAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        await foreach (var r in StreamAsync($"SELECT key, op, match_value, hash, run_id, batch FROM {TableName("in_doubt")} ORDER BY run_id, batch, key", ct))
        {
            yield return new InDoubtRecord(new BatchId(r.GetInt64(4), r.GetInt32(5)),
                new InDoubtWrite(r.GetString(0), ParseOperation(r.GetString(1)), r.IsDBNull(2) ? null : r.GetString(2), r.GetFieldValue<ulong>(3)));
        }
    }

    public async IAsyncEnumerable<CreatedId> ReadCreatedIdsAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        await foreach (var r in StreamAsync($"SELECT key, dest_id FROM {TableName("created_ids")} ORDER BY key, dest_id", ct))
            yield return new CreatedId(r.GetString(0), r.GetString(1));
    }

    /// <summary>An operation as the ledgers store it (<see cref="OperationCode"/>).</summary>
    public static RecordOperation ParseOperation(string code) => Enum.Parse<RecordOperation>(code, ignoreCase: true);

    private async IAsyncEnumerable<DuckDBDataReader> StreamAsync(string sql, [EnumeratorCancellation] CancellationToken ct)
    {
        // A connection of its own (tables named with their catalog): the read streams while the ledger's own may be writing.
        await using var connection = NewConnection();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.UseStreamingMode = true;
        await using var reader = (DuckDBDataReader)await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            yield return reader;
    }

    /// <summary>
    /// Fills an empty ledger with another ledger's read-out (a scratch copy to plan against): entries, writes in doubt and
    /// created ids, keys as text.
    /// </summary>
    internal async Task ImportAsync(ISyncLedger source, CancellationToken ct)
    {
        await _writeGate.WaitAsync(ct);
        try
        {
            using (var appender = _connection.CreateAppender("ledger"))
            {
                await foreach (var e in source.ReadLedgerAsync(ct))
                {
                    appender.CreateRow().AppendValue(e.Key).AppendValue(e.Hash).AppendValue(e.DestinationId).AppendValue(e.DeliveredAt)
                        .AppendValue(e.MatchHash).EndRow();
                }
            }
            using (var appender = _connection.CreateAppender("in_doubt"))
            {
                await foreach (var d in source.ReadInDoubtAsync(ct))
                {
                    appender.CreateRow().AppendValue(d.Write.Key).AppendValue(OperationCode(d.Write.Operation)).AppendValue(d.Write.MatchValue)
                        .AppendValue(d.Write.Hash).AppendValue(d.Batch.RunId).AppendValue(d.Batch.Number).EndRow();
                }
            }
            using (var appender = _connection.CreateAppender("created_ids"))
            {
                await foreach (var c in source.ReadCreatedIdsAsync(ct))
                    appender.CreateRow().AppendValue(c.Key).AppendValue(c.DestinationId).EndRow();
            }
        }
        finally
        {
            _writeGate.Release();
        }
    }
}

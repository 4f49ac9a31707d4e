using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Sluice.Core.Destinations;

namespace Sluice.Destinations.Iterable;

/// <summary>
/// Delivers batches through <c>POST /api/users/bulkUpdate</c>: per-user failures become Rejected rows, a
/// whole-request type mismatch is isolated with single <c>users/update</c> calls, and update mode looks users
/// up first so it never creates one.
/// </summary>
internal sealed partial class IterableWriter : IDestinationWriter
{
    // Bulk requests are limited to 5/s per project: a few in flight keep that pipe full without piling up 429s.
    internal const int DefaultMaxConcurrency = 4;
    private const int LookupParallelism = 16;
    private const int SingleUpdateParallelism = 32;

    private static readonly byte[] BulkPrefix = "{\"users\":["u8.ToArray();

    private readonly IterableApiClient _client;
    private readonly IterableSettings _settings;
    private readonly ILogger _logger;
    private readonly bool _byEmail;
    private readonly JsonEncodedText _idName;
    private readonly StringComparer _idComparer;
    private readonly byte[] _bulkSuffix;
    private readonly byte[] _singleSuffix;
    private readonly bool[] _jsonFields;
    private readonly ConcurrentBag<UserJson> _buffers = [];

    // Set once Iterable refuses users/updateEmail as such (it is for email-based projects only): later email changes
    // go straight to users/update with the new email in dataFields (hybrid projects).
    private volatile bool _updateEmailRefused;

    public IterableWriter(IterableApiClient client, IterableSettings settings, SyncContext sync, ILogger logger)
    {
        _client = client;
        _settings = settings;
        _logger = logger;
        _byEmail = sync.Match.Field == FieldRules.Email;
        _idName = JsonEncodedText.Encode(_byEmail ? FieldRules.Email : FieldRules.UserId);
        // Iterable treats emails case-insensitively; userIds are case-sensitive.
        _idComparer = _byEmail ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;
        var create = settings.CreateNewFields ? "true" : "false";
        _bulkSuffix = Encoding.UTF8.GetBytes($"],\"createNewFields\":{create}}}");
        _singleSuffix = Encoding.UTF8.GetBytes($",\"createNewFields\":{create}}}");
        // Lists, structs, maps and JSON columns arrive as JSON text and go out as JSON values (arrays, objects).
        _jsonFields = sync.Mappings
            .Select(m => IterableDestinationProvider.FindColumn(sync, m.Column) is { } c && FieldRules.JsonShape(c) is not null)
            .ToArray();
    }

    public int BatchSize => _settings.BatchSize;

    public int MaxConcurrency => DefaultMaxConcurrency;

    public async Task<IReadOnlyList<RecordResult>> WriteAsync(DeliveryBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (!_buffers.TryTake(out var json))
            json = new UserJson(batch.Records.Count * 128);
        try
        {
            var run = new BatchRun(this, batch, json);
            await run.ExecuteAsync(cancellationToken).ConfigureAwait(false);
            return run.Results();
        }
        finally
        {
            json.Clear();
            _buffers.Add(json);
        }
    }

    /// <summary>Iterable has no create-only operation here, so there is never anything to reconcile.</summary>
    public Task<IReadOnlyList<RecordResult>> ReconcileAsync(DeliveryBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        IReadOnlyList<RecordResult> results = batch.Records.Select(r => RecordResult.NotFound(r.Key)).ToArray();
        return Task.FromResult(results);
    }

    public ValueTask DisposeAsync() => default;

    private enum FailureKind : byte
    {
        None,
        InvalidEmail,
        InvalidUserId,
        Forgotten,
        Conflict,
        NotFound,
        InvalidData,
    }

    /// <summary>A serialized user: its record and where its JSON sits in the batch buffer.</summary>
    private readonly record struct Entry(int Index, int Start, int Length);

    /// <summary>The work on one batch; every record ends with exactly one result.</summary>
    private sealed partial class BatchRun
    {
        private readonly IterableWriter _w;
        private readonly DeliveryBatch _batch;
        private readonly UserJson _json;
        private readonly RecordResult?[] _results;
        private readonly string?[] _ids;
        private readonly bool[] _lookedUp;

        public BatchRun(IterableWriter writer, DeliveryBatch batch, UserJson json)
        {
            _w = writer;
            _batch = batch;
            _json = json;
            _results = new RecordResult?[batch.Records.Count];
            _ids = new string?[batch.Records.Count];
            _lookedUp = new bool[batch.Records.Count];
        }

        private IReadOnlyList<DeliveryRecord> Records => _batch.Records;

        public async Task ExecuteAsync(CancellationToken ct)
        {
            var send = new bool[Records.Count];
            List<int>? lookups = null;
            List<int>? renames = null;
            var first = new Dictionary<string, int>(Records.Count, _w._idComparer);
            for (var i = 0; i < Records.Count; i++)
            {
                var record = Records[i];
                var id = IdentifierOf(record.MatchValue);
                if (id is null)
                {
                    _results[i] = RecordResult.RefusedBeforeSending(record.Key, Texts.MissingIdentifier(_w._idName.Value), "MissingIdentifier");
                    continue;
                }
                // Two rows of one identifier would be merged into one user by Iterable: the first (model order) wins.
                if (!first.TryAdd(id, i))
                {
                    _results[i] = RecordResult.RefusedBeforeSending(record.Key,
                        Texts.DuplicateIdentifier(_w._idName.Value, id, Records[first[id]].Key), "DuplicateMatchValue");
                    continue;
                }
                _ids[i] = id;
                if (_w._byEmail && record.Operation is RecordOperation.Upsert or RecordOperation.Update
                    && record.DestinationId is { Length: > 0 } before && !_w._idComparer.Equals(before, id))
                {
                    // Delivered before under another email: change that user's email rather than create a second user.
                    (renames ??= []).Add(i);
                    continue;
                }
                switch (record.Operation)
                {
                    case RecordOperation.Upsert:
                        send[i] = true;
                        break;
                    case RecordOperation.Update when record.DestinationId is { } known && _w._idComparer.Equals(known, id):
                        // Delivered before under this identifier, so the user exists: no lookup needed.
                        send[i] = true;
                        break;
                    case RecordOperation.Update:
                        (lookups ??= []).Add(i);
                        break;
                    default:
                        _results[i] = RecordResult.RefusedBeforeSending(record.Key, Texts.UnsupportedOperation(record.Operation), "UnsupportedOperation");
                        break;
                }
            }

            if (renames is not null)
                await new EmailChanges(this, renames).RunAsync(send, fallback => (lookups ??= []).Add(fallback), ct).ConfigureAwait(false);

            if (lookups is not null)
                await LookUpAsync(lookups, send, ct).ConfigureAwait(false);

            var entries = Serialize(send);
            if (entries.Count > 0)
                await SendBulkAsync(entries, ct).ConfigureAwait(false);
        }

        public IReadOnlyList<RecordResult> Results()
        {
            var results = new RecordResult[_results.Length];
            for (var i = 0; i < results.Length; i++)
            {
                results[i] = _results[i] ?? RecordResult.Rejected(Records[i].Key, Texts.NoAnswer, "NoAnswer");
                if (_lookedUp[i])
                    results[i] = results[i] with { LookedUp = true };
            }
            return results;
        }

        private static string? IdentifierOf(object? matchValue) => matchValue switch
        {
            null => null,
            string s => s.Length == 0 ? null : s,
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => matchValue.ToString() is { Length: > 0 } text ? text : null,
        };

        // Update mode must never create a user, and bulkUpdate always upserts: check existence first (100/s).
        private async Task LookUpAsync(List<int> lookups, bool[] send, CancellationToken ct)
        {
            var options = new ParallelOptions { MaxDegreeOfParallelism = LookupParallelism, CancellationToken = ct };
            await Parallel.ForEachAsync(lookups, options, async (i, token) =>
            {
                _lookedUp[i] = true;
                var id = _ids[i]!;
                var path = _w._byEmail
                    ? "api/users/getByEmail?email=" + Uri.EscapeDataString(id)
                    : "api/users/byUserId?userId=" + Uri.EscapeDataString(id);
                var reply = await _w._client.SendAsync(ApiEndpoint.GetUser, HttpMethod.Get, path, default, notFoundIsFinal: true, token)
                    .ConfigureAwait(false);
                var key = Records[i].Key;
                switch (Exists(reply))
                {
                    case true:
                        send[i] = true;
                        break;
                    case false:
                        _results[i] = RecordResult.NotFound(key, Texts.UserNotFound(_w._idName.Value)) with { Sent = false };
                        break;
                    default:
                        _results[i] = RecordResult.Rejected(key, Texts.LookupRefused(reply), reply.Code ?? $"HTTP{reply.Status}") with { Sent = false };
                        break;
                }
            }).ConfigureAwait(false);
        }

        /// <summary>True: the user exists; false: it doesn't; null: Iterable refused the lookup (bad identifier...).</summary>
        private static bool? Exists(ApiReply reply)
        {
            if (reply.Status == 404 || IterableApiClient.IsNotFoundCode(reply.Code))
                return false;
            if (!reply.IsSuccess)
                return null;
            UserResponse? parsed;
            try
            {
                parsed = reply.Body.Length == 0 ? null : JsonSerializer.Deserialize(reply.Body, IterableJsonContext.Default.UserResponse);
            }
            catch (JsonException)
            {
                return null;
            }
            // The real service answers 200 {} for an unknown user; {"user":{}} is seen in the wild too.
            return parsed?.User is { } user && (!string.IsNullOrEmpty(user.Email) || !string.IsNullOrEmpty(user.UserId));
        }

        private List<Entry> Serialize(bool[] send)
        {
            var fields = _batch.Fields;
            var names = new JsonEncodedText[fields.Count];
            for (var f = 0; f < names.Length; f++)
                names[f] = JsonEncodedText.Encode(fields[f].Field);

            var maxUser = _w._settings.MaxBulkBodyBytes - BulkPrefix.Length - _w._bulkSuffix.Length;
            var entries = new List<Entry>(Records.Count);
            for (var i = 0; i < Records.Count; i++)
            {
                if (!send[i])
                    continue;
                var record = Records[i];
                var start = _json.Length;
                if (!_json.TryAppend(_w._idName, _ids[i]!, names, record.Values, _w._jsonFields, out var bad))
                {
                    _results[i] = RecordResult.RefusedBeforeSending(record.Key, Texts.NotFinite(fields[bad].Column), "InvalidValue");
                    continue;
                }
                var length = _json.Length - start;
                if (length > maxUser)
                {
                    _results[i] = RecordResult.RefusedBeforeSending(record.Key, Texts.UserTooLarge(length), "BatchTooLarge");
                    continue;
                }
                entries.Add(new Entry(i, start, length));
            }
            return entries;
        }

        private async Task SendBulkAsync(List<Entry> entries, CancellationToken ct)
        {
            // Split by count (batch_size) and by bytes (Iterable's 4 MB body limit).
            var chunks = new List<List<Entry>>();
            var overhead = BulkPrefix.Length + _w._bulkSuffix.Length;
            var current = new List<Entry>();
            long bytes = overhead;
            foreach (var entry in entries)
            {
                var added = entry.Length + (current.Count > 0 ? 1 : 0);
                if (current.Count > 0 && (current.Count >= _w._settings.BatchSize || bytes + added > _w._settings.MaxBulkBodyBytes))
                {
                    chunks.Add(current);
                    current = [];
                    bytes = overhead;
                    added = entry.Length;
                }
                current.Add(entry);
                bytes += added;
            }
            chunks.Add(current);

            if (chunks.Count == 1)
                await SendChunkAsync(chunks[0], ct).ConfigureAwait(false);
            else
                await Task.WhenAll(chunks.Select(c => SendChunkAsync(c, ct))).ConfigureAwait(false);
        }

        private async Task SendChunkAsync(List<Entry> chunk, CancellationToken ct)
        {
            var size = BulkPrefix.Length + _w._bulkSuffix.Length + chunk.Count - 1;
            foreach (var entry in chunk)
                size += entry.Length;
            var body = ArrayPool<byte>.Shared.Rent(size);
            ApiReply reply;
            try
            {
                var span = body.AsSpan();
                BulkPrefix.CopyTo(span);
                var at = BulkPrefix.Length;
                var written = _json.Written;
                for (var k = 0; k < chunk.Count; k++)
                {
                    if (k > 0)
                        span[at++] = (byte)',';
                    written.Slice(chunk[k].Start, chunk[k].Length).CopyTo(span[at..]);
                    at += chunk[k].Length;
                }
                _w._bulkSuffix.CopyTo(span[at..]);
                at += _w._bulkSuffix.Length;
                reply = await _w._client.SendAsync(ApiEndpoint.BulkUpdate, HttpMethod.Post, "api/users/bulkUpdate",
                    body.AsMemory(0, at), notFoundIsFinal: false, ct).ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(body);
            }

            if (reply.IsSuccess)
            {
                await ApplyBulkAsync(chunk, reply, ct).ConfigureAwait(false);
                return;
            }

            var code = reply.Code;
            if ((reply.Status == 413 || code == "BatchTooLarge") && chunk.Count > 1)
            {
                // The service's limit is below ours: halve and try again.
                var half = chunk.Count / 2;
                await Task.WhenAll(SendChunkAsync(chunk.GetRange(0, half), ct), SendChunkAsync(chunk.GetRange(half, chunk.Count - half), ct)).ConfigureAwait(false);
                return;
            }
            if (reply.Status == 404 && code is null)
                throw new DeliveryException(ErrorCategory.Configuration, Texts.WrongBaseUrl(_w._settings, "users/bulkUpdate"));

            // RequestFieldsTypesMismatched (or any other whole-request refusal): nothing was stored. Send the users
            // one by one so only the bad ones are rejected, each with Iterable's own reason.
            if (_w._logger.IsEnabled(LogLevel.Information))
                _w._logger.LogInformation("Iterable refused a bulkUpdate of {Count} users (HTTP {Status} {Code}); sending them one by one",
                    chunk.Count, reply.Status, code);
            await SendSinglyAsync(chunk, ct).ConfigureAwait(false);
        }

        private async Task ApplyBulkAsync(List<Entry> chunk, ApiReply reply, CancellationToken ct)
        {
            BulkUpdateResponse? response = null;
            try
            {
                if (reply.Body.Length > 0)
                    response = JsonSerializer.Deserialize(reply.Body, IterableJsonContext.Default.BulkUpdateResponse);
            }
            catch (JsonException)
            {
                // HTTP status first: a 2xx without a readable body still means accepted.
            }

            var kinds = new FailureKind[chunk.Count];
            var identified = 0;
            if (response is not null && (response.FailCount > 0 || response.FailedUpdates is not null
                                          || response.InvalidEmails is { Count: > 0 } || response.InvalidUserIds is { Count: > 0 }))
                identified = Classify(chunk, response, kinds);

            // Failures Iterable counted but didn't name can't be told apart: resend the rest one by one.
            var unidentified = response is not null && response.FailCount > identified;
            if (unidentified && _w._logger.IsEnabled(LogLevel.Warning))
                _w._logger.LogWarning("Iterable reported {Failed} failed users but named {Named}; resending the others one by one",
                    response!.FailCount, identified);

            List<Entry>? singles = null;
            for (var k = 0; k < chunk.Count; k++)
            {
                var i = chunk[k].Index;
                var key = Records[i].Key;
                switch (kinds[k])
                {
                    case FailureKind.None when unidentified:
                    case FailureKind.InvalidData:
                        // invalidData* says "bad data" without saying which: a single update returns the reason.
                        (singles ??= []).Add(chunk[k]);
                        break;
                    case FailureKind.None:
                        _results[i] = RecordResult.Delivered(key, _ids[i]);
                        break;
                    case FailureKind.NotFound:
                        _results[i] = RecordResult.NotFound(key, Texts.BulkNotFound(_w._idName.Value));
                        break;
                    default:
                        var (reason, code) = Texts.BulkFailure(kinds[k] switch
                        {
                            FailureKind.InvalidEmail => BulkFailureKind.InvalidEmail,
                            FailureKind.InvalidUserId => BulkFailureKind.InvalidUserId,
                            FailureKind.Forgotten => BulkFailureKind.Forgotten,
                            _ => BulkFailureKind.Conflict,
                        }, _w._byEmail);
                        _results[i] = RecordResult.Rejected(key, reason, code);
                        break;
                }
            }
            if (singles is not null)
                await SendSinglyAsync(singles, ct).ConfigureAwait(false);
        }

        /// <summary>Marks the chunk's users named in the failure lists. Returns how many were named.</summary>
        private int Classify(List<Entry> chunk, BulkUpdateResponse response, FailureKind[] kinds)
        {
            var byId = new Dictionary<string, List<int>>(chunk.Count, _w._idComparer);
            for (var k = 0; k < chunk.Count; k++)
            {
                var id = _ids[chunk[k].Index]!;
                if (!byId.TryGetValue(id, out var positions))
                    byId[id] = positions = new List<int>(1);
                positions.Add(k);
            }

            var named = 0;
            void Mark(List<string?>? ids, FailureKind kind)
            {
                if (ids is null)
                    return;
                foreach (var id in ids)
                {
                    if (id is null || !byId.TryGetValue(id, out var positions))
                        continue;
                    foreach (var k in positions)
                    {
                        if (kinds[k] != FailureKind.None)
                            continue;
                        kinds[k] = kind;
                        named++;
                    }
                }
            }

            if (response.FailedUpdates is { } f)
            {
                Mark(f.InvalidEmails, FailureKind.InvalidEmail);
                Mark(f.InvalidUserIds, FailureKind.InvalidUserId);
                Mark(f.ForgottenEmails, FailureKind.Forgotten);
                Mark(f.ForgottenUserIds, FailureKind.Forgotten);
                Mark(f.ConflictEmails, FailureKind.Conflict);
                Mark(f.ConflictUserIds, FailureKind.Conflict);
                Mark(f.NotFoundEmails, FailureKind.NotFound);
                Mark(f.NotFoundUserIds, FailureKind.NotFound);
                Mark(f.InvalidDataEmails, FailureKind.InvalidData);
                Mark(f.InvalidDataUserIds, FailureKind.InvalidData);
            }
            // The deprecated top-level copies, for a service that only sends those.
            Mark(response.InvalidEmails, FailureKind.InvalidEmail);
            Mark(response.InvalidUserIds, FailureKind.InvalidUserId);
            return named;
        }

        private async Task SendSinglyAsync(List<Entry> entries, CancellationToken ct)
        {
            var options = new ParallelOptions { MaxDegreeOfParallelism = SingleUpdateParallelism, CancellationToken = ct };
            await Parallel.ForEachAsync(entries, options, async (entry, token) =>
            {
                // The user's JSON without its closing brace, then ,"createNewFields":...}
                var size = entry.Length - 1 + _w._singleSuffix.Length;
                var body = ArrayPool<byte>.Shared.Rent(size);
                ApiReply reply;
                try
                {
                    _json.Written.Slice(entry.Start, entry.Length - 1).CopyTo(body);
                    _w._singleSuffix.CopyTo(body.AsSpan(entry.Length - 1));
                    reply = await _w._client.SendAsync(ApiEndpoint.Update, HttpMethod.Post, "api/users/update",
                        body.AsMemory(0, size), notFoundIsFinal: false, token).ConfigureAwait(false);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(body);
                }

                var i = entry.Index;
                var key = Records[i].Key;
                if (reply.IsSuccess)
                    _results[i] = RecordResult.Delivered(key, _ids[i]);
                else if (reply.Status == 404 && reply.Code is null)
                    throw new DeliveryException(ErrorCategory.Configuration, Texts.WrongBaseUrl(_w._settings, "users/update"));
                else
                    _results[i] = RecordResult.Rejected(key, Texts.SingleFailure(reply, _batch.Fields), reply.Code ?? $"HTTP{reply.Status}");
            }).ConfigureAwait(false);
        }
    }
}

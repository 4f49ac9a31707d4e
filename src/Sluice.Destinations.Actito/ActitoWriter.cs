using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Sluice.Core.Destinations;

namespace Sluice.Destinations.Actito;

/// <summary>What a writer needs to know about the fields it sends.</summary>
/// <param name="MatchField">The unique attribute records are matched on (the import's headerKeyColumn).</param>
/// <param name="MatchFormat">How match values are written.</param>
/// <param name="Formats">How each mapped field is written, aligned with the batch's fields.</param>
internal sealed record FieldLayout(string MatchField, FieldFormat MatchFormat, IReadOnlyDictionary<string, FieldFormat> Formats);

/// <summary>
/// Delivers the batches of one run. Creates, updates and upserts of a batch go through single-profile calls, or through
/// one one-shot ETL execution per operation when the plan chose bulk and the batch holds more than <c>bulk_threshold</c>
/// records of it. Deletes always go one by one (<c>DELETE .../profile/{id}</c>): Actito documents no deletion mode for
/// API imports.
/// </summary>
internal sealed partial class ActitoWriter : IDestinationWriter
{
    private static readonly TimeSpan FirstPoll = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan LongestPoll = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ImportPatience = TimeSpan.FromHours(2);

    private readonly ActitoApi _api;
    private readonly ActitoSettings _settings;
    private readonly FieldLayout _layout;
    private readonly TransportPlan _plan;
    private readonly ImportBudget _budget;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public ActitoWriter(ActitoApi api, ActitoSettings settings, FieldLayout layout, TransportPlan plan, ImportBudget budget,
        TimeProvider time, ILogger logger)
    {
        _api = api;
        _settings = settings;
        _layout = layout;
        _plan = plan;
        _budget = budget;
        _time = time;
        _logger = logger;
    }

    public int BatchSize => _plan.BatchSize;

    public int MaxConcurrency => _plan.MaxConcurrency;

    internal TransportPlan Plan => _plan;

    public async Task<IReadOnlyList<RecordResult>> WriteAsync(DeliveryBatch batch, CancellationToken cancellationToken)
    {
        var results = new RecordResult?[batch.Records.Count];
        var single = new List<int>();
        foreach (var operation in new[] { RecordOperation.Create, RecordOperation.Update, RecordOperation.Upsert, RecordOperation.Delete })
        {
            var indexes = new List<int>();
            for (var i = 0; i < batch.Records.Count; i++)
            {
                if (batch.Records[i].Operation == operation) indexes.Add(i);
            }
            if (indexes.Count == 0) continue;
            if (operation is RecordOperation.Update or RecordOperation.Upsert)
            {
                // An empty import cell may leave the old value in place (Actito does not document it), so a value
                // that was delivered before and is now NULL is cleared by a single call, which sends JSON null.
                var clears = indexes.Where(i => batch.Records[i].DestinationId is not null && batch.Records[i].Values.Any(v => v is null)).ToList();
                single.AddRange(clears);
                indexes.RemoveAll(clears.Contains);
                if (indexes.Count == 0) continue;
            }
            if (_plan.Bulk && operation != RecordOperation.Delete && indexes.Count > _settings.BulkThreshold)
                await ImportAsync(batch, operation, indexes, results, cancellationToken).ConfigureAwait(false);
            else
                single.AddRange(indexes);
        }
        if (single.Count > 0) await SingleCallsAsync(batch, single, results, cancellationToken).ConfigureAwait(false);
        return results.Select((r, i) => r ?? RecordResult.Rejected(batch.Records[i].Key, "No result was produced.", "INTERNAL")).ToArray();
    }

    public async Task<IReadOnlyList<RecordResult>> ReconcileAsync(DeliveryBatch batch, CancellationToken cancellationToken)
    {
        // Large batches are not looked up one by one (100 calls a minute): re-sending them is safe anyway, because
        // creation only ever happens on a unique key, so already-created profiles come back as Skipped.
        if (batch.Records.Count > Math.Max(_settings.BulkThreshold, TransportPlan.SingleCallBatchSize))
            return batch.Records.Select(r => RecordResult.NotFound(r.Key, "not looked up; re-sending is safe (Actito keys are unique)")).ToArray();

        var results = new RecordResult[batch.Records.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, batch.Records.Count),
            new ParallelOptions { MaxDegreeOfParallelism = _settings.MaxConcurrentRequests, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                var record = batch.Records[i];
                var key = MatchText(record);
                if (key is null)
                {
                    results[i] = RecordResult.NotFound(record.Key);
                    return;
                }
                var found = await _api.GetProfileByKeyAsync(_layout.MatchField, key, ct).ConfigureAwait(false);
                results[i] = found.IsSuccess ? RecordResult.Delivered(record.Key, Json.ProfileId(found.Body)) : RecordResult.NotFound(record.Key);
            }).ConfigureAwait(false);
        return results;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    // ---- single-profile calls ----

    private Task SingleCallsAsync(DeliveryBatch batch, List<int> indexes, RecordResult?[] results, CancellationToken cancellationToken) =>
        Parallel.ForEachAsync(indexes,
            new ParallelOptions { MaxDegreeOfParallelism = _settings.MaxConcurrentRequests, CancellationToken = cancellationToken },
            async (i, ct) => results[i] = await SingleAsync(batch, batch.Records[i], ct).ConfigureAwait(false));

    private async Task<RecordResult> SingleAsync(DeliveryBatch batch, DeliveryRecord record, CancellationToken ct)
    {
        if (record.Operation == RecordOperation.Delete) return await DeleteAsync(record, ct).ConfigureAwait(false);

        var key = MatchText(record);
        if (key is null) return RecordResult.Rejected(record.Key, Messages.NoMatchValue, "MISSING_KEY");
        var body = ProfileBody(batch, record, key);
        switch (record.Operation)
        {
            case RecordOperation.Create:
                {
                    var created = await _api.CreateProfileAsync(body, allowUpdate: false, ct).ConfigureAwait(false);
                    if (created.IsSuccess) return RecordResult.Delivered(record.Key, Json.ProfileId(created.Body));
                    // A refused creation is either a profile that already exists (left untouched) or a bad record.
                    var existing = await _api.GetProfileByKeyAsync(_layout.MatchField, key, ct).ConfigureAwait(false);
                    if (existing.IsSuccess)
                    {
                        return RecordResult.Skipped(record.Key, Json.ProfileId(existing.Body),
                            $"A profile with this {_layout.MatchField} already exists; insert mode leaves it untouched.");
                    }
                    return Rejected(record, created);
                }
            case RecordOperation.Upsert:
                {
                    var upserted = await _api.CreateProfileAsync(body, allowUpdate: true, ct).ConfigureAwait(false);
                    return upserted.IsSuccess ? RecordResult.Delivered(record.Key, Json.ProfileId(upserted.Body)) : Rejected(record, upserted);
                }
            default:
                return await UpdateAsync(record, key, body, ct).ConfigureAwait(false);
        }
    }

    private async Task<RecordResult> UpdateAsync(DeliveryRecord record, string key, byte[] body, CancellationToken ct)
    {
        // The profileId from the ledger saves a lookup; when that profile is gone, the key decides.
        if (ProfileIdOf(record) is { } knownId)
        {
            var updated = await _api.UpdateProfileAsync(knownId, body, ct).ConfigureAwait(false);
            if (updated.IsSuccess) return RecordResult.Delivered(record.Key, Json.ProfileId(updated.Body) ?? knownId);
            if (updated.Status != 404) return Rejected(record, updated);
        }
        var found = await _api.GetProfileByKeyAsync(_layout.MatchField, key, ct).ConfigureAwait(false);
        if (found.Status == 404) return RecordResult.NotFound(record.Key, $"no profile with this {_layout.MatchField} in Actito");
        if (!found.IsSuccess) return Rejected(record, found);
        var id = Json.ProfileId(found.Body);
        var response = id is not null
            ? await _api.UpdateProfileAsync(id, body, ct).ConfigureAwait(false)
            : await _api.CreateProfileAsync(body, allowUpdate: true, ct).ConfigureAwait(false);
        if (response.IsSuccess) return RecordResult.Delivered(record.Key, Json.ProfileId(response.Body) ?? id);
        return response.Status == 404 ? RecordResult.NotFound(record.Key) : Rejected(record, response);
    }

    private async Task<RecordResult> DeleteAsync(DeliveryRecord record, CancellationToken ct)
    {
        var reference = ProfileRef.Parse(record.DestinationId);
        string? id = reference is { Attribute: null } ? reference.Value.Value : null;
        if (id is null)
        {
            // A key reference from an import, or else the match value when the engine gives one.
            var (attribute, key) = reference is { Attribute: { } a } ? (a, reference.Value.Value) : (_layout.MatchField, MatchText(record));
            if (key is null) return RecordResult.Rejected(record.Key, Messages.NoProfileReference, "NO_PROFILE_REFERENCE");
            var found = await _api.GetProfileByKeyAsync(attribute, key, ct).ConfigureAwait(false);
            if (found.Status == 404) return RecordResult.Delivered(record.Key);
            if (!found.IsSuccess) return Rejected(record, found);
            id = Json.ProfileId(found.Body);
            if (id is null) return RecordResult.Rejected(record.Key, "Actito's answer held no profileId.", "NO_PROFILE_ID");
        }
        var deleted = await _api.DeleteProfileAsync(id, ct).ConfigureAwait(false);
        // Already gone counts as deleted: mirror deletes are idempotent.
        return deleted.IsSuccess || deleted.Status == 404 ? RecordResult.Delivered(record.Key) : Rejected(record, deleted);
    }

    private static RecordResult Rejected(DeliveryRecord record, ApiResponse response)
    {
        var (reason, code) = response.Error();
        return RecordResult.Rejected(record.Key, reason, code);
    }

    // ---- bulk imports ----

    private async Task ImportAsync(DeliveryBatch batch, RecordOperation operation, List<int> indexes, RecordResult?[] results,
        CancellationToken cancellationToken)
    {
        var mode = operation switch
        {
            RecordOperation.Create => ImportMode.CreateOnly,
            RecordOperation.Update => ImportMode.UpdateOnly,
            _ => ImportMode.CreateUpdate,
        };
        var rows = new List<(int Index, string Key)>(indexes.Count);
        foreach (var i in indexes)
        {
            if (MatchText(batch.Records[i]) is { } key) rows.Add((i, key));
            else results[i] = RecordResult.Rejected(batch.Records[i].Key, Messages.NoMatchValue, "MISSING_KEY");
        }
        if (rows.Count > 0) await RunImportAsync(batch, mode, _layout.MatchField, rows, results, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs one ETL execution of the given rows (record index and key value) and fills in their results.</summary>
    private async Task RunImportAsync(DeliveryBatch batch, ImportMode mode, string keyColumn, List<(int Index, string Key)> sent,
        RecordResult?[] results, CancellationToken cancellationToken)
    {
        // Build the file: key column first, then the mapped fields.
        var header = new List<string> { keyColumn };
        var fieldIndexes = new List<int>();
        for (var f = 0; f < batch.Fields.Count; f++)
        {
            var field = batch.Fields[f].Field;
            if (field == _layout.MatchField || header.Contains(field)) continue;
            header.Add(field);
            fieldIndexes.Add(f);
        }
        var formats = fieldIndexes.Select(f => _layout.Formats.GetValueOrDefault(batch.Fields[f].Field)).ToArray();

        byte[] zip;
        int[] startLines;
        using (var file = new ImportFileWriter(header))
        {
            var row = new string?[header.Count];
            foreach (var (i, key) in sent)
            {
                var record = batch.Records[i];
                row[0] = key;
                for (var c = 0; c < fieldIndexes.Count; c++)
                {
                    var f = fieldIndexes[c];
                    row[c + 1] = f < record.Values.Length ? ValueFormat.Format(record.Values[f], formats[c]) : null;
                }
                file.WriteRow(row);
            }
            zip = file.Finish();
            startLines = [.. file.StartLines];
        }

        if (!_budget.TryTake())
            throw new DeliveryException(ErrorCategory.RateLimit, Messages.ImportBudget(1, 0, _budget.PerDay));
        var definition = ImportFileWriter.Definition(mode, _settings.Table, keyColumn, header);
        var submitted = await _api.StartEtlExecutionAsync(zip, definition, cancellationToken).ConfigureAwait(false);
        if (submitted.Status == 429)
        {
            _budget.Exhaust();
            throw new DeliveryException(ErrorCategory.RateLimit, Messages.ImportQuotaRefused(_settings.Table));
        }
        if (!submitted.IsSuccess)
        {
            _budget.Return();
            var (reason, _) = submitted.Error();
            throw new DeliveryException(ErrorCategory.Destination, Messages.ImportRefused(_settings.Table, submitted.Status, reason));
        }
        var importId = Json.TopLevel(submitted.Body, "id") ?? Json.TopLevel(submitted.Body, "executionId")
            ?? Json.TopLevel(submitted.Body, "etlExecutionId") ?? LastSegment(submitted.Location)
            ?? throw new DeliveryException(ErrorCategory.Destination, "Actito accepted an ETL execution but returned no execution id.");
        LogImportSubmitted(_logger, importId, ImportFileWriter.ModeName(mode), sent.Count, _settings.Table);

        var state = await WaitForImportAsync(importId, cancellationToken).ConfigureAwait(false);
        if (state.Failed)
        {
            var reason = $"Actito ETL execution {importId} failed ({state.Status}{(state.Message is null ? "" : ": " + state.Message)}).";
            foreach (var (i, _) in sent) results[i] = RecordResult.Rejected(batch.Records[i].Key, reason, state.Status ?? "IMPORT_FAILED");
            return;
        }

        var errors = state.WithErrors == false ? [] : await ReadErrorsAsync(importId, keyColumn, cancellationToken).ConfigureAwait(false);
        var failed = MapErrors(errors, sent, startLines);
        if (state.WithErrors == true && failed.Count == 0)
        {
            // Some rows failed but none can be named: calling them all delivered would lose the failed ones. The batch
            // stays in doubt and is sent again next run (CREATE_UPDATE is idempotent; creates are looked up first).
            throw new DeliveryException(ErrorCategory.Destination, Messages.ErrorsUnreadable(importId, errors.Count));
        }
        for (var s = 0; s < sent.Count; s++)
        {
            var (i, _) = sent[s];
            var record = batch.Records[i];
            if (!failed.TryGetValue(s, out var error))
            {
                // Executions report no profileIds, so the profile is referenced by its key for later deletes.
                results[i] = RecordResult.Delivered(record.Key, ProfileRef.Key(keyColumn, sent[s].Key));
                continue;
            }
            results[i] = Classify(mode, record, error, ProfileRef.Key(keyColumn, sent[s].Key));
        }
        LogImportFinished(_logger, importId, sent.Count - failed.Count, failed.Count);
    }

    private static RecordResult Classify(ImportMode mode, DeliveryRecord record, ImportLineError error, string reference)
    {
        var text = (error.Code + " " + error.Message).ToUpperInvariant();
        var notFound = text.Contains("NOT_FOUND", StringComparison.Ordinal) || text.Contains("NOT FOUND", StringComparison.Ordinal)
            || text.Contains("NO PROFILE MATCHES", StringComparison.Ordinal) || text.Contains("DOES NOT EXIST", StringComparison.Ordinal);
        var exists = !notFound && (text.Contains("ALREADY", StringComparison.Ordinal) || text.Contains("EXISTS", StringComparison.Ordinal)
            || text.Contains("DUPLICATE", StringComparison.Ordinal));
        return mode switch
        {
            ImportMode.CreateOnly when exists && !text.Contains("CONFLICT", StringComparison.Ordinal) =>
                RecordResult.Skipped(record.Key, reference, "A profile with this key already exists; insert mode leaves it untouched."),
            ImportMode.UpdateOnly when notFound => RecordResult.NotFound(record.Key, error.Message),
            _ => RecordResult.Rejected(record.Key, error.Message, error.Code),
        };
    }

    /// <summary>
    /// Maps result lines to the sent rows. The line number is read as a file line (header = 1) and checked against
    /// the key when both are given; a line number counting data rows only, or the key alone, is the fallback.
    /// </summary>
    private static Dictionary<int, ImportLineError> MapErrors(List<ImportLineError> errors, List<(int Index, string Key)> sent, int[] startLines)
    {
        var failed = new Dictionary<int, ImportLineError>();
        if (errors.Count == 0) return failed;
        var byLine = new Dictionary<int, int>(startLines.Length);
        for (var s = 0; s < startLines.Length; s++) byLine[startLines[s]] = s;
        Dictionary<string, List<int>>? byKey = null;

        foreach (var error in errors)
        {
            int? match = null;
            if (error.Line is { } line)
            {
                if (byLine.TryGetValue(line, out var s) && KeyAgrees(error, sent[s].Key)) match = s;
                else if (line - 1 >= 0 && line - 1 < sent.Count && KeyAgrees(error, sent[line - 1].Key)) match = line - 1;
            }
            if (match is null && error.Key is { } key)
            {
                byKey ??= sent.Select((x, s) => (x.Key, s)).GroupBy(x => x.Key, StringComparer.OrdinalIgnoreCase)
                    .ToDictionary(g => g.Key, g => g.Select(x => x.s).ToList(), StringComparer.OrdinalIgnoreCase);
                if (byKey.TryGetValue(key, out var candidates))
                {
                    foreach (var candidate in candidates) failed.TryAdd(candidate, error);
                    continue;
                }
            }
            if (match is { } m) failed.TryAdd(m, error);
        }
        return failed;
    }

    private static bool KeyAgrees(ImportLineError error, string key) =>
        error.Key is null || string.Equals(error.Key, key, StringComparison.OrdinalIgnoreCase);

    private async Task<ImportState> WaitForImportAsync(string importId, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var delay = FirstPoll;
        var unknown = 0;
        while (true)
        {
            var response = await _api.GetEtlExecutionAsync(importId, cancellationToken).ConfigureAwait(false);
            if (response.IsSuccess)
            {
                var state = ImportState.Parse(response.Body);
                if (state.Finished) return state;
            }
            // A just-submitted import may not be visible yet; a few 404s are tolerated.
            else if (response.Status != 404 || ++unknown > 5)
            {
                var (reason, _) = response.Error();
                throw new DeliveryException(ErrorCategory.Destination, Messages.Unexpected("read ETL execution", response.Status, reason));
            }
            if (_time.GetElapsedTime(started) > ImportPatience)
                throw new DeliveryException(ErrorCategory.Timeout, Messages.ImportTimedOut(importId));
            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            delay = delay * 2 > LongestPoll ? LongestPoll : delay * 2;
        }
    }

    private async Task<List<ImportLineError>> ReadErrorsAsync(string importId, string keyColumn, CancellationToken cancellationToken)
    {
        var response = await _api.GetEtlErrorFileAsync(importId, cancellationToken).ConfigureAwait(false);
        if (response.Status == 404) return [];
        if (!response.IsSuccess)
        {
            var (reason, _) = response.Error();
            throw new DeliveryException(ErrorCategory.Destination, Messages.Unexpected("read ETL execution error file", response.Status, reason));
        }
        return ImportResultFile.Parse(response.Body, keyColumn);
    }

    // ---- values ----

    private string? MatchText(DeliveryRecord record)
    {
        var text = ValueFormat.Format(record.MatchValue, _layout.MatchFormat);
        return string.IsNullOrEmpty(text) ? null : text;
    }

    private static string? ProfileIdOf(DeliveryRecord record) =>
        ProfileRef.Parse(record.DestinationId) is { Attribute: null } reference ? reference.Value : null;

    /// <summary>The v4 profile body: the match attribute first, then every mapped attribute (null clears it).</summary>
    private byte[] ProfileBody(DeliveryBatch batch, DeliveryRecord record, string key)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("attributes");
            json.WriteStartObject();
            json.WriteString("name", _layout.MatchField);
            json.WriteString("value", key);
            json.WriteEndObject();
            for (var f = 0; f < batch.Fields.Count; f++)
            {
                var field = batch.Fields[f].Field;
                if (field == _layout.MatchField) continue;
                var value = f < record.Values.Length ? record.Values[f] : null;
                json.WriteStartObject();
                json.WriteString("name", field);
                var text = ValueFormat.Format(value, _layout.Formats.GetValueOrDefault(field));
                if (text is null) json.WriteNull("value");
                else json.WriteString("value", text);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static string? LastSegment(string? location) =>
        string.IsNullOrEmpty(location) ? null : location.TrimEnd('/').Split('/')[^1] is { Length: > 0 } last ? last : null;

    [LoggerMessage(Level = LogLevel.Information, Message = "Actito ETL execution {ImportId} started: {Mode}, {Rows} rows into {Table}")]
    private static partial void LogImportSubmitted(ILogger logger, string importId, string mode, int rows, string table);

    [LoggerMessage(Level = LogLevel.Information, Message = "Actito ETL execution {ImportId} finished: {Ok} rows accepted, {Failed} rejected")]
    private static partial void LogImportFinished(ILogger logger, string importId, int ok, int failed);
}

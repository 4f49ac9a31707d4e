using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Sluice.Core.Destinations;

namespace Sluice.Destinations.Iterable;

internal sealed partial class IterableWriter
{
    private sealed partial class BatchRun
    {
        /// <summary>
        /// Email changes of an email-matched sync: rows delivered before under another email (the ledger's
        /// destination id). Each is applied to the existing user the documented way, in an order that frees an
        /// address before another row takes it; rows that swap addresses in a cycle are refused.
        /// </summary>
        private sealed class EmailChanges(BatchRun run, List<int> rows)
        {
            private const int Parallelism = 16;
            private const int Cycle = -2;

            private readonly List<int> _lookups = [];

            /// <summary>Applies the changes; rows whose old user is gone go on as ordinary rows (upsert, or a lookup in update mode).</summary>
            public async Task RunAsync(bool[] send, Action<int> lookUp, CancellationToken ct)
            {
                var waves = Waves();
                var last = waves.Length == 0 ? -1 : waves.Max();
                for (var wave = 0; wave <= last; wave++)
                {
                    var now = Enumerable.Range(0, rows.Count).Where(p => waves[p] == wave).ToList();
                    if (now.Count == 0)
                        continue;
                    var options = new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = ct };
                    await Parallel.ForEachAsync(now, options, async (p, token) => await ChangeAsync(rows[p], send, token).ConfigureAwait(false))
                        .ConfigureAwait(false);
                }
                foreach (var i in _lookups)
                    lookUp(i);
            }

            private string Old(int i) => run.Records[i].DestinationId!;

            private string New(int i) => run._ids[i]!;

            // A change must wait for the change that moves its new address off another user (a chain a→b, b→c runs
            // b→c first). Wave = how many changes must land first; changes in or behind a cycle can never run.
            private int[] Waves()
            {
                var byOld = new Dictionary<string, int>(rows.Count, run._w._idComparer);
                for (var p = 0; p < rows.Count; p++)
                    byOld.TryAdd(Old(rows[p]), p);
                var next = new int[rows.Count];
                for (var p = 0; p < rows.Count; p++)
                    next[p] = byOld.TryGetValue(New(rows[p]), out var q) && q != p ? q : -1;

                var wave = Enumerable.Repeat(int.MinValue, rows.Count).ToArray();
                for (var start = 0; start < rows.Count; start++)
                {
                    if (wave[start] != int.MinValue)
                        continue;
                    var path = new List<int>();
                    var onPath = new HashSet<int>();
                    var at = start;
                    while (at >= 0 && wave[at] == int.MinValue && onPath.Add(at))
                    {
                        path.Add(at);
                        at = next[at];
                    }
                    int baseWave;
                    if (at >= 0 && onPath.Contains(at))
                    {
                        var cycle = path.GetRange(path.IndexOf(at), path.Count - path.IndexOf(at));
                        foreach (var p in cycle)
                            wave[p] = Cycle;
                        path.RemoveRange(path.IndexOf(at), cycle.Count);
                        RefuseCycle(cycle, cycle);
                        baseWave = Cycle;
                        if (path.Count > 0)
                            RefuseCycle(path, cycle);
                    }
                    else
                    {
                        baseWave = at < 0 ? -1 : wave[at];
                        if (baseWave == Cycle && path.Count > 0)
                            RefuseCycle(path, CycleOf(at, next, wave));
                    }
                    for (var k = path.Count - 1; k >= 0; k--)
                        wave[path[k]] = baseWave == Cycle ? Cycle : ++baseWave;
                }
                return wave;
            }

            private static List<int> CycleOf(int member, int[] next, int[] wave)
            {
                // Walk from a refused change to the first repeat: that loop is the cycle it waits behind.
                var seen = new List<int>();
                var at = member;
                while (at >= 0 && wave[at] == Cycle && !seen.Contains(at))
                {
                    seen.Add(at);
                    at = next[at];
                }
                return at >= 0 && seen.Contains(at) ? seen.GetRange(seen.IndexOf(at), seen.Count - seen.IndexOf(at)) : seen;
            }

            private void RefuseCycle(List<int> refused, List<int> cycle)
            {
                foreach (var p in refused)
                {
                    var i = rows[p];
                    var others = cycle.Where(q => q != p).Select(q => run.Records[rows[q]].Key).ToList();
                    run._results[i] = RecordResult.RefusedBeforeSending(run.Records[i].Key, Texts.EmailSwap(Old(i), New(i), others), "EmailSwap");
                }
            }

            private async Task ChangeAsync(int i, bool[] send, CancellationToken ct)
            {
                var w = run._w;
                var oldEmail = Old(i);
                var newEmail = New(i);
                if (!w._updateEmailRefused)
                {
                    var reply = await w._client.SendAsync(ApiEndpoint.UpdateEmail, HttpMethod.Post, "api/users/updateEmail",
                        Body("currentEmail", oldEmail, newEmail, nested: false), notFoundIsFinal: false, ct).ConfigureAwait(false);
                    if (reply.IsSuccess)
                    {
                        send[i] = true;
                        return;
                    }
                    if (reply.Status == 404 && reply.Code is null)
                        throw new DeliveryException(ErrorCategory.Configuration, Texts.WrongBaseUrl(w._settings, "users/updateEmail"));
                    if (UserUnknown(reply))
                    {
                        FallBack(i, send);
                        return;
                    }
                    if (reply.Status == 409 || reply.Code is "EmailAlreadyExists" or "InvalidEmailAddressError" or "ForgottenUserError")
                    {
                        Refuse(i, reply);
                        return;
                    }
                    // Any other refusal: not an email-based project (updateEmail is documented for those only).
                    w._updateEmailRefused = true;
                    if (w._logger.IsEnabled(LogLevel.Information))
                        w._logger.LogInformation("Iterable refused users/updateEmail (HTTP {Status} {Code}); changing emails with users/update instead",
                            reply.Status, reply.Code);
                }

                // Hybrid projects: the current email at the top level, the new one in dataFields.
                var update = await w._client.SendAsync(ApiEndpoint.Update, HttpMethod.Post, "api/users/update",
                    Body("email", oldEmail, newEmail, nested: true), notFoundIsFinal: false, ct).ConfigureAwait(false);
                if (update.IsSuccess)
                    send[i] = true;
                else if (update.Status == 404 && update.Code is null)
                    throw new DeliveryException(ErrorCategory.Configuration, Texts.WrongBaseUrl(w._settings, "users/update"));
                else
                    Refuse(i, update);
            }

            private static bool UserUnknown(ApiReply reply) =>
                IterableApiClient.IsNotFoundCode(reply.Code)
                || (reply.Code == "BadParams" && reply.Envelope?.Msg is { } msg && msg.Contains("does not exist", StringComparison.OrdinalIgnoreCase));

            // The old user is gone (deleted in Iterable, or renamed by a run that stopped before its ledger commit):
            // the row goes on under its new email like any other.
            private void FallBack(int i, bool[] send)
            {
                if (run.Records[i].Operation == RecordOperation.Update)
                {
                    lock (_lookups)
                        _lookups.Add(i);
                }
                else
                {
                    send[i] = true;
                }
            }

            private void Refuse(int i, ApiReply reply) =>
                run._results[i] = RecordResult.Rejected(run.Records[i].Key, Texts.EmailChangeRefused(Old(i), New(i), reply),
                    reply.Code ?? $"HTTP{reply.Status}");

            private static byte[] Body(string currentName, string current, string newEmail, bool nested)
            {
                var buffer = new ArrayBufferWriter<byte>(128);
                using (var json = new Utf8JsonWriter(buffer))
                {
                    json.WriteStartObject();
                    json.WriteString(currentName, current);
                    if (nested)
                    {
                        json.WriteStartObject("dataFields");
                        json.WriteString(FieldRules.Email, newEmail);
                        json.WriteEndObject();
                    }
                    else
                    {
                        json.WriteString("newEmail", newEmail);
                    }
                    json.WriteEndObject();
                }
                return buffer.WrittenSpan.ToArray();
            }
        }
    }
}

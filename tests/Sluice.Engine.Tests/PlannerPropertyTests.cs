using CsCheck;
using Sluice.Core.Destinations;
using Sluice.Core.Models;
using Sluice.Engine.Tests.Support;

namespace Sluice.Engine.Tests;

/// <summary>
/// For random sequences of model states, each mode sends exactly what DESIGN.md says, against a model of
/// the ledger kept by the test itself; and a second run with no change sends nothing new.
/// </summary>
public sealed class PlannerPropertyTests
{
    private const int Keys = 14;

    /// <summary>One model state: which keys are present, their values, plus null-key and duplicate-key rows.</summary>
    private static readonly Gen<Row[]> ModelState =
        Gen.Select(Gen.Int[0, 9].Array[Keys], Gen.Int[0, 2].Array[Keys], Gen.Int[0, 2].Array[Keys], Gen.Int[0, 3].Array[Keys],
                Gen.Int[0, 9], Gen.Int[0, Keys * 2])
            .Select((presence, names, scores, emails, nullRow, duplicate) =>
            {
                var rows = new List<Row>();
                for (var k = 0; k < Keys; k++)
                {
                    if (presence[k] < 3)
                        continue;
                    rows.Add(new Row(k, emails[k] == 3 ? $"moved{k}@example.com" : $"user{k}@example.com",
                        names[k] == 2 ? null : $"name{names[k]}", scores[k], $"note{presence[k]}"));
                }
                if (nullRow == 0)
                    rows.Add(new Row(null, "nobody@example.com", "x", 0, "n"));
                if (duplicate < Keys && rows.Any(r => r.Id == duplicate))
                    rows.Add(rows.First(r => r.Id == duplicate) with { Note = "copy" });
                return rows.ToArray();
            });

    [Fact]
    public void Each_mode_sends_exactly_the_changes_design_md_describes()
    {
        Gen.Select(ModelState.Array[2, 4], Gen.Enum<SyncMode>(), Gen.Bool)
            .Sample((states, mode, insertCreatesChanged) =>
                CheckSequenceAsync(states, mode, insertCreatesChanged).GetAwaiter().GetResult(), iter: 20, threads: 1);
    }

    private static async Task CheckSequenceAsync(Row[][] states, SyncMode mode, bool insertCreatesChanged)
    {
        await using var project = await TestProject.CreateAsync();
        var destination = new CollectingDestination(insertCreatesChanged);
        // Update mode needs existing records: the destination already knows the even users.
        for (var k = 0; k < Keys; k += 2)
            destination.Records[$"user{k}@example.com"] = ($"pre{k}", []);
        var sync = TestProject.Sync(mode);
        var ledger = new Dictionary<string, (string Email, string? Name, long Score)>();

        foreach (var state in states)
        {
            await project.WriteModelAsync(state);
            for (var attempt = 0; attempt < 2; attempt++)
            {
                var expected = Expected(state, ledger, mode, insertCreatesChanged, destination);
                destination.ClearReceived();
                var outcome = await project.RunAsync(sync, destination);

                Assert.True(outcome.Succeeded, outcome.Record.Error);
                var received = destination.Received.Select(r => $"{r.Operation}:{r.Key}").Order().ToList();
                Assert.Equal(expected.Operations.Order().ToList(), received);
                foreach (var (key, values) in expected.Delivered)
                    ledger[key] = values;
                foreach (var key in expected.Deleted)
                    ledger.Remove(key);
                if (attempt == 1)
                {
                    // Nothing changed since the first run: only rows the destination did not take are sent again.
                    Assert.All(received, r => Assert.StartsWith("Update:", r, StringComparison.Ordinal));
                }
            }
        }
    }

    private sealed record Expectation(
        List<string> Operations,
        Dictionary<string, (string, string?, long)> Delivered,
        List<string> Deleted);

    private static Expectation Expected(Row[] state, Dictionary<string, (string Email, string? Name, long Score)> ledger,
        SyncMode mode, bool insertCreatesChanged, CollectingDestination destination)
    {
        var byKey = state.Where(r => r.Id is not null).GroupBy(r => r.Id!.Value.ToString()).ToList();
        var valid = byKey.Where(g => g.Count() == 1).ToDictionary(g => g.Key, g => g.Single());
        var present = byKey.Select(g => g.Key).ToHashSet();
        var operations = new List<string>();
        var delivered = new Dictionary<string, (string, string?, long)>();
        var deleted = new List<string>();

        foreach (var (key, row) in valid)
        {
            var values = (row.Email, row.Name, row.Score);
            var isAdded = !ledger.TryGetValue(key, out var last);
            var isChanged = !isAdded && last != values;
            if (!isAdded && !isChanged)
                continue;
            switch (mode)
            {
                case SyncMode.Insert when isAdded || insertCreatesChanged:
                    operations.Add($"Create:{key}");
                    delivered[key] = values;
                    break;
                case SyncMode.Update:
                    operations.Add($"Update:{key}");
                    if (destination.Records.ContainsKey(row.Email))
                        delivered[key] = values;
                    break;
                case SyncMode.Upsert or SyncMode.Mirror:
                    operations.Add($"Upsert:{key}");
                    delivered[key] = values;
                    break;
            }
        }
        if (mode == SyncMode.Mirror && state.Length > 0)
        {
            foreach (var key in ledger.Keys.Where(k => !present.Contains(k)))
            {
                operations.Add($"Delete:{key}");
                deleted.Add(key);
            }
        }
        return new Expectation(operations, delivered, deleted);
    }
}

using CsCheck;
using Sluice.Core.Models;
using Sluice.Engine.Tests.Support;

namespace Sluice.Engine.Tests;

/// <summary>
/// DESIGN.md's guarantees under crashes: for random sequences of model states (values changed and changed back, rows
/// leaving and returning), each run dying at a random point of its writes (after some of a batch landed, or while
/// reconciling), with unanswered and refused records, a few clean runs afterwards bring the destination to the model's
/// state with no duplicate, in every mode.
/// </summary>
public sealed class CrashPropertyTests
{
    private const int Keys = 8;

    /// <summary>
    /// One model state: per key, absent or a (name, score) from a small domain, so values return to earlier ones. Key 0
    /// is always there: an empty model deletes nothing in mirror mode (a rule of its own, tested elsewhere).
    /// </summary>
    private static readonly Gen<Row[]> ModelState =
        Gen.Int[0, 3].Array[Keys].Select(Gen.Int[0, 1].Array[Keys], (names, scores) =>
            Enumerable.Range(0, Keys)
                .Where(k => names[k] > 0 || k == 0)
                .Select(k => new Row(k, $"user{k}@example.com", names[k] == 3 ? null : $"name{names[k]}", scores[k], "n"))
                .ToArray());

    private static readonly Gen<RunFaults> Faults =
        Gen.Select(Gen.Int[0, 5], Gen.Int[0, 3], Gen.Int[0, 9], Gen.Int[0, 3], Gen.Int[0, Keys * 3])
            .Select((crashAt, applied, reconcile, unanswered, reject) => new RunFaults(
                CrashAtWrite: crashAt < 4 ? crashAt : null,
                AppliedBeforeCrash: applied,
                CrashInReconcile: reconcile == 0,
                UnansweredEvery: unanswered == 3 ? 2 : 0,
                RejectKeys: reject < Keys ? new HashSet<string> { reject.ToString() } : null));

    [Fact]
    public void Every_mode_converges_to_the_model_after_crashes_at_any_step()
    {
        Gen.Select(Gen.Select(ModelState, Faults).Array[2, 6], Gen.Enum<SyncMode>(), Gen.Bool)
            .Sample((steps, mode, insertCreatesChanged) =>
                CheckAsync(steps, mode, insertCreatesChanged).GetAwaiter().GetResult(), iter: 60, threads: 1);
    }

    private static async Task CheckAsync((Row[] Model, RunFaults Faults)[] steps, SyncMode mode, bool insertCreatesChanged)
    {
        await using var project = await TestProject.CreateAsync();
        var destination = new CrashingDestination(insertCreatesChanged);
        // Update mode needs existing records: the destination already knows the even users.
        for (var k = 0; mode == SyncMode.Update && k < Keys; k += 2)
            destination.Seed($"user{k}@example.com", ["seeded", -1L]);
        var sync = TestProject.Sync(mode);

        foreach (var (model, faults) in steps)
        {
            await project.WriteModelAsync(model);
            destination.Faults = faults;
            await project.RunAsync(sync, destination);
        }

        // No more faults: the next runs deliver what is left, then find nothing to send.
        destination.Faults = new RunFaults();
        var last = steps[^1].Model;
        var converged = false;
        for (var run = 0; run < 3 && !converged; run++)
        {
            var outcome = await project.RunAsync(sync, destination);
            Assert.True(outcome.Succeeded, outcome.Record.Error);
            // Update mode looks for missing records again each run: those are all a converged run still plans.
            converged = outcome.Record.Counts.Planned == outcome.Record.Counts.NotFound;
        }
        Assert.True(converged, "three clean runs after the crashes still had rows to send");
        AssertMatchesModel(destination.Records, last, mode, insertCreatesChanged);
    }

    private static void AssertMatchesModel(IReadOnlyList<StoredRecord> records, Row[] model, SyncMode mode, bool insertCreatesChanged)
    {
        var byMatch = records.GroupBy(r => r.Match).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var row in model)
        {
            byMatch.TryGetValue(row.Email, out var found);
            found ??= [];
            var expected = new object?[] { row.Name, row.Score };
            switch (mode)
            {
                case SyncMode.Update when row.Id % 2 == 1:
                    Assert.Empty(found); // update never creates
                    break;
                case SyncMode.Insert when !insertCreatesChanged:
                    Assert.Single(found); // created once, never twice, never updated
                    break;
                case SyncMode.Insert:
                    // Each version is a new record; the newest is the model's, and no version was created twice in a row.
                    Assert.NotEmpty(found);
                    Assert.Equal(expected, found[^1].Values);
                    for (var i = 1; i < found.Count; i++)
                        Assert.False(found[i].Values.SequenceEqual(found[i - 1].Values), $"{row.Email}: a version was created twice");
                    break;
                default:
                    Assert.Equal(expected, Assert.Single(found).Values);
                    break;
            }
        }
        if (mode == SyncMode.Mirror)
        {
            var emails = model.Select(r => r.Email).ToHashSet();
            Assert.All(records, r => Assert.Contains(r.Match, emails));
        }
        if (mode == SyncMode.Update)
            Assert.All(records, r => Assert.True(r.Seeded, $"update mode created {r.Match}"));
    }
}

using Sluice.Core.State;
using Sluice.Core.Configuration;
using Sluice.Core.Destinations;
using Sluice.Core.Models;
using Sluice.Engine.Tests.Support;
using Sluice.State;

namespace Sluice.Engine.Tests;

public sealed class RunEngineTests
{
    private static IEnumerable<Row> People(int count, string note = "n") =>
        Enumerable.Range(1, count).Select(i => new Row(i, $"user{i}@example.com", $"name{i}", i, note));

    [Fact]
    public async Task A_change_to_an_unmapped_column_sends_nothing()
    {
        await using var project = await TestProject.CreateAsync();
        var destination = new CollectingDestination();
        var sync = TestProject.Sync(SyncMode.Upsert);
        await project.WriteModelAsync(People(50));
        await project.RunAsync(sync, destination);
        destination.ClearReceived();

        await project.WriteModelAsync(People(50, note: "edited"));
        var outcome = await project.RunAsync(sync, destination);

        Assert.Empty(destination.Received);
        Assert.Equal(50, outcome.Record.Counts.Unchanged);
    }

    [Fact]
    public async Task Null_and_duplicate_keys_are_rejected_with_a_reason_and_the_rest_is_delivered()
    {
        await using var project = await TestProject.CreateAsync();
        var destination = new CollectingDestination();
        var rows = People(10).Append(new Row(null, "x@example.com", "x", 0, "n")).Append(new Row(3, "dup@example.com", "d", 0, "n"));
        await project.WriteModelAsync(rows);

        var outcome = await project.RunAsync(TestProject.Sync(SyncMode.Upsert), destination);

        Assert.Equal(9, outcome.Record.Counts.Delivered);
        Assert.Equal(3, outcome.Record.Counts.InvalidKeys);
        var rejected = await project.State.Runs.RejectedAsync("people-sync");
        Assert.Contains(rejected, r => r.Code == "NULL_PRIMARY_KEY" && r.Reason.Contains("null primary key 'id'", StringComparison.Ordinal));
        Assert.Contains(rejected, r => r.Code == "DUPLICATE_PRIMARY_KEY" && r.Key == "3" && r.Reason.Contains("2 rows", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Rejected_rows_are_kept_with_the_reason_and_sent_again_next_run()
    {
        await using var project = await TestProject.CreateAsync();
        var destination = new CollectingDestination();
        destination.RejectKeys["4"] = "invalid email";
        var sync = TestProject.Sync(SyncMode.Upsert);
        await project.WriteModelAsync(People(10));

        var first = await project.RunAsync(sync, destination);
        Assert.Equal(1, first.Record.Counts.Rejected);
        Assert.Equal("invalid email", Assert.Single(await project.State.Runs.RejectedAsync("people-sync")).Reason);

        destination.RejectKeys.Clear();
        destination.ClearReceived();
        var second = await project.RunAsync(sync, destination);
        Assert.Equal(["Upsert:4"], destination.Received.Select(r => $"{r.Operation}:{r.Key}"));
        Assert.Equal(1, second.Record.Counts.Delivered);
        Assert.Empty(await project.State.Runs.RejectedAsync("people-sync"));
    }

    [Fact]
    public async Task The_mirror_guard_deletes_nothing_when_too_many_rows_left_the_model()
    {
        await using var project = await TestProject.CreateAsync();
        var destination = new CollectingDestination();
        var sync = TestProject.Sync(SyncMode.Mirror, new DeleteLimit(10, true));
        await project.WriteModelAsync(People(100));
        await project.RunAsync(sync, destination);
        destination.ClearReceived();

        await project.WriteModelAsync(People(80));
        var guarded = await project.RunAsync(sync, destination);

        Assert.False(guarded.Succeeded);
        Assert.Contains("would delete 20 of the 100", guarded.Record.Error, StringComparison.Ordinal);
        Assert.Contains("--allow-mass-delete", guarded.Record.Error, StringComparison.Ordinal);
        Assert.Contains(RunWarnings.MirrorGuard, guarded.Record.Warnings);
        Assert.Empty(destination.Received);
        Assert.Equal(100, destination.Records.Count);

        var allowed = await project.RunAsync(sync, destination, new RunOptions(AllowMassDelete: true));
        Assert.True(allowed.Succeeded);
        Assert.Equal(20, allowed.Record.Counts.Deleted);
        Assert.Equal(80, destination.Records.Count);
    }

    [Fact]
    public async Task A_mirror_of_an_empty_model_deletes_nothing_and_warns()
    {
        await using var project = await TestProject.CreateAsync();
        var destination = new CollectingDestination();
        var sync = TestProject.Sync(SyncMode.Mirror, new DeleteLimit(100, true));
        await project.WriteModelAsync(People(10));
        await project.RunAsync(sync, destination);

        await project.WriteModelAsync([]);
        var outcome = await project.RunAsync(sync, destination, new RunOptions(AllowMassDelete: true));

        Assert.True(outcome.Succeeded);
        Assert.Equal(0, outcome.Record.Counts.Deleted);
        Assert.Contains(RunWarnings.EmptyModel, outcome.Record.Warnings);
        Assert.Equal(10, destination.Records.Count);
    }

    [Fact]
    public async Task A_failed_run_keeps_the_acknowledged_batches_and_the_next_run_sends_only_the_rest()
    {
        await using var project = await TestProject.CreateAsync();
        var destination = new CollectingDestination(batchSize: 10, concurrency: 1) { FailAfterBatches = 3 };
        var sync = TestProject.Sync(SyncMode.Upsert);
        await project.WriteModelAsync(People(100));

        var failed = await project.RunAsync(sync, destination);
        Assert.False(failed.Succeeded);
        Assert.Contains("went away", failed.Record.Error, StringComparison.Ordinal);
        Assert.Equal(30, failed.Record.Counts.Delivered);

        destination.FailAfterBatches = null;
        destination.ClearReceived();
        var resumed = await project.RunAsync(sync, destination);
        Assert.True(resumed.Succeeded);
        Assert.Equal(70, destination.Received.Count);
        Assert.Equal(100, destination.Records.Count);
    }

    [Fact]
    public async Task Interrupted_inserts_are_reconciled_before_anything_is_sent_again()
    {
        await using var project = await TestProject.CreateAsync();
        var destination = new CollectingDestination();
        var sync = TestProject.Sync(SyncMode.Insert);
        await project.WriteModelAsync(People(5));
        // A crashed run had sent inserts for users 1 and 2; the destination had created user 1.
        var plan = await project.Engine.PlanAsync(await project.RequestAsync(sync, destination), new RunOptions());
        var changes = await plan.ReadChangesAsync(true, true).ToListAsync();
        await plan.DisposeAsync();
        await using (var ledger = await project.State.ClaimAsync(sync.Name))
        {
            await ledger.MarkInDoubtAsync(new BatchId(1, 1), changes.Where(c => c.Key is "1" or "2")
                .Select(c => new InDoubtWrite(c.Key, RecordOperation.Create, c.MatchValue?.ToString(), c.Hash)).ToList());
        }
        destination.Existing["user1@example.com"] = "created-before-crash";

        var outcome = await project.RunAsync(sync, destination);

        Assert.True(outcome.Succeeded);
        Assert.Equal(["Create:2", "Create:3", "Create:4", "Create:5"], destination.Received.Select(r => $"{r.Operation}:{r.Key}").Order());
        Assert.Equal(0, await project.State.InDoubtCountAsync(sync.Name));
    }

    [Fact]
    public async Task A_run_whose_claim_was_lost_is_marked_interrupted_when_its_sync_is_next_claimed()
    {
        var directory = Path.Combine(Path.GetTempPath(), "sluice-tests", Guid.NewGuid().ToString("N"));
        await using (var state = await EmbeddedState.OpenAsync(directory))
        {
            // The run's process died: its claim went with it, its run never finished.
            await using (await state.ClaimAsync("people-sync"))
                await state.Runs.StartRunAsync("people-sync", fullResync: false);
            await using (await state.ClaimAsync("other-sync"))
                await state.Runs.StartRunAsync("other-sync", fullResync: false);
        }

        await using var reopened = await EmbeddedState.OpenAsync(directory);
        await using (await reopened.ClaimAsync("people-sync"))
            await reopened.Runs.StartRunAsync("people-sync", fullResync: false);
        var runs = await reopened.Runs.HistoryAsync(null);

        Assert.Equal([RunStatus.Running, RunStatus.Running, RunStatus.Interrupted], runs.Select(r => r.Status));
        Assert.Equal(["people-sync", "other-sync", "people-sync"], runs.Select(r => r.Sync));
        Assert.NotNull(runs[2].FinishedAt);
        Assert.Equal(DuckDbRunHistory.InterruptedMessage, runs[2].Error);
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task A_claimed_sync_cannot_be_claimed_again_until_released()
    {
        await using var project = await TestProject.CreateAsync();
        await using (await project.State.ClaimAsync("people-sync"))
        {
            var busy = await Assert.ThrowsAsync<SyncBusyException>(() => project.State.ClaimAsync("people-sync"));
            Assert.Contains("people-sync", busy.Message, StringComparison.Ordinal);
            // Another sync is free.
            await using (await project.State.ClaimAsync("other-sync"))
            {
            }
        }
        await using (await project.State.ClaimAsync("people-sync"))
        {
        }
    }

    [Fact]
    public async Task Acknowledged_batches_survive_a_crash_before_the_ledger_is_folded()
    {
        await using var project = await TestProject.CreateAsync();
        var sync = TestProject.Sync(SyncMode.Upsert);
        await project.WriteModelAsync(People(3));
        // As if a process died after committing two acknowledged records to the journal.
        var destination = new CollectingDestination();
        var plan = await project.Engine.PlanAsync(await project.RequestAsync(sync, destination), new RunOptions());
        var changes = await plan.ReadChangesAsync(true, true).ToListAsync();
        await plan.DisposeAsync();
        await using (var ledger = await project.State.ClaimAsync(sync.Name))
            await ledger.CommitAsync(new BatchId(1, 1), changes.Where(c => c.Key != "3").Select(c => new LedgerEntry(c.Key, c.Hash, "id" + c.Key)).ToList(), []);

        var outcome = await project.RunAsync(sync, destination);

        Assert.Equal(["Upsert:3"], destination.Received.Select(r => $"{r.Operation}:{r.Key}"));
        Assert.Equal(2, outcome.Record.Counts.Unchanged);
    }

    [Fact]
    public async Task A_full_resync_sends_every_row_again()
    {
        await using var project = await TestProject.CreateAsync();
        var destination = new CollectingDestination();
        var sync = TestProject.Sync(SyncMode.Upsert);
        await project.WriteModelAsync(People(12));
        await project.RunAsync(sync, destination);
        destination.ClearReceived();

        var outcome = await project.RunAsync(sync, destination, new RunOptions(FullResync: true));

        Assert.Equal(12, destination.Received.Count);
        Assert.True(outcome.Record.FullResync);
    }

    [Fact]
    public async Task Run_history_records_counts_and_status()
    {
        await using var project = await TestProject.CreateAsync();
        var destination = new CollectingDestination();
        var sync = TestProject.Sync(SyncMode.Upsert);
        await project.WriteModelAsync(People(7));
        await project.RunAsync(sync, destination);
        await project.RunAsync(sync, destination);

        var history = await project.State.Runs.HistoryAsync(sync.Name);

        Assert.Equal(2, history.Count);
        Assert.All(history, r => Assert.Equal(RunStatus.Succeeded, r.Status));
        Assert.Equal(7, history[1].Counts.Delivered);
        Assert.Equal(0, history[0].Counts.Planned);
        Assert.Equal(7, history[0].Counts.Unchanged);
    }

    [Fact]
    public async Task A_cancelled_run_is_recorded_as_cancelled_not_as_a_timeout()
    {
        await using var project = await TestProject.CreateAsync();
        var destination = new CollectingDestination(batchSize: 5, concurrency: 1);
        var sync = TestProject.Sync(SyncMode.Upsert);
        await project.WriteModelAsync(People(50));
        using var cancel = new CancellationTokenSource();
        var progress = new CancelOn(RunPhase.Delivering, cancel);

        var outcome = await project.Engine.RunAsync(await project.RequestAsync(sync, destination), new RunOptions(), progress, cancel.Token);

        Assert.Equal(RunStatus.Cancelled, outcome.Record.Status);
        Assert.Equal(ErrorCategory.Cancelled, outcome.ErrorCategory);
        Assert.True(outcome.Record.Counts.Delivered < 50);
    }

    [Fact]
    public async Task A_run_whose_sync_cannot_be_resolved_is_recorded_as_failed_with_its_problems()
    {
        await using var project = await TestProject.CreateAsync();
        var sync = TestProject.Sync(SyncMode.Upsert);
        var problem = new ConfigProblem(new SourceLocation("sluice.yaml", 3, 5), "model 'people' has no column 'frist_name'", "Did you mean 'first_name'?");

        var outcome = await project.Engine.RunAsync(sync, _ => throw new ConfigException(problem), new RunOptions());

        Assert.Equal(RunStatus.Failed, outcome.Record.Status);
        Assert.Equal(ErrorCategory.Configuration, outcome.ErrorCategory);
        Assert.Equal([problem], outcome.Problems);
        Assert.Contains("frist_name", outcome.Record.Error, StringComparison.Ordinal);
        Assert.Single(await project.State.Runs.HistoryAsync(sync.Name));
    }

    /// <summary>Cancels the run as soon as it reports the given phase (as Ctrl+C during delivery would).</summary>
    private sealed class CancelOn(RunPhase phase, CancellationTokenSource cancel) : IProgress<RunProgress>
    {
        public void Report(RunProgress value)
        {
            if (value.Phase == phase)
                cancel.Cancel();
        }
    }
}

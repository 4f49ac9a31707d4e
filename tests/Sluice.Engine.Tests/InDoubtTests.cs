using Sluice.Core.Models;
using Sluice.Engine.Tests.Support;

namespace Sluice.Engine.Tests;

/// <summary>
/// The holes the kill campaigns found, one by one: a write that landed without its commit must not be mistaken for
/// one that didn't, whatever the model does next.
/// </summary>
public sealed class InDoubtTests
{
    private static Row Person(int id, string name) => new(id, $"user{id}@example.com", name, id, "n");

    [Fact]
    public async Task An_update_that_landed_without_its_commit_is_resent_when_the_model_returns_to_the_ledger_value()
    {
        await using var project = await TestProject.CreateAsync();
        var destination = new CrashingDestination(insertCreatesChangedRows: false);
        var sync = TestProject.Sync(SyncMode.Upsert);
        await project.WriteModelAsync([Person(1, "ann")]);
        await project.RunAsync(sync, destination);

        await project.WriteModelAsync([Person(1, "bea")]);
        destination.Faults = new RunFaults(CrashAtWrite: 0, AppliedBeforeCrash: 1);
        await project.RunAsync(sync, destination);
        Assert.Equal("bea", destination.Records.Single().Values[0]);

        // Back to what the ledger holds: without the doubt, the plan would see nothing to send.
        await project.WriteModelAsync([Person(1, "ann")]);
        destination.Faults = new RunFaults();
        var outcome = await project.RunAsync(sync, destination);

        Assert.Equal(1, outcome.Record.Counts.Delivered);
        Assert.Equal("ann", destination.Records.Single().Values[0]);
        Assert.Equal(0, await project.State.InDoubtCountAsync(sync.Name));
    }

    [Fact]
    public async Task A_mirror_delete_that_landed_without_its_commit_is_added_again_when_the_row_comes_back()
    {
        await using var project = await TestProject.CreateAsync();
        var destination = new CrashingDestination(insertCreatesChangedRows: false);
        var sync = TestProject.Sync(SyncMode.Mirror);
        await project.WriteModelAsync([Person(1, "ann"), Person(2, "bob")]);
        await project.RunAsync(sync, destination);

        await project.WriteModelAsync([Person(1, "ann")]);
        destination.Faults = new RunFaults(CrashAtWrite: 0, AppliedBeforeCrash: 1);
        await project.RunAsync(sync, destination);
        Assert.DoesNotContain(destination.Records, r => r.Match == "user2@example.com");

        await project.WriteModelAsync([Person(1, "ann"), Person(2, "bob")]);
        destination.Faults = new RunFaults();
        var outcome = await project.RunAsync(sync, destination);

        Assert.Equal(1, outcome.Record.Counts.Added);
        Assert.Equal(["user1@example.com", "user2@example.com"], destination.Records.Select(r => r.Match).Order());
    }

    [Fact]
    public async Task A_mirror_record_created_without_its_commit_is_deleted_when_its_row_leaves_the_model()
    {
        await using var project = await TestProject.CreateAsync();
        var destination = new CrashingDestination(insertCreatesChangedRows: false);
        var sync = TestProject.Sync(SyncMode.Mirror);
        await project.WriteModelAsync([Person(1, "ann"), Person(2, "bob")]);
        destination.Faults = new RunFaults(CrashAtWrite: 0, AppliedBeforeCrash: 2);
        await project.RunAsync(sync, destination);

        // The ledger never learned of user 2's profile; it must still go when user 2 leaves the model.
        await project.WriteModelAsync([Person(1, "ann")]);
        destination.Faults = new RunFaults();
        var outcome = await project.RunAsync(sync, destination);

        Assert.Equal(1, outcome.Record.Counts.Deleted);
        Assert.Equal(["user1@example.com"], destination.Records.Select(r => r.Match));
    }

    [Fact]
    public async Task A_mirror_delete_of_a_record_the_ledger_never_learned_of_is_retried_until_it_lands()
    {
        await using var project = await TestProject.CreateAsync();
        var destination = new CrashingDestination(insertCreatesChangedRows: false);
        var sync = TestProject.Sync(SyncMode.Mirror);
        await project.WriteModelAsync([Person(1, "ann"), Person(2, "bob")]);
        destination.Faults = new RunFaults(CrashAtWrite: 0, AppliedBeforeCrash: 2);
        await project.RunAsync(sync, destination);

        // User 2 leaves the model; the run that deletes its uncommitted profile dies before the delete lands.
        await project.WriteModelAsync([Person(1, "ann"), Person(3, "cat")]);
        destination.Faults = new RunFaults(CrashAtWrite: 0, AppliedBeforeCrash: 2);
        await project.RunAsync(sync, destination);
        destination.Faults = new RunFaults();
        await project.RunAsync(sync, destination);

        Assert.Equal(["user1@example.com", "user3@example.com"], destination.Records.Select(r => r.Match).Order());
    }

    [Fact]
    public async Task An_insert_of_a_changed_row_in_flight_is_told_apart_from_the_rows_earlier_record()
    {
        await using var project = await TestProject.CreateAsync();
        var destination = new CrashingDestination(insertCreatesChangedRows: true);
        var sync = TestProject.Sync(SyncMode.Insert);
        await project.WriteModelAsync([Person(1, "ann")]);
        await project.RunAsync(sync, destination);

        // The new version's insert dies before it lands; the lookup finds only the original record (same match value).
        await project.WriteModelAsync([Person(1, "bea")]);
        destination.Faults = new RunFaults(CrashAtWrite: 0, AppliedBeforeCrash: 0);
        await project.RunAsync(sync, destination);
        destination.Faults = new RunFaults();
        await project.RunAsync(sync, destination);

        Assert.Equal(["ann", "bea"], destination.Records.Select(r => r.Values[0]));
    }

    [Fact]
    public async Task An_insert_that_landed_without_its_commit_is_not_created_again()
    {
        await using var project = await TestProject.CreateAsync();
        var destination = new CrashingDestination(insertCreatesChangedRows: true);
        var sync = TestProject.Sync(SyncMode.Insert);
        await project.WriteModelAsync([Person(1, "ann")]);
        await project.RunAsync(sync, destination);

        await project.WriteModelAsync([Person(1, "bea")]);
        destination.Faults = new RunFaults(CrashAtWrite: 0, AppliedBeforeCrash: 1);
        await project.RunAsync(sync, destination);
        destination.Faults = new RunFaults();
        var outcome = await project.RunAsync(sync, destination);

        Assert.Equal(0, outcome.Record.Counts.Delivered);
        Assert.Equal(["ann", "bea"], destination.Records.Select(r => r.Values[0]));
        Assert.Equal(0, await project.State.InDoubtCountAsync(sync.Name));
    }

    [Fact]
    public async Task Only_a_run_after_one_that_died_waits_for_its_writes_to_settle_first()
    {
        await using var project = await TestProject.CreateAsync();
        var destination = new CrashingDestination(insertCreatesChangedRows: false);
        var sync = TestProject.Sync(SyncMode.Upsert);
        await project.WriteModelAsync([Person(1, "ann"), Person(2, "bob")]);
        destination.Faults = new RunFaults(CrashAtWrite: 0, AppliedBeforeCrash: 1);
        await project.RunAsync(sync, destination);
        Assert.Equal(0, destination.SettleCalls);

        destination.Faults = new RunFaults();
        await project.RunAsync(sync, destination);
        Assert.Equal(1, destination.SettleCalls);

        await project.WriteModelAsync([Person(1, "ann"), Person(2, "bea")]);
        await project.RunAsync(sync, destination);
        Assert.Equal(1, destination.SettleCalls);
    }
}

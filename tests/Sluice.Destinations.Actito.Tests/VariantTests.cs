using Sluice.Core.Destinations;
using Sluice.Core.Models;

namespace Sluice.Destinations.Actito.Tests;

/// <summary>Behaviours the Actito docs leave open, covered in each plausible form the emulator can take.</summary>
public sealed class VariantTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_table_is_found_whether_the_table_list_is_wrapped_or_a_bare_array(bool wrapped)
    {
        await using var harness = await Harness.StartAsync(o => o.WrapProfileTableList = wrapped);
        Assert.Empty(await harness.Destination().CheckAsync(Customers.Sync(SyncMode.Upsert), Ct));
    }

    [Theory]
    [InlineData(400, 201)]
    [InlineData(409, 200)]
    public async Task Insert_detects_an_existing_profile_whatever_the_conflict_and_created_codes(int conflict, int created)
    {
        await using var harness = await Harness.StartAsync(o =>
        {
            o.DuplicateProfileStatusCode = conflict;
            o.CreatedStatusCode = created;
        });
        harness.Emulator.SeedProfile(new Dictionary<string, string?> { ["customerId"] = "C-1", ["firstName"] = "Theirs" });

        var results = await harness.RunAsync(harness.SingleCalls(), Customers.Sync(SyncMode.Insert), Customers.Records([1, 2], RecordOperation.Create));

        Assert.Equal(RecordOutcome.Skipped, results["k1"].Outcome);
        Assert.Equal(RecordOutcome.Delivered, results["k2"].Outcome);
        Assert.NotNull(results["k2"].DestinationId);
    }

    [Theory]
    [InlineData(true, 0)]
    [InlineData(false, 3)]
    public async Task Import_results_are_read_from_a_zipped_or_plain_result_file_after_any_number_of_running_polls(bool zipped, int runningPolls)
    {
        await using var harness = await Harness.StartAsync(o =>
        {
            o.ZipResultFile = zipped;
            o.ImportRunningPolls = runningPolls;
        });
        var records = Customers.Records(Enumerable.Range(1, 6), RecordOperation.Upsert);
        records[3] = Customers.Record(4, RecordOperation.Upsert, email: "broken@");

        var results = await harness.RunAsync(harness.Bulk(), Customers.Sync(SyncMode.Upsert), records);

        Assert.Equal(RecordOutcome.Rejected, results["k4"].Outcome);
        Assert.Equal("INVALID_EMAIL", results["k4"].Code);
        Assert.Equal(5, results.Values.Count(r => r.Outcome == RecordOutcome.Delivered));
    }
}

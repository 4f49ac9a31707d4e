using Sluice.Core.Configuration;
using Sluice.Core.Models;
using Sluice.Core.State;

namespace Sluice.Engine.Tests;

/// <summary>The warnings that compare a run with the sync's earlier ones: the row count's move and the time without success.</summary>
public sealed class RunWarningPolicyTests
{
    private static readonly SourceLocation Here = new("sluice.yaml", 1, 1);
    private static readonly DateTime Monday = new(2026, 11, 30, 9, 0, 0, DateTimeKind.Utc);

    [Theory]
    [InlineData(1000, 1250, true)]   // +25% > 20%
    [InlineData(1000, 750, true)]    // -25%
    [InlineData(1000, 1200, false)]  // exactly 20%: not over
    [InlineData(1000, 1000, false)]
    public void The_row_count_warning_compares_with_the_last_successful_run(long before, long now, bool raised)
    {
        var sync = Sync(WarningsConfig.Default with { }, rowCountChange: 20);
        var history = new[] { Run(3, RunStatus.Failed, 0, Monday.AddHours(2)), Run(2, RunStatus.Succeeded, before, Monday) };
        var warnings = Apply(sync, RunStatus.Succeeded, now, EarlierRuns.From([Run(4, RunStatus.Running, 0, Monday.AddHours(3)), .. history], 4));

        Assert.Equal(raised, warnings.Contains(RunWarnings.RowCountChange));
    }

    [Fact]
    public void The_row_count_warning_needs_a_successful_run_with_rows_to_compare_with()
    {
        var sync = Sync(WarningsConfig.Default, rowCountChange: 5);
        Assert.Empty(Apply(sync, RunStatus.Succeeded, 500, EarlierRuns.From([Run(1, RunStatus.Running, 0, Monday)], 1)));
        Assert.Empty(Apply(sync, RunStatus.Succeeded, 500,
            EarlierRuns.From([Run(2, RunStatus.Running, 0, Monday.AddHours(1)), Run(1, RunStatus.Succeeded, 0, Monday)], 2)));
    }

    [Fact]
    public void The_row_count_warning_states_both_counts_and_the_direction()
    {
        var sync = Sync(WarningsConfig.Default, rowCountChange: 20);
        var earlier = EarlierRuns.From([Run(5, RunStatus.Running, 0, Monday.AddHours(1)), Run(4, RunStatus.Succeeded, 1000, Monday)], 5);
        var run = Run(5, RunStatus.Succeeded, 600, Monday.AddHours(1));

        Assert.Equal("The model 'people' has 600 rows, 40% fewer than the 1,000 of the last successful run (4), over the 20% of row_count_change_percent.",
            RunWarningPolicy.Describe(RunWarnings.RowCountChange, sync, run, earlier));
    }

    [Fact]
    public void Not_succeeded_is_raised_by_a_failing_run_once_the_last_success_is_older_than_the_limit()
    {
        var sync = Sync(WarningsConfig.Default, notSucceededHours: 24);
        RunRecord[] Earlier(DateTime now) => [Run(9, RunStatus.Running, 0, now), Run(8, RunStatus.Failed, 0, Monday.AddHours(12)), Run(7, RunStatus.Succeeded, 10, Monday)];

        Assert.DoesNotContain(RunWarnings.NotSucceeded, Apply(sync, RunStatus.Failed, 0, EarlierRuns.From(Earlier(Monday.AddHours(23)), 9)));
        Assert.Contains(RunWarnings.NotSucceeded, Apply(sync, RunStatus.Failed, 0, EarlierRuns.From(Earlier(Monday.AddHours(25)), 9)));
        Assert.DoesNotContain(RunWarnings.NotSucceeded, Apply(sync, RunStatus.Succeeded, 10, EarlierRuns.From(Earlier(Monday.AddHours(25)), 9)));
    }

    [Fact]
    public void A_sync_that_never_succeeded_counts_from_its_first_run()
    {
        var sync = Sync(WarningsConfig.Default, notSucceededHours: 2);
        var earlier = EarlierRuns.From([Run(3, RunStatus.Running, 0, Monday.AddHours(3)), Run(2, RunStatus.Failed, 0, Monday.AddHours(1)),
            Run(1, RunStatus.Failed, 0, Monday)], 3);

        Assert.Contains(RunWarnings.NotSucceeded, Apply(sync, RunStatus.Failed, 0, earlier));
        Assert.StartsWith("The sync has not succeeded for 3 hours (no successful run yet)",
            RunWarningPolicy.Describe(RunWarnings.NotSucceeded, sync, Run(3, RunStatus.Failed, 0, Monday.AddHours(3)), earlier), StringComparison.Ordinal);
    }

    private static List<string> Apply(SyncConfig sync, RunStatus status, long modelRows, EarlierRuns earlier)
    {
        var warnings = new List<string>();
        RunWarningPolicy.Apply(sync, status, planned: true, new RunCounts { ModelRows = modelRows }, earlier, warnings);
        warnings.Remove(RunWarnings.Failed);
        warnings.Remove(RunWarnings.EmptyModel);
        return warnings;
    }

    private static RunRecord Run(long id, RunStatus status, long modelRows, DateTime started) =>
        new(id, "people-sync", started, status == RunStatus.Running ? null : started.AddMinutes(1), status, false,
            new RunCounts { ModelRows = modelRows }, [], null);

    private static SyncConfig Sync(WarningsConfig warnings, double? rowCountChange = null, double? notSucceededHours = null) => new(
        "people-sync", "people", "dest", SyncMode.Upsert, new MappingConfig("email", "email", Here), [], Schedule.Manual,
        warnings with
        {
            RowCountChangePercent = rowCountChange,
            NotSucceededFor = notSucceededHours is { } h ? TimeSpan.FromHours(h) : null,
        },
        DeleteLimit.Default, Here, Here);
}

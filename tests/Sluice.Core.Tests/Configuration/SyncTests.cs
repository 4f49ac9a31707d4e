using Sluice.Core.Configuration;
using Sluice.Core.Models;
using static Sluice.Core.Tests.Configuration.ProjectFolder;

namespace Sluice.Core.Tests.Configuration;

public sealed class SyncTests
{
    // 22 lines: the first sync's name is on line 23.
    internal const string Head = """
        sources:
          warehouse:
            type: duckdb
            path: warehouse.duckdb
        models:
          customers:
            source: warehouse
            primary_key: customer_id
            sql: select customer_id, email, first_name, plan from customers
        destinations:
          actito:
            type: actito
            api_key: ${ACTITO_API_KEY}
            entity: my_entity
            table: profiles
          iterable:
            type: iterable
            api_key: ${ITERABLE_API_KEY}
        notifications:
          data-team:
            email: data-team@example.com
        syncs:

        """;

    internal static readonly IReadOnlyDictionary<string, string?> Keys = Env(("ACTITO_API_KEY", "a"), ("ITERABLE_API_KEY", "i"));

    // Lines 23-26 with a 5th line free for the test's own keys.
    private const string Sync = """
          s:
            model: customers
            destination: actito
            mode: upsert
            match: { column: email, field: email }

        """;

    internal static ProjectConfig LoadSyncs(string syncs) => LoadOf(Head + syncs, Keys);

    internal static IReadOnlyList<ConfigProblem> ProblemsOfSyncs(string syncs) => ProblemsOf(Head + syncs, Keys);

    private static SyncConfig LoadSync(string extra = "") => LoadSyncs(Sync + extra).Syncs["s"];

    private static ConfigProblem ProblemOf(string extra, string? sync = null) => Assert.Single(ProblemsOfSyncs((sync ?? Sync) + extra));

    [Fact]
    public void A_minimal_sync_sends_only_the_match_and_takes_the_defaults()
    {
        var sync = LoadSync();
        Assert.Equal("customers", sync.Model);
        Assert.Equal("actito", sync.Destination);
        Assert.Equal(SyncMode.Upsert, sync.Mode);
        Assert.Equal(new MappingConfig("email", "email", new SourceLocation("sluice.yaml", 27, 12)), sync.Match);
        Assert.Empty(sync.Mappings);
        Assert.Equal(Schedule.Manual, sync.Schedule);
        Assert.Equal(WarningsConfig.Default.OnFailure, sync.Warnings.OnFailure);
        Assert.Null(sync.Warnings.RejectedRowsPercent);
        Assert.Empty(sync.Warnings.Notify);
        Assert.Equal(DeleteLimit.Default, sync.MaxDeletes);
        Assert.Equal(new SourceLocation("sluice.yaml", 23, 3), sync.Location);
        Assert.Equal(new SourceLocation("sluice.yaml", 26, 11), sync.ModeLocation);
        Assert.Equal(new SourceLocation("sluice.yaml", 25, 18), sync.DestinationLocation);
    }

    [Fact]
    public void An_unknown_model_gets_did_you_mean_and_the_list_of_models()
    {
        var problem = ProblemOf("", Sync.Replace("model: customers", "model: customer"));
        Assert.Equal(new SourceLocation("sluice.yaml", 24, 12), problem.Location);
        Assert.Equal("sync 's' uses model 'customer', which does not exist; did you mean 'customers'?", problem.Message);
        Assert.Equal("Use one of the models of this project: customers.", problem.Hint);
    }

    [Fact]
    public void An_unknown_destination_gets_did_you_mean()
    {
        var problem = ProblemOf("", Sync.Replace("destination: actito", "destination: actio"));
        Assert.Equal(new SourceLocation("sluice.yaml", 25, 18), problem.Location);
        Assert.Equal("sync 's' uses destination 'actio', which does not exist; did you mean 'actito'?", problem.Message);
        Assert.Equal("Use one of the destinations of this project: actito, iterable.", problem.Hint);
    }

    [Fact]
    public void A_sync_without_model_destination_mode_or_match_reports_each()
    {
        var problems = ProblemsOfSyncs("  s:\n    schedule: manual\n");
        Assert.Equal(
            ["sync 's' has no model", "sync 's' has no destination", "sync 's' has no mode", "sync 's' has no match"],
            problems.Select(p => p.Message));
        Assert.All(problems, p => Assert.Equal(new SourceLocation("sluice.yaml", 23, 3), p.Location));
    }

    [Fact]
    public void An_unknown_mode_gets_did_you_mean()
    {
        var problem = ProblemOf("", Sync.Replace("mode: upsert", "mode: upsret"));
        Assert.Equal(new SourceLocation("sluice.yaml", 26, 11), problem.Location);
        Assert.Equal("sync 's' has mode 'upsret', which is not a sync mode; did you mean 'upsert'?", problem.Message);
        Assert.Equal("Use one of insert, update, upsert, mirror.", problem.Hint);
    }

    [Fact]
    public void A_mode_the_destination_does_not_support_names_the_supported_modes()
    {
        var problem = ProblemOf("", Sync.Replace("destination: actito", "destination: iterable").Replace("mode: upsert", "mode: mirror"));
        Assert.Equal(new SourceLocation("sluice.yaml", 26, 11), problem.Location);
        Assert.Equal("sync 's' uses mode 'mirror', but destination 'iterable' (iterable) supports only update, upsert", problem.Message);
        Assert.Equal("Change mode to one of update, upsert.", problem.Hint);
    }

    [Fact]
    public void A_match_needs_a_column_and_a_field()
    {
        var problems = ProblemsOfSyncs(Sync.Replace("{ column: email, field: email }", "{ colum: email }"));
        Assert.Equal(
            [
                "27:12 the match of sync 's' has no column",
                "27:12 the match of sync 's' has no field",
                "27:14 unknown key 'colum' in the match of sync 's'; did you mean 'column'?",
            ],
            problems.Select(p => $"{p.Location?.Line}:{p.Location?.Column} {p.Message}").Order());
    }

    [Fact]
    public void A_match_written_as_a_single_value_is_a_problem()
    {
        var problem = ProblemOf("", Sync.Replace("{ column: email, field: email }", "email"));
        Assert.Equal("the match of sync 's' must be a mapping of keys to values, not a single value", problem.Message);
        Assert.Equal("Write match: { column: email, field: email }.", problem.Hint);
    }

    [Fact]
    public void Mappings_are_read_in_order_with_their_lines()
    {
        var sync = LoadSync("    mappings:\n      first_name: firstName\n      plan: plan\n");
        Assert.Equal(
            [
                new MappingConfig("first_name", "firstName", new SourceLocation("sluice.yaml", 29, 7)),
                new MappingConfig("plan", "plan", new SourceLocation("sluice.yaml", 30, 7)),
            ],
            sync.Mappings);
    }

    [Fact]
    public void Empty_mappings_are_allowed()
    {
        Assert.Empty(LoadSync("    mappings:\n").Mappings);
        Assert.Empty(LoadSync("    mappings: {}\n").Mappings);
    }

    [Fact]
    public void The_same_destination_field_mapped_twice_is_a_problem_at_the_second_mapping()
    {
        var problem = ProblemOf("    mappings:\n      plan: tier\n      first_name: firstName\n      plan_name: tier\n");
        Assert.Equal(new SourceLocation("sluice.yaml", 31, 7), problem.Location);
        Assert.Equal("destination field 'tier' is mapped twice in sync 's': from 'plan' (line 29) and from 'plan_name'", problem.Message);
    }

    [Fact]
    public void A_mapping_without_a_field_is_a_problem()
    {
        var problem = ProblemOf("    mappings:\n      plan:\n");
        Assert.Equal(new SourceLocation("sluice.yaml", 29, 7), problem.Location);
        Assert.Equal("column 'plan' in the mappings of sync 's' is mapped to no field", problem.Message);
    }

    [Fact]
    public void Mappings_written_as_a_list_are_a_problem()
    {
        var problem = ProblemOf("    mappings:\n      - plan\n");
        Assert.Equal("the mappings of sync 's' must be a mapping of keys to values, not a list", problem.Message);
        Assert.Equal(new SourceLocation("sluice.yaml", 29, 7), problem.Location);
    }

    [Fact]
    public void An_unknown_sync_key_gets_did_you_mean_and_the_valid_keys()
    {
        var problem = ProblemOf("    mapping:\n      plan: plan\n");
        Assert.Equal(new SourceLocation("sluice.yaml", 28, 5), problem.Location);
        Assert.Equal("unknown key 'mapping' in sync 's'; did you mean 'mappings'?", problem.Message);
        Assert.Equal("Rename it to 'mappings', or remove it. Valid keys here: model, destination, mode, match, mappings, schedule, schedule_timezone, warnings, max_deletes.",
            problem.Hint);
    }

    [Theory]
    [InlineData("manual", "manual")]
    [InlineData("every 30m", "every 30m")]
    [InlineData("every 2h", "every 2h")]
    [InlineData("every 1d", "every 24h")]
    [InlineData("0 6 * * 1-5", "0 6 * * 1-5")]
    public void Schedules_are_read(string text, string shown)
    {
        Assert.Equal(shown, LoadSync($"    schedule: {text}\n").Schedule.ToString());
    }

    [Fact]
    public void An_interval_schedule_fires_after_its_interval()
    {
        var start = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal(start.AddDays(1), LoadSync("    schedule: every 1d\n").Schedule.NextAfter(start));
    }

    [Fact]
    public void A_cron_schedule_uses_its_time_zone()
    {
        var schedule = Assert.IsType<CronSchedule>(LoadSync("    schedule: 0 6 * * *\n    schedule_timezone: Europe/Brussels\n").Schedule);
        Assert.Equal("Europe/Brussels", schedule.TimeZone.Id);
        var next = schedule.NextAfter(new DateTimeOffset(2025, 1, 15, 0, 0, 0, TimeSpan.Zero));
        Assert.Equal(new DateTimeOffset(2025, 1, 15, 5, 0, 0, TimeSpan.Zero), next);
    }

    [Fact]
    public void An_interval_in_seconds_is_read_and_written_back()
    {
        var schedule = Assert.IsType<IntervalSchedule>(LoadSync("    schedule: every 8s\n").Schedule);
        Assert.Equal(TimeSpan.FromSeconds(8), schedule.Every);
        Assert.Equal("every 8s", schedule.ToString());
    }

    [Fact]
    public void A_cron_schedule_defaults_to_utc()
    {
        var schedule = Assert.IsType<CronSchedule>(LoadSync("    schedule: 30 * * * *\n").Schedule);
        Assert.Equal(TimeZoneInfo.Utc, schedule.TimeZone);
    }

    [Theory]
    [InlineData("every 30 minutes", "the schedule of sync 's' is invalid: 'every 30 minutes' is not an interval: write every <n>m, every <n>h or every <n>d with n of at least 1 (or every <n>s with n of at least 5)")]
    [InlineData("every 0m", "the schedule of sync 's' is invalid: 'every 0m' is not an interval: write every <n>m, every <n>h or every <n>d with n of at least 1 (or every <n>s with n of at least 5)")]
    [InlineData("every 2s", "the schedule of sync 's' is invalid: 'every 2s' is not an interval: write every <n>m, every <n>h or every <n>d with n of at least 1 (or every <n>s with n of at least 5)")]
    [InlineData("daily", "the schedule of sync 's' is invalid: 'daily' is not a schedule")]
    public void An_invalid_schedule_is_a_problem_at_its_line(string text, string message)
    {
        var problem = ProblemOf($"    schedule: {text}\n");
        Assert.Equal(new SourceLocation("sluice.yaml", 28, 15), problem.Location);
        Assert.Equal(message, problem.Message);
        Assert.Equal($"Write one of: manual, every <n>s (at least 5), every <n>m, every <n>h, every <n>d, a 5-field cron expression such as '0 6 * * *', or after <sync>.", problem.Hint);
    }

    [Fact]
    public void An_invalid_cron_expression_is_a_problem()
    {
        var problem = ProblemOf("    schedule: 61 * * * *\n");
        Assert.StartsWith("the schedule of sync 's' is invalid: '61 * * * *' is not a valid cron expression (", problem.Message);
    }

    [Fact]
    public void An_unknown_time_zone_is_a_problem()
    {
        var problem = ProblemOf("    schedule: 0 6 * * *\n    schedule_timezone: Europe/Brusels\n");
        Assert.Equal(new SourceLocation("sluice.yaml", 29, 24), problem.Location);
        Assert.Equal("the schedule_timezone of sync 's' is 'Europe/Brusels', which is not a known time zone", problem.Message);
    }

    [Fact]
    public void A_time_zone_on_an_interval_schedule_is_a_problem()
    {
        var problem = ProblemOf("    schedule: every 1h\n    schedule_timezone: Europe/Brussels\n");
        Assert.Equal(new SourceLocation("sluice.yaml", 29, 24), problem.Location);
        Assert.Equal("schedule_timezone only applies to a cron schedule, and the schedule of sync 's' is 'every 1h'", problem.Message);
    }

    [Fact]
    public void A_sync_can_run_after_another_sync()
    {
        var project = LoadSyncs(Sync + Sync.Replace("  s:", "  t:") + "    schedule: after s\n");
        Assert.Equal(new AfterSchedule("s"), project.Syncs["t"].Schedule);
    }

    [Fact]
    public void Running_after_an_unknown_sync_gets_did_you_mean()
    {
        var problem = Assert.Single(ProblemsOfSyncs(Sync + Sync.Replace("  s:", "  t:") + "    schedule: after ss\n"));
        Assert.Equal(new SourceLocation("sluice.yaml", 33, 15), problem.Location);
        Assert.Equal("sync 't' runs after sync 'ss', which does not exist; did you mean 's'?", problem.Message);
    }

    [Fact]
    public void Syncs_running_after_each_other_are_a_cycle_reported_once()
    {
        var problems = ProblemsOfSyncs(
            Sync + "    schedule: after t\n" + Sync.Replace("  s:", "  t:") + "    schedule: after s\n");
        var problem = Assert.Single(problems);
        Assert.Equal(new SourceLocation("sluice.yaml", 28, 15), problem.Location);
        Assert.Equal("sync 's' runs after itself: s -> t -> s", problem.Message);
    }

    [Fact]
    public void A_sync_running_after_itself_is_a_cycle()
    {
        var problem = ProblemOf("    schedule: after s\n");
        Assert.Equal("sync 's' runs after itself: s -> s", problem.Message);
    }

    [Fact]
    public void Warnings_are_read()
    {
        var warnings = LoadSync("""
                warnings:
                  on_failure: false
                  rejected_rows_percent: 2.5
                  on_empty_model: false
                  on_mirror_guard: false
                  notify: [data-team]

            """).Warnings;
        Assert.Equal((false, 2.5, false, false), (warnings.OnFailure, warnings.RejectedRowsPercent, warnings.OnEmptyModel, warnings.OnMirrorGuard));
        Assert.Equal(["data-team"], warnings.Notify);
    }

    [Fact]
    public void Notify_may_name_a_single_notification()
    {
        Assert.Equal(["data-team"], LoadSync("    warnings:\n      notify: data-team\n").Warnings.Notify);
    }

    [Fact]
    public void Warnings_problems_are_all_reported_at_their_lines()
    {
        var problems = ProblemsOfSyncs(Sync + """
                warnings:
                  on_failure: yes
                  rejected_rows_percent: 120
                  notify: [data-tem, ops]
                  on_empty: true

            """);
        Assert.Equal(
            [
                "29:19 on_failure in the warnings of sync 's' must be true or false, not 'yes'",
                "30:30 rejected_rows_percent in the warnings of sync 's' must be a number from 0 to 100, not '120'",
                "31:16 the warnings of sync 's' notify 'data-tem', which is not a notification; did you mean 'data-team'?",
                "31:26 the warnings of sync 's' notify 'ops', which is not a notification",
                "32:7 unknown key 'on_empty' in the warnings of sync 's'; did you mean 'on_empty_model'?",
            ],
            problems.Select(p => $"{p.Location?.Line}:{p.Location?.Column} {p.Message}"));
        Assert.Equal("Use one of the notifications of this project: data-team.", problems[2].Hint);
    }

    [Theory]
    [InlineData("250", 250, false)]
    [InlineData("10%", 10, true)]
    [InlineData("2.5 %", 2.5, true)]
    [InlineData("0", 0, false)]
    public void Max_deletes_is_a_count_or_a_percent(string text, double value, bool percent)
    {
        var sync = LoadSync($"    max_deletes: {text}\n".Replace("mode: upsert", "mode: mirror"), mirror: true);
        Assert.Equal(new DeleteLimit(value, percent), sync.MaxDeletes);
    }

    [Theory]
    [InlineData("lots")]
    [InlineData("150%")]
    [InlineData("2.5")]
    [InlineData("-1")]
    public void An_invalid_max_deletes_is_a_problem(string text)
    {
        var problem = Assert.Single(ProblemsOfSyncs(Sync.Replace("mode: upsert", "mode: mirror") + $"    max_deletes: {text}\n"));
        Assert.Equal(new SourceLocation("sluice.yaml", 28, 18), problem.Location);
        Assert.Equal($"max_deletes of sync 's' must be a count such as 500 or a percent such as 10%, not '{text}'", problem.Message);
    }

    [Fact]
    public void Max_deletes_on_a_mode_other_than_mirror_is_a_problem()
    {
        var problem = ProblemOf("    max_deletes: 10\n");
        Assert.Equal(new SourceLocation("sluice.yaml", 28, 18), problem.Location);
        Assert.Equal("max_deletes only applies to mode mirror, and sync 's' uses mode 'upsert'", problem.Message);
    }

    private static SyncConfig LoadSync(string extra, bool mirror) =>
        LoadSyncs((mirror ? Sync.Replace("mode: upsert", "mode: mirror") : Sync) + extra).Syncs["s"];
}

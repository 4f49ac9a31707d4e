using Sluice.Core.Destinations;
using Sluice.Core.Models;

namespace Sluice.Destinations.Actito.Tests;

public sealed class CheckTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_valid_sync_with_missing_attributes_passes_the_live_check()
    {
        await using var harness = await Harness.StartAsync();
        var destination = harness.Destination();
        Assert.Empty(await destination.CheckAsync(Customers.Sync(SyncMode.Mirror), Ct));
    }

    [Fact]
    public async Task A_refused_api_key_stops_the_check_with_an_authentication_error_that_hides_the_key()
    {
        await using var harness = await Harness.StartAsync();
        var destination = harness.Destination((ActitoOptions.ApiKey, "wrong-key-abc123"));
        var error = await Assert.ThrowsAsync<DeliveryException>(() => destination.CheckAsync(Customers.Sync(SyncMode.Upsert), Ct));
        Assert.Equal(ErrorCategory.Authentication, error.Category);
        Assert.DoesNotContain("wrong-key-abc123", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Harness.ApiKey, error.Message, StringComparison.Ordinal);
        Assert.Contains("api_key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_table_is_a_problem_listing_the_tables_there_are()
    {
        await using var harness = await Harness.StartAsync();
        var destination = harness.Destination((ActitoOptions.Table, "Customers"));
        var problem = Assert.Single(await destination.CheckAsync(Customers.Sync(SyncMode.Upsert), Ct));
        Assert.Equal(ProblemTarget.Destination, problem.Target);
        Assert.Contains("'Customers'", problem.Message, StringComparison.Ordinal);
        Assert.Contains("Profiles", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_match_must_be_an_existing_unique_attribute()
    {
        await using var harness = await Harness.StartAsync();
        var destination = harness.Destination();

        var notUnique = await destination.CheckAsync(Customers.Sync(SyncMode.Upsert, match: new("first_name", "firstName"),
            mappings: [new("email", "emailAddress")]), Ct);
        var problem = Assert.Single(notUnique);
        Assert.Equal(ProblemTarget.Match, problem.Target);
        Assert.Contains("not a unique attribute", problem.Message, StringComparison.Ordinal);

        var missing = await destination.CheckAsync(Customers.Sync(SyncMode.Upsert, match: new("customer_id", "externalRef")), Ct);
        Assert.Contains(missing, p => p.Target == ProblemTarget.Match && p.Message.Contains("'externalRef'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_mapped_attribute_of_an_incompatible_type_is_a_problem_naming_both_sides()
    {
        await using var harness = await Harness.StartAsync();
        var destination = harness.Destination();
        var sync = Customers.Sync(SyncMode.Upsert, mappings:
        [
            new("orders", "birthDate"),
            new("vip", "emailAddress"),
            new("ltv", "firstName"),
            new("first_name", "lastName"),
        ]);
        var problems = await destination.CheckAsync(sync, Ct);
        Assert.Equal(3, problems.Count);
        var orders = Assert.Single(problems, p => p.Column == "orders");
        Assert.Contains("'orders' (BIGINT, Integer)", orders.Message, StringComparison.Ordinal);
        Assert.Contains("'birthDate' (BIRTHDATE)", orders.Message, StringComparison.Ordinal);
        Assert.Contains(problems, p => p.Column == "vip" && p.Message.Contains("'emailAddress' (EMAIL_ADDRESS)", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Column == "ltv" && p.Message.Contains("'firstName' (FIRSTNAME)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_custom_attribute_created_earlier_with_another_type_is_a_problem()
    {
        await using var harness = await Harness.StartAsync();
        var destination = harness.Destination();
        // The first run creates orderCount as INTEGER; mapping a text column to it later cannot work.
        await harness.RunAsync(harness.SingleCalls(), Customers.Sync(SyncMode.Upsert), Customers.Records([1], RecordOperation.Upsert));
        var problems = await destination.CheckAsync(Customers.Sync(SyncMode.Upsert, mappings: [new("first_name", "orderCount")]), Ct);
        var problem = Assert.Single(problems);
        Assert.Contains("'orderCount' (CUSTOM INTEGER)", problem.Message, StringComparison.Ordinal);
        Assert.Contains("'first_name' (VARCHAR, Text)", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_mandatory_attribute_left_unmapped_is_a_problem_for_modes_that_create()
    {
        await using var harness = await Harness.StartAsync(o =>
        {
            var table = Emulators.Actito.ActitoTableDefinition.DefaultProfiles();
            table.Attributes.Add(new Emulators.Actito.ActitoAttributeDefinition { Name = "segmentCode", ValueType = "STRING", Mandatory = true });
            o.Tables = [table];
        });
        var destination = harness.Destination();
        var problem = Assert.Single(await destination.CheckAsync(Customers.Sync(SyncMode.Upsert), Ct));
        Assert.Equal(ProblemTarget.Sync, problem.Target);
        Assert.Contains("'segmentCode'", problem.Message, StringComparison.Ordinal);
        Assert.Empty(await destination.CheckAsync(Customers.Sync(SyncMode.Update), Ct));
    }
}

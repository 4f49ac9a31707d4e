using System.Text.Json.Nodes;
using Sluice.Core.Destinations;
using Sluice.Core.Models;
using Sluice.Destinations.Iterable.Tests.Support;
using Sluice.Emulators.Iterable;

namespace Sluice.Destinations.Iterable.Tests;

public sealed class CheckAsyncTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_wrong_api_key_stops_with_an_authentication_error_that_says_to_check_api_key()
    {
        await using var iterable = await TestSync.StartEmulatorAsync();
        const string wrongKey = "wrong-key-do-not-print-me";
        await using var destination = new IterableDestinationProvider().Create(
            TestSync.Settings(iterable.BaseUrl, ("api_key", wrongKey)), TestSync.Services(iterable));

        var error = await Assert.ThrowsAsync<DeliveryException>(() =>
            destination.CheckAsync(TestSync.Sync(SyncMode.Upsert, "email", ("plan", ValueKind.Text)), Ct));

        Assert.Equal(ErrorCategory.Authentication, error.Category);
        Assert.Contains("check api_key", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(wrongKey, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(TestSync.ApiKey, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_field_whose_Iterable_type_conflicts_with_the_column_kind_is_reported_with_both_sides()
    {
        await using var iterable = await TestSync.StartEmulatorAsync();
        iterable.SeedUsers([new IterableSeedUser("seed@example.com", null, new JsonObject
        {
            ["seats"] = 3L, ["plan"] = "pro", ["score"] = 1.5, ["vip"] = true, ["renewal"] = "2024-01-02",
        })]);
        await using var destination = new IterableDestinationProvider().Create(TestSync.Settings(iterable.BaseUrl), TestSync.Services(iterable));
        var sync = TestSync.SyncMapped(SyncMode.Upsert, "email",
            ("seat_label", "seats", ValueKind.Text),      // long field, text column: conflict
            ("plan", "plan", ValueKind.Text),             // fine
            ("score", "score", ValueKind.Integer),        // integers fit a double field
            ("vip", "vip", ValueKind.Boolean),            // fine
            ("renewal", "renewal", ValueKind.Date),       // fine
            ("brand_new", "brandNew", ValueKind.Float));  // unknown: Iterable creates it

        var problems = await destination.CheckAsync(sync, Ct);

        var problem = Assert.Single(problems);
        Assert.Equal(ProblemTarget.Mapping, problem.Target);
        Assert.Equal("seat_label", problem.Column);
        Assert.Contains("'seat_label'", problem.Message, StringComparison.Ordinal);
        Assert.Contains("TEXT", problem.Message, StringComparison.Ordinal);
        Assert.Contains("'seats'", problem.Message, StringComparison.Ordinal);
        Assert.Contains("long", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_field_is_a_problem_only_when_create_new_fields_is_off()
    {
        await using var iterable = await TestSync.StartEmulatorAsync();
        var sync = TestSync.Sync(SyncMode.Upsert, "email", ("plan", ValueKind.Text));
        await using var creating = new IterableDestinationProvider().Create(TestSync.Settings(iterable.BaseUrl), TestSync.Services(iterable));
        await using var dropping = new IterableDestinationProvider().Create(
            TestSync.Settings(iterable.BaseUrl, ("create_new_fields", "false")), TestSync.Services(iterable));

        Assert.Empty(await creating.CheckAsync(sync, Ct));
        var problem = Assert.Single(await dropping.CheckAsync(sync, Ct));
        Assert.Equal("plan", problem.Column);
        Assert.Contains("create_new_fields", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_base_url_without_the_Iterable_API_is_a_configuration_error()
    {
        await using var iterable = await TestSync.StartEmulatorAsync();
        await using var destination = new IterableDestinationProvider().Create(
            TestSync.Settings(new Uri(iterable.BaseUrl, "elsewhere/")), TestSync.Services(iterable));

        var error = await Assert.ThrowsAsync<DeliveryException>(() =>
            destination.CheckAsync(TestSync.Sync(SyncMode.Upsert, "email", ("plan", ValueKind.Text)), Ct));

        Assert.Equal(ErrorCategory.Configuration, error.Category);
        Assert.Contains("base_url", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_service_is_a_connection_error_after_the_retries()
    {
        // A port that was just free: nothing listens there.
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await using var destination = new IterableDestinationProvider().Create(
            TestSync.Settings(new Uri($"http://127.0.0.1:{port}"), ("max_retries", "2")), TestSync.Services(logs: null));

        var error = await Assert.ThrowsAsync<DeliveryException>(() =>
            destination.CheckAsync(TestSync.Sync(SyncMode.Upsert, "email", ("plan", ValueKind.Text)), Ct));

        Assert.Equal(ErrorCategory.Connection, error.Category);
        Assert.DoesNotContain(TestSync.ApiKey, error.Message, StringComparison.Ordinal);
    }
}

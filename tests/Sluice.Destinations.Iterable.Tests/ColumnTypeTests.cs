using System.Text.Json.Nodes;
using Sluice.Core.Destinations;
using Sluice.Core.Models;
using Sluice.Destinations.Iterable.Tests.Support;
using Sluice.Emulators.Iterable;

namespace Sluice.Destinations.Iterable.Tests;

/// <summary>Nested DuckDB types (LIST, ARRAY, STRUCT, MAP, JSON) as the source hands them over: JSON text.</summary>
public sealed class ColumnTypeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static SyncContext Sync(params (string Column, string SourceType)[] columns) =>
        new("test-sync", SyncMode.Upsert, ModelKind.User, new FieldMapping("id", "email"),
            columns.Select(c => new FieldMapping(c.Column, c.Column)).ToArray(),
            [new ModelColumn("id", ValueKind.Text, "VARCHAR"), .. columns.Select(c => new ModelColumn(c.Column, ValueKind.Other, c.SourceType))]);

    [Fact]
    public async Task Lists_structs_maps_and_json_go_out_as_json_values_not_text()
    {
        await using var iterable = await TestSync.StartEmulatorAsync();
        var sync = Sync(("ints", "INTEGER[]"), ("fixed", "INTEGER[3]"), ("info", "STRUCT(plan VARCHAR, seats INTEGER)"),
            ("counts", "MAP(VARCHAR, INTEGER)"), ("doc", "JSON"), ("notJson", "JSON"), ("raw", "BLOB"));
        var (destination, writer) = await TestSync.OpenAsync(iterable, TestSync.Settings(iterable.BaseUrl), sync);
        await using var owner = destination;

        var result = Assert.Single(await writer.WriteAsync(TestSync.Batch(sync, [
            new DeliveryRecord("a@example.com", RecordOperation.Upsert, "a@example.com",
                ["[1,2]", "[1,2,3]", "{\"plan\":\"pro\",\"seats\":4}", "{\"k\":1}", "{\"a\":[true]}", "{not json", "QUJD"], null),
        ]), Ct));

        Assert.Equal(RecordOutcome.Delivered, result.Outcome);
        Assert.True(iterable.TryGetUser("a@example.com", out var user));
        var fields = user.DataFields;
        Assert.Equal("[1,2]", fields["ints"]!.ToJsonString());
        Assert.Equal("[1,2,3]", fields["fixed"]!.ToJsonString());
        Assert.Equal(4, fields["info"]!["seats"]!.GetValue<long>());
        Assert.Equal(1, fields["counts"]!["k"]!.GetValue<long>());
        Assert.True(fields["doc"]!["a"]![0]!.GetValue<bool>());
        Assert.Equal("{not json", fields["notJson"]!.GetValue<string>());
        Assert.Equal("QUJD", fields["raw"]!.GetValue<string>()); // BLOB: base64 text
    }

    [Fact]
    public async Task A_struct_column_mapped_to_an_existing_text_field_is_reported_naming_the_column_and_its_type()
    {
        await using var iterable = await TestSync.StartEmulatorAsync();
        iterable.SeedUsers([new IterableSeedUser("seed@example.com", null, new JsonObject { ["info"] = "text", ["prefs"] = new JsonObject { ["sms"] = true } })]);
        await using var destination = new IterableDestinationProvider().Create(TestSync.Settings(iterable.BaseUrl), TestSync.Services(iterable));

        var problems = await destination.CheckAsync(Sync(("info", "STRUCT(plan VARCHAR)"), ("prefs", "MAP(VARCHAR, BOOLEAN)")), Ct);

        var problem = Assert.Single(problems);
        Assert.Equal("info", problem.Column);
        Assert.Contains("STRUCT(plan VARCHAR)", problem.Message, StringComparison.Ordinal);
        Assert.Contains("sent as object", problem.Message, StringComparison.Ordinal);
        Assert.Contains("string", problem.Message, StringComparison.Ordinal);
    }
}

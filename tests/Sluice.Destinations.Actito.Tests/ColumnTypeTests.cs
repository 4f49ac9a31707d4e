using DuckDB.NET.Data;
using Sluice.Core.Destinations;
using Sluice.Core.Models;
using Sluice.Sources.DuckDb;

namespace Sluice.Destinations.Actito.Tests;

/// <summary>
/// Every column type a DuckDB model can return, read by the real DuckDB source: it reaches Actito in a form Actito
/// accepts, or the sync is refused at the check naming the column and its type.
/// </summary>
public sealed class ColumnTypeTests : IAsyncLifetime
{
    private const string Sql = """
        SELECT 'C-' || i AS customer_id,
               [i, i + 1, i + 2]::INTEGER[] AS tags,
               [i, i]::INTEGER[2] AS pair,
               {'tier': 'gold', 'level': i} AS info,
               MAP {'a': i} AS extras,
               '\xAA\xBB'::BLOB AS raw,
               INTERVAL (i) HOUR AS wait,
               ('5b1f0e9a-0000-4000-8000-' || lpad(i::VARCHAR, 12, '0'))::UUID AS ref,
               (i * 1000000000000)::HUGEINT AS big,
               (12.345 + i)::DECIMAL(10, 3) AS amount,
               TIME '13:14:15' AS at_time,
               TIMESTAMPTZ '2024-05-06 07:08:09+02' AS seen_at,
               DATE '2024-02-29' AS day
        FROM range(1, 61) t(i)
        """;

    private static readonly FieldMapping Match = new("customer_id", "customerId");

    private static readonly IReadOnlyList<FieldMapping> Sendable =
    [
        new("tags", "tags"), new("pair", "pair"), new("info", "info"), new("extras", "extras"), new("ref", "externalRef"),
        new("big", "bigNumber"), new("amount", "amount"), new("at_time", "atTime"), new("seen_at", "seenAt"), new("day", "day"),
    ];

    private readonly string _directory = Directory.CreateTempSubdirectory("sluice-actito-types-").FullName;
    private DuckDbSource _source = null!;
    private IReadOnlyList<ModelColumn> _columns = [];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var path = Path.Combine(_directory, "model.duckdb");
        // The source opens an existing file read-only; the model's SQL needs no tables.
        await using (var connection = new DuckDBConnection($"Data Source={path}"))
            await connection.OpenAsync(Ct);
        _source = new DuckDbSource("warehouse", path);
        _columns = await _source.DescribeAsync(Sql, Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _source.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private SyncContext Sync(IReadOnlyList<FieldMapping> mappings) =>
        new("types-to-actito", SyncMode.Upsert, ModelKind.User, Match, mappings, _columns);

    [Fact]
    public void Binary_and_interval_columns_are_refused_at_the_sync_check_naming_column_and_type()
    {
        var provider = new ActitoDestinationProvider();
        var settings = new DestinationSettings("actito", "actito", new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [ActitoOptions.ApiKey] = "k",
            [ActitoOptions.Entity] = "e",
            [ActitoOptions.Table] = "Profiles",
        });
        var problems = provider.CheckSync(settings, Sync([.. Sendable, new("raw", "rawBytes"), new("wait", "waitTime")]));

        Assert.Equal(2, problems.Count);
        var raw = Assert.Single(problems, p => p.Column == "raw");
        Assert.Contains("Column 'raw' has type BLOB", raw.Message, StringComparison.Ordinal);
        Assert.NotNull(raw.Hint);
        var wait = Assert.Single(problems, p => p.Column == "wait");
        Assert.Contains("Column 'wait' has type INTERVAL", wait.Message, StringComparison.Ordinal);
        Assert.Empty(provider.CheckSync(settings, Sync(Sendable)));
    }

    [Fact]
    public async Task A_list_mapped_to_a_predefined_or_typed_attribute_is_refused_by_the_live_check()
    {
        await using var harness = await Harness.StartAsync();
        var problems = await harness.Destination().CheckAsync(Sync([new("tags", "emailAddress"), new("info", "birthDate")]), Ct);
        Assert.Equal(2, problems.Count);
        Assert.Contains(problems, p => p.Column == "tags" && p.Message.Contains("'tags' (INTEGER[], Other)", StringComparison.Ordinal)
            && p.Message.Contains("EMAIL_ADDRESS", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Column == "info" && p.Message.Contains("BIRTHDATE", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("single")]
    [InlineData("bulk")]
    public async Task Every_other_type_is_delivered_in_a_documented_form(string transport)
    {
        await using var harness = await Harness.StartAsync();
        var sync = Sync(Sendable);
        var records = new List<DeliveryRecord>();
        var indexes = Sendable.Select(m => _columns.ToList().FindIndex(c => c.Name == m.Column)).ToArray();
        await foreach (var row in _source.ReadAsync(Sql, Ct))
        {
            var id = (string)row[0]!;
            records.Add(new DeliveryRecord("k" + id, RecordOperation.Upsert, id, [.. indexes.Select(i => row[i])], null));
        }

        var destination = Harness.ByTransport(harness, transport);
        Assert.Empty(await destination.CheckAsync(sync, Ct));
        var results = await harness.RunAsync(destination, sync, records);

        Assert.All(results.Values, r => Assert.Equal(RecordOutcome.Delivered, r.Outcome));
        var types = await harness.AttributeTypesAsync();
        Assert.Equal(("CUSTOM", "STRING"), types["tags"]);
        Assert.Equal(("CUSTOM", "STRING"), types["info"]);
        Assert.Equal(("CUSTOM", "STRING"), types["externalRef"]);
        Assert.Equal(("CUSTOM", "INTEGER"), types["bigNumber"]);
        Assert.Equal(("CUSTOM", "STRING"), types["amount"]);
        Assert.Equal(("CUSTOM", "STRING"), types["atTime"]);
        Assert.Equal(("CUSTOM", "TIMESTAMP"), types["seenAt"]);
        Assert.Equal(("CUSTOM", "DATE"), types["day"]);

        var seven = harness.ProfilesByCustomerId()["C-7"];
        Assert.Equal("[7,8,9]", seven["tags"]);
        Assert.Equal("[7,7]", seven["pair"]);
        Assert.Equal("{\"tier\":\"gold\",\"level\":7}", seven["info"]);
        Assert.Equal("{\"a\":7}", seven["extras"]);
        Assert.Equal("5b1f0e9a-0000-4000-8000-000000000007", seven["externalRef"]);
        Assert.Equal("7000000000000", seven["bigNumber"]);
        Assert.Equal("19.345", seven["amount"]);
        Assert.Equal("13:14:15", seven["atTime"]);
        Assert.Equal("2024-05-06 05:08:09", seven["seenAt"]); // TIMESTAMPTZ in UTC
        Assert.Equal("2024-02-29", seven["day"]);
    }
}

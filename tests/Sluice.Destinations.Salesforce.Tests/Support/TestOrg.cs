using System.Collections.Concurrent;
using Sluice.Core.Destinations;
using Sluice.Core.Models;
using Sluice.Destinations.Tests.Support;
using Sluice.Emulators.Salesforce;

namespace Sluice.Destinations.Salesforce.Tests.Support;

/// <summary>
/// Starts an emulated org and builds destinations pointed at it. Destinations run on simulated time, so retry
/// waits (Retry-After included) and polls pass without being waited out.
/// </summary>
internal static class TestOrg
{
    public const string ClientId = "3MVG9sluice.test.consumer.key";
    public const string ClientSecret = "consumer-secret-7f3a91c2e8";

    public static SalesforceTuning FastTuning { get; } = new()
    {
        RetryBaseDelay = TimeSpan.FromMilliseconds(5),
        MaxRetryDelay = TimeSpan.FromMilliseconds(50),
        BulkPollInitial = TimeSpan.FromMilliseconds(5),
        BulkPollMax = TimeSpan.FromMilliseconds(40),
        MaxRetries = 12,
    };

    public static SalesforceDestinationProvider Provider { get; } = new() { Tuning = FastTuning };

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static Task<SalesforceEmulator> StartAsync(Action<SalesforceEmulatorOptions>? configure = null)
    {
        var options = new SalesforceEmulatorOptions { ClientId = ClientId, ClientSecret = ClientSecret };
        configure?.Invoke(options);
        return SalesforceEmulator.StartAsync(options, Ct);
    }

    public static DestinationSettings Settings(SalesforceEmulator org, string obj = "Contact", params (string Key, string Value)[] extra) =>
        Settings(org.BaseUrl.ToString(), obj, extra);

    public static DestinationSettings Settings(string loginUrl, string obj = "Contact", params (string Key, string Value)[] extra)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["login_url"] = loginUrl,
            ["client_id"] = ClientId,
            ["client_secret"] = ClientSecret,
            ["object"] = obj,
        };
        foreach (var (k, v) in extra)
            values[k] = v;
        return new DestinationSettings("sf", "salesforce", values);
    }

    public static IDestination Destination(SalesforceEmulator org, string obj = "Contact", params (string Key, string Value)[] extra) =>
        Provider.Create(Settings(org, obj, extra), new SimulatedTime().Services());
}

/// <summary>A Contact sync with one column of each kind, as a user model.</summary>
internal static class Contacts
{
    public static readonly ModelColumn[] Columns =
    [
        new("customer_id", ValueKind.Text, "VARCHAR"),
        new("ext_id", ValueKind.Text, "VARCHAR"),
        new("contact_id", ValueKind.Text, "VARCHAR"),
        new("first_name", ValueKind.Text, "VARCHAR"),
        new("last_name", ValueKind.Text, "VARCHAR"),
        new("email", ValueKind.Text, "VARCHAR"),
        new("score", ValueKind.Decimal, "DECIMAL(10,2)"),
        new("vip", ValueKind.Boolean, "BOOLEAN"),
        new("birthday", ValueKind.Date, "DATE"),
        new("seen_at", ValueKind.Timestamp, "TIMESTAMP"),
        new("visits", ValueKind.Integer, "BIGINT"),
    ];

    public static readonly FieldMapping[] Mappings =
    [
        new("first_name", "FirstName"),
        new("last_name", "LastName"),
        new("email", "Email"),
        new("score", "number_field__c"),
        new("vip", "checkbox_field__c"),
        new("birthday", "Birthdate"),
        new("seen_at", "datetime_field__c"),
    ];

    public static readonly FieldMapping ByExternalId = new("ext_id", "Custom_External_ID__c");
    public static readonly FieldMapping ById = new("contact_id", "Id");
    public static readonly FieldMapping ByEmail = new("email", "Email");

    public static SyncContext Sync(SyncMode mode, FieldMapping? match = null, IReadOnlyList<FieldMapping>? mappings = null) =>
        new("contacts", mode, ModelKind.User, match ?? ByExternalId, mappings ?? Mappings, Columns);

    /// <summary>Row n of the model, as the engine hands it over (values aligned with <see cref="Mappings"/>).</summary>
    public static DeliveryRecord Row(int n, RecordOperation op, string? destinationId = null, string? lastName = null,
        string? email = null, object? match = null, string? firstName = null) =>
        new($"k{n}", op, match ?? $"EXT-{n}",
        [
            firstName ?? $"First{n}",
            lastName ?? $"Last{n}",
            email ?? $"p{n}@example.com",
            10.25m + n,
            n % 2 == 0,
            new DateOnly(1990, 1, 1).AddDays(n),
            new DateTime(2024, 5, 1, 12, 0, 0, DateTimeKind.Utc).AddMinutes(n),
        ], destinationId);

    public static List<DeliveryRecord> Rows(int count, RecordOperation op, int from = 0) =>
        [.. Enumerable.Range(from, count).Select(n => Row(n, op))];
}

/// <summary>Drives a destination the way the engine does: open with the plan, batches of BatchSize, MaxConcurrency at once.</summary>
internal static class Runner
{
    public static async Task<Dictionary<string, RecordResult>> RunAsync(
        IDestination destination, SyncContext sync, IReadOnlyList<DeliveryRecord> records,
        Func<int, Task>? betweenBatches = null, int? batchSize = null)
    {
        var plan = new PlanCounts(
            records.Count(r => r.Operation == RecordOperation.Create),
            records.Count(r => r.Operation == RecordOperation.Update),
            records.Count(r => r.Operation == RecordOperation.Upsert),
            records.Count(r => r.Operation == RecordOperation.Delete));
        await using var writer = await destination.OpenAsync(sync, plan, TestOrg.Ct);
        var batches = records.Chunk(batchSize ?? writer.BatchSize).Select(c => new DeliveryBatch(sync.Mappings, c)).ToList();
        var results = new ConcurrentDictionary<string, RecordResult>(StringComparer.Ordinal);

        async Task Deliver(DeliveryBatch batch)
        {
            var answer = await writer.WriteAsync(batch, TestOrg.Ct);
            Assert.Equal(batch.Records.Count, answer.Count);
            Assert.Equal(batch.Records.Select(r => r.Key).Order(), answer.Select(r => r.Key).Order());
            foreach (var r in answer)
                Assert.True(results.TryAdd(r.Key, r), $"two results for {r.Key}");
        }

        if (betweenBatches is not null)
        {
            for (var i = 0; i < batches.Count; i++)
            {
                await Deliver(batches[i]);
                await betweenBatches(i);
            }
        }
        else
        {
            await Parallel.ForEachAsync(batches,
                new ParallelOptions { MaxDegreeOfParallelism = writer.MaxConcurrency, CancellationToken = TestOrg.Ct },
                async (batch, _) => await Deliver(batch));
        }
        return new Dictionary<string, RecordResult>(results, StringComparer.Ordinal);
    }

    public static string? Text(this IReadOnlyDictionary<string, object?> record, string field) =>
        record.TryGetValue(field, out var v) && v is not null ? Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) : null;
}

using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Sluice.Core.Destinations;
using Sluice.Core.Models;
using Sluice.Destinations.Tests.Support;
using Sluice.Emulators.Actito;

namespace Sluice.Destinations.Actito.Tests;

/// <summary>The test model: customers matched on customerId, with one column of every value kind.</summary>
internal static class Customers
{
    public static readonly IReadOnlyList<ModelColumn> Columns =
    [
        new("customer_id", ValueKind.Text, "VARCHAR"),
        new("email", ValueKind.Text, "VARCHAR"),
        new("first_name", ValueKind.Text, "VARCHAR"),
        new("ltv", ValueKind.Decimal, "DECIMAL(18,2)"),
        new("signup", ValueKind.Date, "DATE"),
        new("last_seen", ValueKind.Timestamp, "TIMESTAMP"),
        new("vip", ValueKind.Boolean, "BOOLEAN"),
        new("orders", ValueKind.Integer, "BIGINT"),
    ];

    public static readonly IReadOnlyList<FieldMapping> Mappings =
    [
        new("email", "emailAddress"),
        new("first_name", "firstName"),
        new("ltv", "lifetimeValue"),
        new("signup", "signupDate"),
        new("last_seen", "lastSeen"),
        new("vip", "isVip"),
        new("orders", "orderCount"),
    ];

    public static readonly FieldMapping Match = new("customer_id", "customerId");

    public static SyncContext Sync(SyncMode mode, IReadOnlyList<FieldMapping>? mappings = null, FieldMapping? match = null) =>
        new("customers-to-actito", mode, ModelKind.User, match ?? Match, mappings ?? Mappings, Columns);

    public static string Key(int i) => $"k{i}";

    public static string CustomerId(int i) => $"C-{i}";

    public static object?[] Values(int i, string? email = null, string? firstName = null) =>
    [
        email ?? $"user{i}@example.com",
        firstName ?? $"Name{i}",
        12.5m + i,
        new DateOnly(2024, 1, 1).AddDays(i),
        new DateTime(2024, 5, 6, 7, 8, 9, DateTimeKind.Utc).AddMinutes(i),
        i % 2 == 0,
        (long)i,
    ];

    public static DeliveryRecord Record(int i, RecordOperation operation, string? destinationId = null, string? email = null, string? firstName = null) =>
        operation == RecordOperation.Delete
            ? new DeliveryRecord(Key(i), operation, null, [], destinationId) // as the engine sends them: ledger id only
            : new DeliveryRecord(Key(i), operation, CustomerId(i), Values(i, email, firstName), destinationId);

    public static List<DeliveryRecord> Records(IEnumerable<int> ids, RecordOperation operation) =>
        ids.Select(i => Record(i, operation)).ToList();
}

/// <summary>
/// An Actito emulator, a destination pointed at it, and a small stand-in for the engine: it plans, opens a writer,
/// feeds batches (BatchSize, MaxConcurrency), checks one result per record and keeps a ledger of destination ids.
/// </summary>
internal sealed class Harness : IAsyncDisposable
{
    public const string ApiKey = "actito-test-key-5b1f0e9a";
    public const string Entity = "sluice_demo";
    public const string Table = "Profiles";

    private readonly List<IDestination> _destinations = [];

    private Harness(ActitoEmulator emulator, SimulatedTime time)
    {
        Emulator = emulator;
        Time = time;
    }

    /// <summary>
    /// The simulated clock of the destinations and (unless a test sets its own) of the emulator: pacing, backoff,
    /// import polling and the per-minute limits all run on it, without being waited out.
    /// </summary>
    public SimulatedTime Time { get; }

    public CapturedLogs Logs { get; } = new();

    public ActitoEmulator Emulator { get; }

    public ActitoDestinationProvider Provider { get; } = new();

    /// <summary>Destination ids of delivered records by key, as the engine's ledger keeps them.</summary>
    public Dictionary<string, string?> Ledger { get; } = new(StringComparer.Ordinal);

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// Starts an emulator with the documented concurrency limit and a generous per-minute limit so tests stay fast
    /// (tests about limits pass their own settings).
    /// </summary>
    public static async Task<Harness> StartAsync(Action<ActitoEmulatorOptions>? configure = null)
    {
        var time = new SimulatedTime();
        var options = new ActitoEmulatorOptions { ApiKey = ApiKey, CallsPerMinute = 100_000, TimeProvider = time };
        configure?.Invoke(options);
        return new Harness(await ActitoEmulator.StartAsync(options, Ct), time);
    }

    public DestinationSettings Settings(params (string Key, string Value)[] overrides)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [ActitoOptions.ApiKey] = ApiKey,
            [ActitoOptions.BaseUrl] = Emulator.BaseUrl.ToString(),
            [ActitoOptions.Entity] = Entity,
            [ActitoOptions.Table] = Table,
            [ActitoOptions.CallsPerMinute] = "100000",
        };
        foreach (var (key, value) in overrides) values[key] = value;
        return new DestinationSettings("actito", "actito", values);
    }

    public IDestination Destination(params (string Key, string Value)[] overrides)
    {
        var destination = Provider.Create(Settings(overrides), Time.Services(Logs));
        _destinations.Add(destination);
        return destination;
    }

    /// <summary>Single-profile calls for everything (the threshold is above any test run).</summary>
    public IDestination SingleCalls(params (string Key, string Value)[] overrides) =>
        Destination([(ActitoOptions.BulkThreshold, "100000"), .. overrides]);

    /// <summary>Bulk imports for every operation (threshold 0).</summary>
    public IDestination Bulk(params (string Key, string Value)[] overrides) =>
        Destination([(ActitoOptions.BulkThreshold, "0"), .. overrides]);

    public static IDestination ByTransport(Harness harness, string transport) =>
        transport == "bulk" ? harness.Bulk() : harness.SingleCalls();

    /// <summary>Runs one sync the way the engine does and returns one result per record, by key.</summary>
    public async Task<Dictionary<string, RecordResult>> RunAsync(IDestination destination, SyncContext sync, IReadOnlyList<DeliveryRecord> records,
        Func<int, Task>? betweenBatches = null)
    {
        var plan = new PlanCounts(
            records.Count(r => r.Operation == RecordOperation.Create),
            records.Count(r => r.Operation == RecordOperation.Update),
            records.Count(r => r.Operation == RecordOperation.Upsert),
            records.Count(r => r.Operation == RecordOperation.Delete));
        await using var writer = await destination.OpenAsync(sync, plan, Ct);
        var batches = records.Chunk(writer.BatchSize).ToList();
        var results = new List<RecordResult>();
        var gate = new SemaphoreSlim(writer.MaxConcurrency);
        var tasks = new List<Task<IReadOnlyList<RecordResult>>>();
        for (var b = 0; b < batches.Count; b++)
        {
            if (betweenBatches is not null)
            {
                await Task.WhenAll(tasks);
                await betweenBatches(b);
            }
            await gate.WaitAsync(Ct);
            var batch = new DeliveryBatch(sync.Mappings, batches[b]);
            tasks.Add(Task.Run(async () =>
            {
                try
                {
                    return await writer.WriteAsync(batch, Ct);
                }
                finally
                {
                    gate.Release();
                }
            }, Ct));
        }
        foreach (var result in await Task.WhenAll(tasks)) results.AddRange(result);

        Assert.Equal(records.Count, results.Count);
        var byKey = results.ToDictionary(r => r.Key, StringComparer.Ordinal);
        Assert.Equal(records.Select(r => r.Key).Order(), byKey.Keys.Order());
        foreach (var record in records)
        {
            var result = byKey[record.Key];
            if (result.Outcome is RecordOutcome.Delivered or RecordOutcome.Skipped)
            {
                if (record.Operation == RecordOperation.Delete) Ledger.Remove(record.Key);
                else Ledger[record.Key] = result.DestinationId ?? (Ledger.TryGetValue(record.Key, out var old) ? old : null);
            }
        }
        return byKey;
    }

    /// <summary>Profiles in the emulator by customerId, without the technical attributes.</summary>
    public Dictionary<string, Dictionary<string, string?>> ProfilesByCustomerId(bool withTechnical = false) =>
        Emulator.GetProfiles(Table).ToDictionary(
            p => p["customerId"] ?? "",
            p => p.Where(kv => withTechnical || kv.Key is not ("profileId" or "creationMoment" or "updateMoment"))
                .ToDictionary(kv => kv.Key, kv => kv.Value),
            StringComparer.Ordinal);

    /// <summary>The table's attributes as Actito's API describes them (type, valueType), read over HTTP.</summary>
    public async Task<Dictionary<string, (string Type, string? ValueType)>> AttributeTypesAsync()
    {
        using var http = new HttpClient { BaseAddress = Emulator.BaseUrl };
        using var tokenRequest = new HttpRequestMessage(HttpMethod.Get, "auth/token");
        tokenRequest.Headers.TryAddWithoutValidation("Authorization", ApiKey);
        using var tokenResponse = await http.SendAsync(tokenRequest, Ct);
        var token = (string)JsonNode.Parse(await tokenResponse.Content.ReadAsStringAsync(Ct))!["accessToken"]!;
        using var request = new HttpRequestMessage(HttpMethod.Get, $"profile-table-structure/v5/entities/{Entity}/profile-tables/{Table}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request, Ct);
        var table = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;
        return table["attributes"]!.AsArray().ToDictionary(
            a => (string)a!["name"]!,
            a => ((string)a!["type"]!, (string?)a["valueType"]));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var destination in _destinations) await destination.DisposeAsync();
        await Emulator.DisposeAsync();
    }
}

using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Sluice.Emulators.Salesforce.Bulk;
using Sluice.Emulators.Salesforce.Schema;
using Sluice.Emulators.Salesforce.Store;

namespace Sluice.Emulators.Salesforce.Http;

/// <summary>Everything the endpoints share: options, records, tokens, bulk jobs, counters.</summary>
internal sealed class SfState
{
    public const string VersionKey = "sf.version";
    private const string RecordedHost = "https://d4s000000oz4euaa-dev-ed.my.salesforce.com";

    private readonly ConcurrentDictionary<(string Object, string Version), (byte[] Body, string ETag)> _describes = new();

    public SfState(SalesforceEmulatorOptions options, FaultInjector faults)
    {
        Options = options;
        Faults = faults;
        Catalog = SchemaCatalog.Load(options.SchemaDirectory);
        Store = new OrgStore(Catalog, options.TimeProvider, options);
        Tokens = new TokenStore(options.TimeProvider, options.TokenLifetime);
        Bulk = new BulkJobs(this);
        Queries = new QueryCursors();
        StartedAt = options.TimeProvider.GetUtcNow();
    }

    public SalesforceEmulatorOptions Options { get; }
    public FaultInjector Faults { get; }
    public SchemaCatalog Catalog { get; }
    public OrgStore Store { get; }
    public TokenStore Tokens { get; }
    public BulkJobs Bulk { get; }
    public QueryCursors Queries { get; }
    public Counters Counters { get; } = new();
    public DateTimeOffset StartedAt { get; }

    /// <summary>Set once Kestrel has its port; used for instance_url and the describe's URLs.</summary>
    public string BaseUrl { get; set; } = "";

    public TimeProvider Clock => Options.TimeProvider;

    /// <summary>Describe JSON for a version, with the recorded org's host and version replaced by ours.</summary>
    public (byte[] Body, string ETag) Describe(SObjectSchema schema, string version) =>
        _describes.GetOrAdd((schema.Name, version), key =>
        {
            var json = JsonSerializer.Serialize(schema.Describe)
                .Replace(RecordedHost, BaseUrl, StringComparison.Ordinal)
                .Replace("/services/data/v42.0/", $"/services/data/v{key.Version}/", StringComparison.Ordinal);
            var body = Encoding.UTF8.GetBytes(json);
            var etag = "\"" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(body), 0, 8).ToLowerInvariant() + "--gzip\"";
            return (body, etag);
        });

    /// <summary>Counts the outcome of applied writes.</summary>
    public void Count(IEnumerable<WriteOp> ops)
    {
        foreach (var op in ops)
        {
            if (op.Failed)
            {
                Interlocked.Increment(ref Counters.RecordErrors);
                continue;
            }
            switch (op.Kind)
            {
                case WriteKind.Delete:
                    Counters.Deleted(op.Schema.Name);
                    break;
                case WriteKind.Create:
                    Counters.Created(op.Schema.Name);
                    break;
                default:
                    if (op.Created)
                        Counters.Created(op.Schema.Name);
                    else
                        Counters.Updated(op.Schema.Name);
                    break;
            }
        }
    }

    public void Reset()
    {
        Store.Reset();
        Bulk.Reset();
        Queries.Reset();
        Counters.Reset();
        Faults.ResetCounts();
    }
}

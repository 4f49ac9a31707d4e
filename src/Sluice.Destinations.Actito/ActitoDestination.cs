using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Sluice.Core.Destinations;
using Sluice.Core.Models;

namespace Sluice.Destinations.Actito;

/// <summary>One Actito profile table of one entity, reached with one API key.</summary>
internal sealed partial class ActitoDestination : IDestination
{
    private readonly ActitoSettings _settings;
    private readonly ActitoApi _api;
    private readonly ImportBudget _budget;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public ActitoDestination(ActitoSettings settings, DestinationServices services)
    {
        _settings = settings;
        _api = new ActitoApi(settings, services);
        _time = services.TimeProvider;
        _budget = new ImportBudget(settings.ImportsPerDay, services.TimeProvider);
        _logger = services.LoggerFactory.CreateLogger("Sluice.Destinations.Actito");
    }

    internal ImportBudget Budget => _budget;

    public async Task<IReadOnlyList<SyncProblem>> CheckAsync(SyncContext sync, CancellationToken cancellationToken)
    {
        await _api.VerifyCredentialsAsync(cancellationToken).ConfigureAwait(false);
        var problems = new List<SyncProblem>();
        var (table, names) = await ReadTableAsync(cancellationToken).ConfigureAwait(false);
        if (table is null)
        {
            problems.Add(new SyncProblem(ProblemTarget.Destination, Messages.TableMissing(_settings.Entity, _settings.Table, names),
                "Set table to the technical name of a profile table of this entity."));
            return problems;
        }

        var match = table.Find(sync.Match.Field);
        if (match is null)
        {
            problems.Add(new SyncProblem(ProblemTarget.Match,
                $"The match field '{sync.Match.Field}' is not an attribute of profile table '{table.Name}'.", Messages.MatchHint));
        }
        else if (!match.Unique)
        {
            problems.Add(new SyncProblem(ProblemTarget.Match, Messages.MatchNotUnique(match.Name, table.Name), Messages.MatchHint));
        }
        else if (Column(sync, sync.Match) is { } matchColumn && !TableStructure.Accepts(match, matchColumn.Kind))
        {
            problems.Add(new SyncProblem(ProblemTarget.Match, Incompatible(matchColumn, match), null, matchColumn.Name));
        }

        foreach (var mapping in sync.Mappings)
        {
            if (table.Find(mapping.Field) is not { } attribute || Column(sync, mapping) is not { } column) continue;
            if (!TableStructure.Accepts(attribute, column.Kind))
                problems.Add(SyncProblem.ForMapping(mapping.Column, Incompatible(column, attribute),
                    "Map a column of a matching type, cast the column in the model's SQL, or map it to another attribute."));
        }

        if (sync.Mode != SyncMode.Update)
        {
            // Profiles can only be created with every mandatory attribute set.
            var provided = new HashSet<string>(sync.Mappings.Select(m => m.Field), StringComparer.Ordinal) { sync.Match.Field };
            foreach (var attribute in table.Attributes)
            {
                if (attribute.Mandatory && !TableStructure.IsTechnical(attribute.Name) && !provided.Contains(attribute.Name))
                {
                    problems.Add(new SyncProblem(ProblemTarget.Sync,
                        $"Attribute '{attribute.Name}' of profile table '{table.Name}' is mandatory but no column is mapped to it, so no profile could be created.",
                        $"Map a column to '{attribute.Name}', or use mode: update."));
                }
            }
        }
        return problems;
    }

    public async Task<IDestinationWriter> OpenAsync(SyncContext sync, PlanCounts plan, CancellationToken cancellationToken)
    {
        var (table, names) = await ReadTableAsync(cancellationToken).ConfigureAwait(false);
        if (table is null)
            throw new DeliveryException(ErrorCategory.Configuration, Messages.TableMissing(_settings.Entity, _settings.Table, names));
        var match = table.Find(sync.Match.Field);
        if (match is null || !match.Unique)
            throw new DeliveryException(ErrorCategory.Configuration, Messages.MatchNotUnique(sync.Match.Field, table.Name) + " " + Messages.MatchHint);

        var transport = TransportPlan.Choose(plan, _settings.BulkThreshold, _settings.MaxConcurrentRequests);
        if (transport.Bulk && transport.ImportsNeeded > _budget.Remaining)
        {
            throw new DeliveryException(ErrorCategory.RateLimit,
                Messages.ImportBudget(transport.ImportsNeeded, _budget.Remaining, _settings.ImportsPerDay));
        }

        if (plan.Creates + plan.Updates + plan.Upserts > 0)
            table = await CreateMissingAttributesAsync(sync, table, cancellationToken).ConfigureAwait(false);

        var formats = new Dictionary<string, FieldFormat>(StringComparer.Ordinal);
        foreach (var mapping in sync.Mappings) formats[mapping.Field] = TableStructure.FormatFor(table.Find(mapping.Field));
        var layout = new FieldLayout(match.Name, TableStructure.FormatFor(match), formats);
        LogTransport(_logger, sync.SyncName, plan.Total, transport.Bulk ? "one-shot ETL executions" : "single-profile calls", transport.ImportsNeeded);
        return new ActitoWriter(_api, _settings, layout, transport, _budget, _time, _logger);
    }

    public DeliveryEstimate? Estimate(SyncContext sync, PlanCounts plan) =>
        TransportPlan.Estimate(plan, _settings.BulkThreshold, _settings.MaxConcurrentRequests, _settings.CallsPerMinute);

    private async Task<TableStructure> CreateMissingAttributesAsync(SyncContext sync, TableStructure table, CancellationToken cancellationToken)
    {
        var created = false;
        foreach (var mapping in sync.Mappings)
        {
            if (table.Find(mapping.Field) is not null || TableStructure.IsTechnical(mapping.Field)) continue;
            var kind = Column(sync, mapping)?.Kind ?? ValueKind.Text;
            var valueType = TableStructure.ValueTypeFor(kind);
            var response = await _api.CreateAttributeAsync(table.Id, AttributeBody(mapping.Field, valueType), cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccess)
            {
                // Another run may have created it meanwhile; only a still-missing attribute is a failure.
                var (again, _) = await ReadTableAsync(cancellationToken).ConfigureAwait(false);
                if (again?.Find(mapping.Field) is not null)
                {
                    table = again;
                    continue;
                }
                var (reason, _) = response.Error();
                throw new DeliveryException(ErrorCategory.Configuration, Messages.AttributeCreateFailed(mapping.Field, table.Name, response.Status, reason));
            }
            LogAttributeCreated(_logger, mapping.Field, valueType, table.Name);
            created = true;
        }
        if (!created) return table;
        var (fresh, _) = await ReadTableAsync(cancellationToken).ConfigureAwait(false);
        return fresh ?? table;
    }

    /// <summary>A new CUSTOM attribute in the v5 table-structure shape: optional, not unique, single-valued.</summary>
    private static byte[] AttributeBody(string name, string valueType)
    {
        var buffer = new ArrayBufferWriter<byte>(160);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", "CUSTOM");
            json.WriteString("name", name);
            json.WriteBoolean("unique", false);
            json.WriteBoolean("mandatory", false);
            json.WriteString("valueType", valueType);
            json.WriteBoolean("multiValued", false);
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private async Task<(TableStructure? Table, IReadOnlyList<string> Names)> ReadTableAsync(CancellationToken cancellationToken)
    {
        var response = await _api.ListTablesAsync(cancellationToken).ConfigureAwait(false);
        if (response.Status == 404) return (null, []);
        if (!response.IsSuccess)
        {
            var (reason, _) = response.Error();
            throw new DeliveryException(ErrorCategory.Destination, Messages.Unexpected("read profile tables", response.Status, reason));
        }
        List<TableStructure> tables;
        try
        {
            tables = TableStructure.ParseList(response.Body);
        }
        catch (JsonException e)
        {
            throw new DeliveryException(ErrorCategory.Destination, $"Actito's list of profile tables could not be read ({e.Message}).", e);
        }
        var table = tables.FirstOrDefault(t => string.Equals(t.Name, _settings.Table, StringComparison.Ordinal))
            ?? tables.FirstOrDefault(t => string.Equals(t.Name, _settings.Table, StringComparison.OrdinalIgnoreCase));
        return (table, tables.Select(t => t.Name).ToList());
    }

    private static ModelColumn? Column(SyncContext sync, FieldMapping mapping) =>
        sync.Columns.FirstOrDefault(c => string.Equals(c.Name, mapping.Column, StringComparison.OrdinalIgnoreCase));

    private static string Incompatible(ModelColumn column, TableAttribute attribute) =>
        $"Column '{column.Name}' ({column.SourceType}, {column.Kind}) does not fit Actito attribute '{attribute.Name}' ({attribute.Describe()}).";

    public ValueTask DisposeAsync() => _api.DisposeAsync();

    [LoggerMessage(Level = LogLevel.Information, Message = "Sync {Sync}: {Records} records to Actito through {Transport} ({Imports} imports)")]
    private static partial void LogTransport(ILogger logger, string sync, long records, string transport, int imports);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created Actito attribute {Attribute} ({ValueType}) in {Table}")]
    private static partial void LogAttributeCreated(ILogger logger, string attribute, string valueType, string table);
}

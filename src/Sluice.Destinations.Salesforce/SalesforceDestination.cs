using Microsoft.Extensions.Logging;
using Sluice.Core.Destinations;
using Sluice.Destinations.Salesforce.Http;
using Sluice.Destinations.Salesforce.Schema;
using Sluice.Destinations.Salesforce.Writing;

namespace Sluice.Destinations.Salesforce;

/// <summary>One Salesforce org and object. Signs in lazily; the describe is read once and shared.</summary>
internal sealed class SalesforceDestination : IDestination
{
    private readonly SalesforceSettings _settings;
    private readonly SalesforceTuning _tuning;
    private readonly SalesforceApi _api;
    private readonly ILogger _log;
    private readonly SemaphoreSlim _describeGate = new(1, 1);
    private ObjectSchema? _schema;

    public SalesforceDestination(SalesforceSettings settings, DestinationServices services, SalesforceTuning tuning)
    {
        _settings = settings;
        _tuning = tuning;
        _log = services.LoggerFactory.CreateLogger("Sluice.Destinations.Salesforce");
        _api = new SalesforceApi(settings, services, tuning, _log);
    }

    internal SalesforceApi Api => _api;

    public async Task<IReadOnlyList<SyncProblem>> CheckAsync(SyncContext sync, CancellationToken cancellationToken)
    {
        var schema = await DescribeAsync(cancellationToken);
        if (schema is null)
            return [new SyncProblem(ProblemTarget.Destination, Messages.ObjectNotAvailable(_settings.ObjectName), Messages.ObjectNotAvailableHint)];
        return SyncRules.CheckSchema(schema, sync).Problems;
    }

    public async Task<IDestinationWriter> OpenAsync(SyncContext sync, PlanCounts plan, CancellationToken cancellationToken)
    {
        var schema = await DescribeAsync(cancellationToken)
            ?? throw new DeliveryException(ErrorCategory.Permission, Messages.ObjectNotAvailable(_settings.ObjectName) + " " + Messages.ObjectNotAvailableHint);
        var (problems, writePlan) = SyncRules.CheckSchema(schema, sync);
        if (writePlan is null)
            throw new DeliveryException(ErrorCategory.Configuration, Messages.SchemaProblems(schema.Name, problems.Select(p => p.Message)));

        var bulk = plan.Total > 0 && plan.Total >= _settings.BulkThreshold;
        _log.LogInformation("Salesforce {Object}: {Count} records planned, sending through {Transport}",
            schema.Name, plan.Total, bulk ? "Bulk API 2.0" : "sObject Collections");
        return bulk
            ? new BulkWriter(_api, writePlan, _tuning, _log, plan.Total)
            : new CollectionsWriter(_api, writePlan, _tuning, _log);
    }

    /// <summary>The object's describe, or null when Salesforce says the object does not exist for this user.</summary>
    private async Task<ObjectSchema?> DescribeAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _schema) is { } cached)
            return cached;
        await _describeGate.WaitAsync(cancellationToken);
        try
        {
            if (_schema is not null)
                return _schema;
            var what = $"the describe of {_settings.ObjectName}";
            var response = await _api.SendAsync(new ApiRequest(HttpMethod.Get, $"sobjects/{_settings.ObjectName}/describe", what), cancellationToken);
            if (response.Status == 404)
                return null;
            if (!response.IsSuccess)
                throw _api.Fail(what, response);
            var describe = _api.Parse(response, SalesforceJson.Default.DescribeResult, what);
            Volatile.Write(ref _schema, ObjectSchema.From(describe, _settings.ObjectName));
            return _schema;
        }
        finally
        {
            _describeGate.Release();
        }
    }

    public ValueTask DisposeAsync()
    {
        _api.Dispose();
        _describeGate.Dispose();
        return ValueTask.CompletedTask;
    }
}

using System.Text.Json;
using Microsoft.Extensions.Logging;
using Sluice.Core.Destinations;

namespace Sluice.Destinations.Iterable;

/// <summary>One Iterable project (API key + data center). Its client, and so its rate budget, is shared by all writers.</summary>
internal sealed class IterableDestination : IDestination
{
    private readonly IterableSettings _settings;
    private readonly IterableApiClient _client;
    private readonly ILogger _logger;

    public IterableDestination(IterableSettings settings, DestinationServices services)
    {
        _settings = settings;
        _client = new IterableApiClient(settings, services);
        _logger = services.LoggerFactory.CreateLogger("Sluice.Destinations.Iterable");
    }

    public async Task<IReadOnlyList<SyncProblem>> CheckAsync(SyncContext sync, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sync);
        // getFields proves the key (401 otherwise) and gives the project's field types.
        var reply = await _client.SendAsync(ApiEndpoint.GetFields, HttpMethod.Get, "api/users/getFields", default,
            notFoundIsFinal: false, cancellationToken).ConfigureAwait(false);
        if (reply.Status == 404 && reply.Code is null)
            throw new DeliveryException(ErrorCategory.Configuration, Texts.WrongBaseUrl(_settings, "users/getFields"));
        if (!reply.IsSuccess)
            throw new DeliveryException(ErrorCategory.Destination,
                Texts.UnexpectedAnswer(_settings, ApiEndpoint.GetFields, reply.Status, reply.Code));

        var fields = ParseFields(reply.Body);
        var problems = new List<SyncProblem>();
        foreach (var mapping in sync.Mappings)
        {
            if (IterableDestinationProvider.FindColumn(sync, mapping.Column) is not { } column)
                continue;
            if (fields.TryGetValue(mapping.Field, out var type))
            {
                if (!FieldRules.Accepts(type, column))
                    problems.Add(SyncProblem.ForMapping(column.Name, Texts.TypeConflict(column, mapping.Field, type),
                        Texts.TypeConflictHint(mapping.Field)));
            }
            else if (!_settings.CreateNewFields)
            {
                problems.Add(SyncProblem.ForMapping(column.Name, Texts.FieldWouldBeDropped(column.Name, mapping.Field),
                    Texts.FieldWouldBeDroppedHint));
            }
        }
        return problems;
    }

    public Task<IDestinationWriter> OpenAsync(SyncContext sync, PlanCounts plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sync);
        IDestinationWriter writer = new IterableWriter(_client, _settings, sync, _logger);
        return Task.FromResult(writer);
    }

    public ValueTask DisposeAsync() => _client.DisposeAsync();

    private static Dictionary<string, string> ParseFields(byte[] body)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        FieldsResponse? parsed = null;
        try
        {
            parsed = JsonSerializer.Deserialize(body, IterableJsonContext.Default.FieldsResponse);
        }
        catch (JsonException)
        {
            // An unreadable schema only means we can't warn about type conflicts.
        }
        if (parsed?.Fields is { } fields)
        {
            foreach (var (name, type) in fields)
            {
                if (type.ValueKind == JsonValueKind.String && type.GetString() is { Length: > 0 } text)
                    result[name] = text;
            }
        }
        return result;
    }
}

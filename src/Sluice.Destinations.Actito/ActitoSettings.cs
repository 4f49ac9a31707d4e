using Sluice.Core.Destinations;

namespace Sluice.Destinations.Actito;

/// <summary>A destination block read and validated once; immutable. Never printed (it holds the API key).</summary>
internal sealed class ActitoSettings
{
    private ActitoSettings(string baseUrl, string apiKey, string entity, string table,
        int bulkThreshold, int callsPerMinute, int maxConcurrentRequests, int importsPerDay)
    {
        BaseUrl = baseUrl;
        ApiKey = apiKey;
        Entity = entity;
        Table = table;
        BulkThreshold = bulkThreshold;
        CallsPerMinute = callsPerMinute;
        MaxConcurrentRequests = maxConcurrentRequests;
        ImportsPerDay = importsPerDay;
    }

    /// <summary>The API root without a trailing slash.</summary>
    public string BaseUrl { get; }

    public string ApiKey { get; }

    public string Entity { get; }

    public string Table { get; }

    public int BulkThreshold { get; }

    public int CallsPerMinute { get; }

    public int MaxConcurrentRequests { get; }

    public int ImportsPerDay { get; }

    public override string ToString() => $"actito {Entity}/{Table} at {BaseUrl}";

    /// <summary>Every problem with the block, as problems on the destination.</summary>
    public static List<SyncProblem> Problems(DestinationSettings settings)
    {
        var problems = new List<SyncProblem>();
        Read(settings, problems);
        return problems;
    }

    /// <summary>Reads the block; throws a configuration <see cref="DeliveryException"/> listing every problem.</summary>
    public static ActitoSettings From(DestinationSettings settings)
    {
        var problems = new List<SyncProblem>();
        var result = Read(settings, problems);
        if (problems.Count > 0 || result is null)
        {
            throw new DeliveryException(ErrorCategory.Configuration,
                $"Destination '{settings.Name}' is not configured correctly: " + string.Join(" ", problems.Select(p => p.Message)));
        }
        return result;
    }

    private static ActitoSettings? Read(DestinationSettings settings, List<SyncProblem> problems)
    {
        void Problem(string message, string? hint = null) => problems.Add(new SyncProblem(ProblemTarget.Destination, message, hint));

        var apiKey = settings.GetString(ActitoOptions.ApiKey);
        if (apiKey is null)
            Problem(Messages.MissingOption(settings.Name, ActitoOptions.ApiKey), "Set api_key: ${ACTITO_API_KEY} (Manage API users > View the API key).");
        var entity = settings.GetString(ActitoOptions.Entity);
        if (entity is null)
            Problem(Messages.MissingOption(settings.Name, ActitoOptions.Entity), "Use the entity's technical name, as listed by GET /entities/v5/entities.");
        var table = settings.GetString(ActitoOptions.Table);
        if (table is null)
            Problem(Messages.MissingOption(settings.Name, ActitoOptions.Table), "Use the technical name of the profile table, e.g. Profiles.");

        var environment = settings.GetString(ActitoOptions.Environment) ?? ActitoOptions.DefaultEnvironment;
        string? baseUrl = settings.GetString(ActitoOptions.BaseUrl);
        if (baseUrl is null)
        {
            if (ActitoOptions.Environments.TryGetValue(environment, out var host)) baseUrl = host;
            else Problem($"Destination '{settings.Name}': environment '{environment}' is not one of prod0, prod1, prod3, preprod.",
                "Pick the environment shown with the API key in Manage API users, or set base_url.");
        }
        else if (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            Problem($"Destination '{settings.Name}': base_url '{baseUrl}' is not an http(s) URL.", "For example https://api.actito.com.");
            baseUrl = null;
        }

        var bulkThreshold = ReadInt(settings, ActitoOptions.BulkThreshold, ActitoOptions.DefaultBulkThreshold, 0, problems);
        var callsPerMinute = ReadInt(settings, ActitoOptions.CallsPerMinute, ActitoOptions.DefaultCallsPerMinute, 1, problems);
        var maxConcurrent = ReadInt(settings, ActitoOptions.MaxConcurrentRequests, ActitoOptions.DefaultMaxConcurrentRequests, 1, problems);
        var importsPerDay = ReadInt(settings, ActitoOptions.ImportsPerDay, ActitoOptions.DefaultImportsPerDay, 0, problems);

        if (apiKey is null || entity is null || table is null || baseUrl is null || problems.Count > 0) return null;
        return new ActitoSettings(baseUrl.TrimEnd('/'), apiKey, entity, table, bulkThreshold, callsPerMinute, maxConcurrent, importsPerDay);
    }

    private static int ReadInt(DestinationSettings settings, string option, int fallback, int min, List<SyncProblem> problems)
    {
        var text = settings.GetString(option);
        if (text is null) return fallback;
        if (int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value) && value >= min)
            return value;
        problems.Add(new SyncProblem(ProblemTarget.Destination,
            $"Destination '{settings.Name}': {option} must be a whole number of at least {min}, not '{text}'."));
        return fallback;
    }
}

namespace Sluice.Emulators.Salesforce;

/// <summary>Settings of a <see cref="SalesforceEmulator"/>. Only <see cref="ClientId"/> and <see cref="ClientSecret"/> are required.</summary>
public sealed class SalesforceEmulatorOptions
{
    /// <summary>Port on 127.0.0.1. Default 0: a free port (read it from <see cref="SalesforceEmulator.BaseUrl"/>).</summary>
    public int Port { get; set; }

    /// <summary>Consumer key of the connected app clients log in with. Required.</summary>
    public string ClientId { get; set; } = "";

    /// <summary>Consumer secret of the connected app. Required; never echoed in any answer.</summary>
    public string ClientSecret { get; set; } = "";

    /// <summary>Username for <c>grant_type=password</c>. Default null: any username is accepted.</summary>
    public string? Username { get; set; }

    /// <summary>Password (with security token appended) for <c>grant_type=password</c>. Default null: any password is accepted.</summary>
    public string? Password { get; set; }

    /// <summary>
    /// Whether client_credentials and password logins also return a <c>refresh_token</c>. Default false: real orgs
    /// return one only from the web-server flow.
    /// </summary>
    public bool IssueRefreshTokens { get; set; }

    /// <summary>How long an access token stays valid. Default 2 hours (the org's session timeout).</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(2);

    /// <summary>API calls allowed per (emulated) 24 hours; every /services/data call counts one. Default 15,000 (Developer Edition).</summary>
    public int DailyApiLimit { get; set; } = 15_000;

    /// <summary>
    /// Folder of <c>&lt;Object&gt;.json</c> files in the REST describe format, loaded in addition to the built-in
    /// Account, Case, Contact, Contract and Lead (a file with the same name replaces the built-in one). Default null.
    /// </summary>
    public string? SchemaDirectory { get; set; }

    /// <summary>Injected failures; can be changed while the emulator runs.</summary>
    public FaultOptions Faults { get; set; } = new();

    /// <summary>
    /// How an injected throttle is answered. Default false: HTTP 503 <c>SERVER_UNAVAILABLE</c> with Retry-After
    /// (retriable). True: HTTP 403 <c>REQUEST_LIMIT_EXCEEDED</c> "ConcurrentPerOrgLongTxn Limit exceeded.".
    /// </summary>
    public bool InjectThrottleAsRequestLimit { get; set; }

    /// <summary>Enforce <see cref="DailyApiLimit"/> (403 REQUEST_LIMIT_EXCEEDED). Default true; false for engine benchmarks.</summary>
    public bool RateLimits { get; set; } = true;

    /// <summary>Records per query page before <c>nextRecordsUrl</c> paging. Default 2,000 (the REST default batch size).</summary>
    public int QueryBatchSize { get; set; } = 2000;

    /// <summary>
    /// statusCode for an update or delete of an id that never existed (a deleted one is ENTITY_IS_DELETED).
    /// Default "NOT_FOUND"; real orgs may answer "INVALID_CROSS_REFERENCE_KEY" (uncertain, hence the setting).
    /// </summary>
    public string MissingRecordStatusCode { get; set; } = "NOT_FOUND";

    /// <summary>
    /// How many polls of a closed Bulk API 2.0 job answer <c>InProgress</c> before the job reports its final state.
    /// Default 1, so a poller sees UploadComplete → InProgress → JobComplete. 0 completes on the first poll.
    /// </summary>
    public int BulkInProgressPolls { get; set; } = 1;

    /// <summary>Jobs per page of Get All Jobs (<c>GET /jobs/ingest</c>) before <c>nextRecordsUrl</c>. Default 1,000 (as documented).</summary>
    public int JobListPageSize { get; set; } = 1000;

    /// <summary>Clock for token expiry and record timestamps. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    internal void Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(ClientId))
            problems.Add("ClientId is required.");
        if (string.IsNullOrWhiteSpace(ClientSecret))
            problems.Add("ClientSecret is required.");
        if (Port is < 0 or > 65535)
            problems.Add("Port must be between 0 and 65535.");
        if (TokenLifetime <= TimeSpan.Zero)
            problems.Add("TokenLifetime must be positive.");
        if (DailyApiLimit <= 0)
            problems.Add("DailyApiLimit must be positive.");
        if (QueryBatchSize is < 200 or > 2000)
            problems.Add("QueryBatchSize must be between 200 and 2000.");
        if (JobListPageSize is < 1 or > 1000)
            problems.Add("JobListPageSize must be between 1 and 1000.");
        if (BulkInProgressPolls < 0)
            problems.Add("BulkInProgressPolls cannot be negative.");
        if (problems.Count > 0)
            throw new ArgumentException("Invalid Salesforce emulator options: " + string.Join(" ", problems));
    }
}

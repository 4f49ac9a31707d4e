namespace Sluice.Emulators.Actito;

/// <summary>
/// Settings of an <see cref="ActitoEmulator"/>. Numbers default to the documented Actito limits;
/// behaviours the public docs leave open are settings whose default is the most likely real behaviour.
/// </summary>
public sealed class ActitoEmulatorOptions
{
    /// <summary>The API key accepted by <c>GET /auth/token</c>. Required.</summary>
    public string ApiKey { get; set; } = "";

    /// <summary>Loopback port to listen on. Default 0 (a free port).</summary>
    public int Port { get; set; }

    /// <summary>Lifetime of issued access tokens. Default 15 minutes (Actito's documented 900 s).</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Entities (licence data spaces) served. Default one entity, <c>sluice_demo</c>.</summary>
    public IList<string> Entities { get; set; } = ["sluice_demo"];

    /// <summary>
    /// Profile tables every entity starts with (and returns to on reset). Default: one table,
    /// <see cref="ActitoTableDefinition.DefaultProfiles"/>. The technical attributes profileId,
    /// creationMoment and updateMoment are added automatically.
    /// </summary>
    public IList<ActitoTableDefinition> Tables { get; set; } = [ActitoTableDefinition.DefaultProfiles()];

    /// <summary>Master switch for all limits below. Default true; benchmarks of the engine turn it off.</summary>
    public bool RateLimits { get; set; } = true;

    /// <summary>
    /// Calls per minute before responses are throttled (delayed, never rejected). Default 100.
    /// Counted per minute of <see cref="TimeProvider"/> time.
    /// </summary>
    public int CallsPerMinute { get; set; } = 100;

    /// <summary>
    /// Extra delay added per call over <see cref="CallsPerMinute"/> in the current minute, so responses get slower
    /// the further a client is over the limit. Default 50 ms.
    /// </summary>
    public TimeSpan ThrottleDelayStep { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Upper bound of the throttling delay of one call. Default 2 s.</summary>
    public TimeSpan MaxThrottleDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Requests in flight at once before further ones get 429. Default 5.</summary>
    public int MaxConcurrentRequests { get; set; } = 5;

    /// <summary>Bulk imports accepted per table per (UTC) day before 429. Default 12.</summary>
    public int MaxImportsPerTablePerDay { get; set; } = 12;

    /// <summary>Largest accepted import upload (the <c>inputFile</c> part) in bytes; larger gets 400. Default 100 MB.</summary>
    public long MaxImportBytes { get; set; } = 100L * 1024 * 1024;

    /// <summary>
    /// How many <c>GET .../import/{id}/result</c> polls answer <c>RUNNING</c> before <c>FINISHED</c>. Default 1,
    /// so clients exercise their polling loop. Data is applied when the import is accepted either way.
    /// </summary>
    public int ImportRunningPolls { get; set; } = 1;

    /// <summary>
    /// Reject import files starting with a UTF-8 byte order mark (400). Default true (the documented ETL rule;
    /// some v4 clients wrote a BOM and it seemed to pass, so this can be switched off).
    /// </summary>
    public bool RejectByteOrderMark { get; set; } = true;

    /// <summary>
    /// During an update by import, an empty CSV value clears the attribute (true) or leaves it unchanged (false).
    /// Default false (unchanged): the documented rule was not readable, leaving data alone is the safer guess.
    /// </summary>
    public bool EmptyCsvValueClears { get; set; }

    /// <summary>Serve <c>.../import/{id}/result-file</c> as a ZIP holding the CSV instead of the bare CSV. Default false.</summary>
    public bool ZipResultFile { get; set; }

    /// <summary>
    /// Status of <c>POST .../profile</c> without allowUpdate when a unique attribute already belongs to a profile.
    /// Default 400 (Actito documents no 409; 400 is its "domain error" code). Set 409 to model a conflict code.
    /// </summary>
    public int DuplicateProfileStatusCode { get; set; } = 400;

    /// <summary>Status of a successful profile creation (with a <c>Location</c> header when 201). Default 201.</summary>
    public int CreatedStatusCode { get; set; } = 201;

    /// <summary>
    /// Wrap the v5 profile-table list as <c>{"profileTables":[...]}</c> (true) or return a bare array (false).
    /// Default true; the real wrapper key is unconfirmed.
    /// </summary>
    public bool WrapProfileTableList { get; set; } = true;

    /// <summary>Faults injected before requests reach the API (mutable while running). Default none.</summary>
    public FaultOptions Faults { get; set; } = new();

    /// <summary>Clock for token expiry, per-minute call counting, daily import quotas and timestamps. Default system clock.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    internal void Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(ApiKey)) errors.Add("ApiKey is required.");
        if (Port is < 0 or > 65535) errors.Add("Port must be between 0 and 65535.");
        if (TokenLifetime <= TimeSpan.Zero) errors.Add("TokenLifetime must be positive.");
        if (Entities.Count == 0 || Entities.Any(string.IsNullOrWhiteSpace)) errors.Add("Entities must hold at least one non-empty name.");
        if (CallsPerMinute <= 0) errors.Add("CallsPerMinute must be positive.");
        if (MaxConcurrentRequests <= 0) errors.Add("MaxConcurrentRequests must be positive.");
        if (MaxImportsPerTablePerDay <= 0) errors.Add("MaxImportsPerTablePerDay must be positive.");
        if (MaxImportBytes <= 0) errors.Add("MaxImportBytes must be positive.");
        if (ImportRunningPolls < 0) errors.Add("ImportRunningPolls must not be negative.");
        if (DuplicateProfileStatusCode is < 400 or > 499) errors.Add("DuplicateProfileStatusCode must be a 4xx code.");
        if (CreatedStatusCode is not (200 or 201)) errors.Add("CreatedStatusCode must be 200 or 201.");
        foreach (var table in Tables)
            errors.AddRange(table.Problems());
        if (errors.Count > 0)
            throw new ArgumentException("Invalid Actito emulator options: " + string.Join(" ", errors));
    }
}

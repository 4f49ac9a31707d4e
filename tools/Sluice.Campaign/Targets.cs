using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sluice.Campaign;

/// <summary>A record as the destination's own API returns it: its match value and the mapped fields, as text.</summary>
internal sealed record DestinationRecord(string Match, IReadOnlyDictionary<string, string?> Fields);

/// <summary>
/// One destination and mode of a campaign: the project it writes, the records "someone else" created before
/// (pre-existing ones for update mode, and foreign ones no sync may touch), and how to read the destination back
/// through its vendor API (never the emulator's control plane, never Sluice's destination classes).
/// </summary>
internal abstract class Target(string mode, string variant)
{
    public const string Sync = "campaign";

    public abstract string Destination { get; }

    /// <summary>The sync mode written in sluice.yaml.</summary>
    public string Mode { get; } = mode;

    /// <summary>The case name, e.g. <c>upsert</c> or <c>upsert-bulk</c>.</summary>
    public string Variant { get; } = variant;

    public string Name => $"{Destination}/{Variant}";

    public virtual HostSettings Host(bool faults) => new(Destination);

    /// <summary>Insert mode creates a new record for a changed row (Salesforce) rather than leaving the first one alone (Actito).</summary>
    public virtual bool InsertCreatesChangedRows => false;

    /// <summary>Rows of the model when the campaign does not say.</summary>
    public virtual int DefaultRows => 300;

    public abstract string MatchOf(long id);

    /// <summary>The fields a delivered version must show, by the destination's field names.</summary>
    public abstract Dictionary<string, string?> Expect(RowValues row);

    /// <summary>The fields a record created by someone else starts with (Actito's table lacks the attributes Sluice creates).</summary>
    public virtual Dictionary<string, string?> SeedFields(RowValues row) => Expect(row);

    /// <summary>The latency the crash campaign injects before every request, so runs last long enough to be killed mid-flight.</summary>
    public virtual int CrashLatencyMs => 50;

    /// <summary>Faults specific to the destination, added to both campaigns' (Salesforce: Bulk jobs that stay in progress).</summary>
    public virtual void AddFaults(JsonObject faults, bool crash)
    {
    }

    /// <summary>Fault campaign: how often every access token is expired on top of its short lifetime.</summary>
    public virtual TimeSpan ExpireEvery => TimeSpan.FromSeconds(2);

    /// <summary>The project: <paramref name="table"/>'s source block, then models reading its relation, destinations and the sync.</summary>
    public abstract string ProjectYaml(ModelTable table);

    public abstract string EnvFile(Uri baseUrl);

    /// <summary>Creates records as another integration would; returns what each must still hold at the end.</summary>
    public abstract Task SeedAsync(HttpClient http, IReadOnlyDictionary<string, Dictionary<string, string?>> records, CancellationToken ct);

    /// <summary>Every record the campaign needs to judge, grouped by match value, oldest first.</summary>
    public abstract Task<Dictionary<string, List<DestinationRecord>>> ReadAsync(HttpClient http, IEnumerable<string> matches, CancellationToken ct);

    /// <summary>The emulator's count of requests that broke the service's documented limits (0 when the client paced itself).</summary>
    public abstract long Violations(JsonObject stats);

    protected string SyncBlock(string destination, string match, IEnumerable<(string Column, string Field)> mappings, string extra = "") =>
        $"""
        syncs:
          {Sync}:
            model: people
            destination: {destination}
            mode: {Mode}
            match: {match}
        {extra}    mappings:
        {string.Join("\n", mappings.Select(m => $"      {m.Column}: {m.Field}"))}

        """;

    protected static string? Text(JsonNode? node) => node?.GetValueKind() switch
    {
        null or JsonValueKind.Null => null,
        JsonValueKind.String => node.GetValue<string>(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => node.ToJsonString(),
    };

    protected static Dictionary<string, List<DestinationRecord>> Group(IEnumerable<DestinationRecord> records)
    {
        var map = new Dictionary<string, List<DestinationRecord>>(StringComparer.Ordinal);
        foreach (var record in records)
        {
            if (!map.TryGetValue(record.Match, out var list))
                map[record.Match] = list = [];
            list.Add(record);
        }
        return map;
    }

    public static IReadOnlyList<Target> All() =>
    [
        new IterableTarget("upsert"),
        new IterableTarget("update"),
        new SalesforceTarget("insert", bulk: false),
        new SalesforceTarget("update", bulk: false),
        new SalesforceTarget("upsert", bulk: false),
        new SalesforceTarget("insert", bulk: true),
        new SalesforceTarget("upsert", bulk: true),
        new ActitoTarget("insert"),
        new ActitoTarget("update"),
        new ActitoTarget("upsert"),
        new ActitoTarget("mirror"),
    ];
}

/// <summary>Iterable users matched by email; read back with <c>GET /api/users/getByEmail</c>, paced under its 100/s.</summary>
internal sealed class IterableTarget(string mode) : Target(mode, mode)
{
    public override string Destination => "iterable";

    public override string MatchOf(long id) => ModelState.EmailOf(id);

    public override Dictionary<string, string?> Expect(RowValues row) => new()
    {
        ["email"] = row.Email,
        ["firstName"] = row.FirstName,
        ["lastName"] = row.LastName,
        ["plan"] = row.Plan,
        ["seats"] = row.Seats.ToString(CultureInfo.InvariantCulture),
    };

    public override string ProjectYaml(ModelTable table) => table.SourceYaml + $$"""
        models:
          people:
            source: warehouse
            kind: user
            primary_key: person_id
            sql: select person_id, email, first_name, last_name, plan, seats, note from {{table.Relation}}
        destinations:
          iterable:
            type: iterable
            api_key: ${ITERABLE_API_KEY}
            base_url: ${ITERABLE_BASE_URL}
            batch_size: 25

        """ + SyncBlock("iterable", "{ column: email, field: email }",
        [("first_name", "firstName"), ("last_name", "lastName"), ("plan", "plan"), ("seats", "seats")]);

    public override string EnvFile(Uri baseUrl) =>
        $"ITERABLE_API_KEY={Credentials.IterableKey}\nITERABLE_BASE_URL={baseUrl.ToString().TrimEnd('/')}\n";

    public override async Task SeedAsync(HttpClient http, IReadOnlyDictionary<string, Dictionary<string, string?>> records, CancellationToken ct)
    {
        var users = new JsonArray();
        foreach (var (email, fields) in records)
        {
            var data = new JsonObject();
            foreach (var (name, value) in fields.Where(f => f.Key != "email"))
                data[name] = name == "seats" && value is not null ? JsonValue.Create(long.Parse(value, CultureInfo.InvariantCulture)) : value;
            users.Add(new JsonObject { ["email"] = email, ["dataFields"] = data });
        }
        using var response = await http.PostAsJsonAsync("_emulator/users", users, ct);
        response.EnsureSuccessStatusCode();
    }

    public override async Task<Dictionary<string, List<DestinationRecord>>> ReadAsync(HttpClient http, IEnumerable<string> matches, CancellationToken ct)
    {
        var records = new List<DestinationRecord>();
        foreach (var email in matches)
        {
            for (var attempt = 0; ; attempt++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "api/users/getByEmail?email=" + Uri.EscapeDataString(email));
                request.Headers.Add("Api-Key", Credentials.IterableKey);
                using var response = await http.SendAsync(request, ct);
                if (response.StatusCode == HttpStatusCode.TooManyRequests && attempt < 10)
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), ct);
                    continue;
                }
                response.EnsureSuccessStatusCode();
                var body = await response.Content.ReadFromJsonAsync<JsonObject>(ct);
                if (body?["user"] is JsonObject user)
                {
                    var data = user["dataFields"] as JsonObject ?? [];
                    var fields = new Dictionary<string, string?> { ["email"] = Text(user["email"]) };
                    foreach (var name in new[] { "firstName", "lastName", "plan", "seats" })
                        fields[name] = Text(data[name]);
                    records.Add(new DestinationRecord(email, fields));
                }
                break;
            }
            // Iterable allows 100 user lookups a second: stay under it.
            await Task.Delay(TimeSpan.FromMilliseconds(12), ct);
        }
        return Group(records);
    }

    public override long Violations(JsonObject stats) =>
        stats["rateLimitViolations"]?.GetValue<long>() ?? stats["rateLimited"]?.GetValue<long>() ?? 0;
}

/// <summary>Salesforce Contacts matched on the external id <c>External_Id__c</c>; read back with SOQL, ordered by Id (creation order).</summary>
internal sealed class SalesforceTarget(string mode, bool bulk) : Target(mode, bulk ? mode + "-bulk" : mode)
{
    private const string ApiPath = "services/data/v62.0/";
    private string? _token;

    public override string Destination => "salesforce";

    public override bool InsertCreatesChangedRows => true;

    public override int DefaultRows => 500;

    public override int CrashLatencyMs => 250;

    // A closed Bulk job stays InProgress (nothing applied) for a while, so kills land while a job runs and the
    // next run's reconciliation must wait for it.
    public override void AddFaults(JsonObject faults, bool crash) => faults["bulkJobDelayMs"] = crash ? 1500 : 500;

    public override HostSettings Host(bool faults) =>
        new(Destination, faults ? TimeSpan.FromSeconds(3) : null, BulkInProgressPolls: 2);

    /// <summary>
    /// Insert matches on Email: External_Id__c is unique, so a changed row's new record is created without it
    /// (Sluice leaves a unique match out of such creates), while Email is on every record created.
    /// </summary>
    private bool MatchOnEmail => Mode == "insert";

    public override string MatchOf(long id) => MatchOnEmail ? ModelState.EmailOf(id) : $"P-{id}";

    public override Dictionary<string, string?> Expect(RowValues row) => new()
    {
        ["Email"] = row.Email,
        ["FirstName"] = row.FirstName,
        ["LastName"] = row.LastName,
    };

    public override string ProjectYaml(ModelTable table) => table.SourceYaml + $$"""
        models:
          people:
            source: warehouse
            kind: user
            primary_key: person_id
            sql: select person_id, 'P-' || person_id as external_id, email, first_name, last_name, plan, seats, note from {{table.Relation}}
        destinations:
          salesforce:
            type: salesforce
            login_url: ${SF_LOGIN_URL}
            client_id: ${SF_CLIENT_ID}
            client_secret: ${SF_CLIENT_SECRET}
            object: Contact
            bulk_threshold: {{(bulk ? 20 : 100_000)}}

        """ + SyncBlock("salesforce", MatchOnEmail ? "{ column: email, field: Email }" : "{ column: external_id, field: External_Id__c }",
        [("email", "Email"), ("first_name", "FirstName"), ("last_name", "LastName")]);

    public override string EnvFile(Uri baseUrl) =>
        $"SF_LOGIN_URL={baseUrl.ToString().TrimEnd('/')}\nSF_CLIENT_ID={Credentials.SalesforceClientId}\nSF_CLIENT_SECRET={Credentials.SalesforceSecret}\n";

    public override async Task SeedAsync(HttpClient http, IReadOnlyDictionary<string, Dictionary<string, string?>> records, CancellationToken ct)
    {
        foreach (var (match, fields) in records)
        {
            var body = MatchOnEmail ? new JsonObject() : new JsonObject { ["External_Id__c"] = match };
            foreach (var (name, value) in fields)
                body[name] = value;
            using var response = await SendAsync(http, () => new HttpRequestMessage(HttpMethod.Post, ApiPath + "sobjects/Contact") { Content = JsonContent.Create(body) }, ct);
            if (response.StatusCode != HttpStatusCode.Created)
                throw new CampaignException($"Salesforce refused a seeded Contact: {await response.Content.ReadAsStringAsync(ct)}");
        }
    }

    public override async Task<Dictionary<string, List<DestinationRecord>>> ReadAsync(HttpClient http, IEnumerable<string> matches, CancellationToken ct)
    {
        var records = new List<(string Id, DestinationRecord Record)>();
        string? path = ApiPath + "query?q=" + Uri.EscapeDataString("SELECT Id, External_Id__c, Email, FirstName, LastName FROM Contact");
        while (path is not null)
        {
            using var response = await SendAsync(http, () => new HttpRequestMessage(HttpMethod.Get, path.TrimStart('/')), ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode)
                throw new CampaignException($"SOQL query failed: {(int)response.StatusCode} {text}");
            var page = JsonNode.Parse(text)!.AsObject();
            foreach (var node in page["records"]!.AsArray())
            {
                var r = node!.AsObject();
                var fields = new Dictionary<string, string?>
                {
                    ["Email"] = Text(r["Email"]),
                    ["FirstName"] = Text(r["FirstName"]),
                    ["LastName"] = Text(r["LastName"]),
                };
                var match = MatchOnEmail ? Text(r["Email"]) : Text(r["External_Id__c"]);
                records.Add((Text(r["Id"])!, new DestinationRecord(match ?? "(no match value)", fields)));
            }
            path = page["done"]!.GetValue<bool>() ? null : Text(page["nextRecordsUrl"]);
        }
        // Salesforce ids of one org grow with each record created: ordinal order is creation order.
        return Group(records.OrderBy(r => r.Id, StringComparer.Ordinal).Select(r => r.Record));
    }

    public override long Violations(JsonObject stats) =>
        stats["rateLimitViolations"]?.GetValue<long>() ?? stats["limitRefusals"]?.GetValue<long>() ?? 0;

    private async Task<HttpResponseMessage> SendAsync(HttpClient http, Func<HttpRequestMessage> request, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            _token ??= await SignInAsync(http, ct);
            using var message = request();
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
            var response = await http.SendAsync(message, ct);
            if (response.StatusCode != HttpStatusCode.Unauthorized || attempt > 2)
                return response;
            response.Dispose();
            _token = null;
        }
    }

    private static async Task<string> SignInAsync(HttpClient http, CancellationToken ct)
    {
        using var response = await http.PostAsync("services/oauth2/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = Credentials.SalesforceClientId,
            ["client_secret"] = Credentials.SalesforceSecret,
        }), ct);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonObject>(ct);
        return Text(body?["access_token"]) ?? throw new CampaignException("Salesforce answered the sign-in without an access_token.");
    }
}

/// <summary>Actito profiles matched on the unique <c>customerId</c>; read back with the profile search route.</summary>
internal sealed class ActitoTarget(string mode) : Target(mode, mode)
{
    private const string Entity = "sluice_demo";
    private const string Table = "Profiles";
    private string? _token;

    public override string Destination => "actito";

    public override int DefaultRows => 200;

    // Sluice's Actito client keeps a call's token through that call's own retries, so a lifetime shorter than a
    // retried call (a 429 burst is 3 s of Retry-After) ends the run as "token refused"; 20 s still expires mid-run.
    public override HostSettings Host(bool faults) => new(Destination, faults ? TimeSpan.FromSeconds(20) : null);

    public override TimeSpan ExpireEvery => TimeSpan.FromSeconds(7);

    public override int CrashLatencyMs => 40;

    public override Dictionary<string, string?> SeedFields(RowValues row) => new()
    {
        ["emailAddress"] = row.Email,
        ["firstName"] = row.FirstName,
        ["lastName"] = row.LastName,
    };

    public override string MatchOf(long id) => $"C-{id}";

    public override Dictionary<string, string?> Expect(RowValues row) => new()
    {
        ["emailAddress"] = row.Email,
        ["firstName"] = row.FirstName,
        ["lastName"] = row.LastName,
        ["plan"] = row.Plan,
        ["seats"] = row.Seats.ToString(CultureInfo.InvariantCulture),
    };

    public override string ProjectYaml(ModelTable table) => table.SourceYaml + $$"""
        models:
          people:
            source: warehouse
            kind: user
            primary_key: person_id
            sql: select person_id, 'C-' || person_id as customer_ref, email, first_name, last_name, plan, seats, note from {{table.Relation}}
        destinations:
          actito:
            type: actito
            api_key: ${ACTITO_API_KEY}
            base_url: ${ACTITO_BASE_URL}
            entity: {{Entity}}
            table: {{Table}}
            bulk_threshold: 100000
            calls_per_minute: {{EmulatorHost.ActitoCallsPerMinute}}

        """ + SyncBlock("actito", "{ column: customer_ref, field: customerId }",
        [("email", "emailAddress"), ("first_name", "firstName"), ("last_name", "lastName"), ("plan", "plan"), ("seats", "seats")],
        Mode == "mirror" ? "    max_deletes: 100%\n" : "");

    public override string EnvFile(Uri baseUrl) =>
        $"ACTITO_API_KEY={Credentials.ActitoKey}\nACTITO_BASE_URL={baseUrl.ToString().TrimEnd('/')}\n";

    public override async Task SeedAsync(HttpClient http, IReadOnlyDictionary<string, Dictionary<string, string?>> records, CancellationToken ct)
    {
        var profiles = new JsonArray();
        foreach (var (match, fields) in records)
        {
            var flat = new JsonObject { ["customerId"] = match };
            foreach (var (name, value) in fields)
                flat[name] = value;
            profiles.Add(flat);
        }
        using var response = await http.PostAsJsonAsync("_emulator/profiles", new JsonObject { ["profiles"] = profiles }, ct);
        if (!response.IsSuccessStatusCode)
            throw new CampaignException($"Actito refused the seeded profiles: {await response.Content.ReadAsStringAsync(ct)}");
    }

    public override async Task<Dictionary<string, List<DestinationRecord>>> ReadAsync(HttpClient http, IEnumerable<string> matches, CancellationToken ct)
    {
        var records = new List<(long Id, DestinationRecord Record)>();
        using (var response = await SendAsync(http, $"v4/entity/{Entity}/table/{Table}/profile?number=1000", ct))
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode)
                throw new CampaignException($"Actito profile search failed: {(int)response.StatusCode} {text}");
            foreach (var profile in JsonNode.Parse(text)!["profiles"]!.AsArray())
                records.Add(Profile(profile!));
        }
        if (records.Count >= 1000)
        {
            // More than one search page (the search has no offset): every key the campaign knows, one by one.
            records.Clear();
            foreach (var match in matches)
            {
                using var response = await SendAsync(http, $"v4/entity/{Entity}/table/{Table}/profile/customerId={Uri.EscapeDataString(match)}", ct);
                var text = await response.Content.ReadAsStringAsync(ct);
                if (response.StatusCode == HttpStatusCode.NotFound)
                    continue;
                if (!response.IsSuccessStatusCode)
                    throw new CampaignException($"Actito profile read failed: {(int)response.StatusCode} {text}");
                records.Add(Profile(JsonNode.Parse(text)!));
            }
        }
        return Group(records.OrderBy(r => r.Id).Select(r => r.Record));
    }

    private static (long Id, DestinationRecord Record) Profile(JsonNode profile)
    {
        var flat = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var attribute in profile["attributes"]!.AsArray())
            flat[Text(attribute!["name"])!] = Text(attribute["value"]);
        var id = long.Parse(flat.GetValueOrDefault("profileId") ?? "0", CultureInfo.InvariantCulture);
        return (id, new DestinationRecord(flat.GetValueOrDefault("customerId") ?? "(no customerId)", flat));
    }

    public override long Violations(JsonObject stats) =>
        stats["rateLimitViolations"]?.GetValue<long>() ?? stats["throttledCalls"]?.GetValue<long>() ?? 0;

    private async Task<HttpResponseMessage> SendAsync(HttpClient http, string path, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            _token ??= await TokenAsync(http, ct);
            using var message = new HttpRequestMessage(HttpMethod.Get, path);
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
            message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            var response = await http.SendAsync(message, ct);
            if (response.StatusCode != HttpStatusCode.Unauthorized || attempt > 2)
                return response;
            response.Dispose();
            _token = null;
        }
    }

    private static async Task<string> TokenAsync(HttpClient http, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "auth/token");
        request.Headers.TryAddWithoutValidation("Authorization", Credentials.ActitoKey);
        using var response = await http.SendAsync(request, ct);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonObject>(ct);
        return Text(body?["accessToken"]) ?? throw new CampaignException("Actito answered the token request without an accessToken.");
    }
}

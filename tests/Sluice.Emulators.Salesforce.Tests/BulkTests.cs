using System.Text.Json.Nodes;
using Sluice.Emulators.Salesforce.Tests.Support;

namespace Sluice.Emulators.Salesforce.Tests;

public sealed class BulkTests
{
    private const string Jobs = Org.V + "/jobs/ingest";

    private static async Task<string> RunJobAsync(Org org, string jobJson, string csv, bool expectInProgress = true)
    {
        var created = await org.PostAsync(Jobs, jobJson);
        Assert.Equal(200, created.Status);
        Assert.Equal("Open", (string?)created.Json["state"]);
        var id = (string)created.Json["id"]!;
        Assert.StartsWith("750", id);
        Assert.Equal($"services/data/v59.0/jobs/ingest/{id}/batches", (string?)created.Json["contentUrl"]);
        var upload = await org.SendAsync(HttpMethod.Put, $"{Jobs}/{id}/batches", csv, "text/csv");
        Assert.Equal(201, upload.Status);
        Assert.Equal("", upload.Text);
        var closed = await org.PatchAsync($"{Jobs}/{id}", """{"state":"UploadComplete"}""");
        Assert.Equal(200, closed.Status);
        Assert.Equal("UploadComplete", (string?)closed.Json["state"]);

        var seen = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            var info = (await org.GetAsync($"{Jobs}/{id}")).Json;
            seen.Add((string)info["state"]!);
            if (seen[^1] is "JobComplete" or "Failed" or "Aborted")
                break;
        }
        if (expectInProgress)
            Assert.Equal("InProgress", seen[0]);
        return id;
    }

    [Fact]
    public async Task Insert_job_goes_through_in_progress_to_job_complete_with_counters_and_result_csvs()
    {
        await using var org = await Org.StartAsync();
        var id = await RunJobAsync(org, """{"object":"Contact","operation":"insert","contentType":"CSV","lineEnding":"LF"}""",
            "LastName,Email,Birthdate\nA,a@x.io,2000-01-02\n\"B, Jr\",bad-email,\n,c@x.io,\n");
        var info = (await org.GetAsync($"{Jobs}/{id}")).Json;
        Assert.Equal("JobComplete", (string?)info["state"]);
        Assert.Equal("V2Ingest", (string?)info["jobType"]);
        Assert.Equal(3, (int)info["numberRecordsProcessed"]!);
        Assert.Equal(2, (int)info["numberRecordsFailed"]!);

        var ok = await org.GetAsync($"{Jobs}/{id}/successfulResults/");
        Assert.Equal(200, ok.Status);
        var okLines = ok.Text.TrimEnd('\n').Split('\n');
        Assert.Equal("\"sf__Id\",\"sf__Created\",LastName,Email,Birthdate", okLines[0]);
        Assert.Matches("^\"003[0-9A-Za-z]{15}\",\"true\",A,a@x.io,2000-01-02$", okLines[1]);
        Assert.Equal("2000-01-02", org.Emulator.GetRecords("Contact")[0]["Birthdate"]);

        var failed = await org.GetAsync($"{Jobs}/{id}/failedResults/");
        var failedLines = failed.Text.TrimEnd('\n').Split('\n');
        Assert.Equal("\"sf__Id\",\"sf__Error\",LastName,Email,Birthdate", failedLines[0]);
        Assert.Equal("\"\",\"INVALID_EMAIL_ADDRESS:Email: invalid email address: bad-email:Email --\",\"B, Jr\",bad-email,", failedLines[1]);
        Assert.Equal("\"\",\"REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --\",,c@x.io,", failedLines[2]);

        var unprocessed = await org.GetAsync($"{Jobs}/{id}/unprocessedrecords/");
        Assert.Equal("LastName,Email,Birthdate\n", unprocessed.Text);
    }

    [Fact]
    public async Task Update_upsert_and_delete_jobs_apply_to_existing_records_and_na_writes_null()
    {
        await using var org = await Org.StartAsync();
        var a = await org.CreateAsync("Lead", """{"LastName":"A","Company":"C","Email":"a@x.io","External_Id__c":"L1"}""");
        await RunJobAsync(org, """{"object":"Lead","operation":"update"}""", $"Id,Email,Title\n{a},#N/A,Boss\n");
        var record = org.Emulator.GetRecord(a)!;
        Assert.False(record.ContainsKey("Email"));
        Assert.Equal("Boss", record["Title"]);

        var upsertId = await RunJobAsync(org, """{"object":"Lead","operation":"upsert","externalIdFieldName":"External_Id__c"}""",
            "External_Id__c,LastName,Company\nL1,A2,C\nL2,New,D\n");
        Assert.Equal(2, org.Emulator.CountRecords("Lead"));
        var lines = (await org.GetAsync($"{Jobs}/{upsertId}/successfulResults")).Text.TrimEnd('\n').Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.StartsWith($"\"{a}\",\"false\"", lines[1]);
        Assert.Contains("\"true\"", lines[2]);

        await RunJobAsync(org, """{"object":"Lead","operation":"delete"}""", $"Id\n{a}\n");
        Assert.Equal(1, org.Emulator.CountRecords("Lead"));
    }

    [Fact]
    public async Task Tab_delimited_upsert_uses_the_declared_delimiter()
    {
        await using var org = await Org.StartAsync();
        await RunJobAsync(org, """{"object":"Account","operation":"upsert","externalIdFieldName":"External_Id__c","columnDelimiter":"TAB","lineEnding":"CRLF"}""",
            "External_Id__c\tName\r\nx1\tOne\r\n");
        Assert.Equal("One", org.Emulator.GetRecords("Account")[0]["Name"]);
    }

    [Fact]
    public async Task An_unknown_column_fails_the_job_and_leaves_rows_unprocessed()
    {
        await using var org = await Org.StartAsync(o => o.BulkInProgressPolls = 0);
        var id = await RunJobAsync(org, """{"object":"Contact","operation":"insert"}""", "LastName,Nope__c\nA,1\n", expectInProgress: false);
        var info = (await org.GetAsync($"{Jobs}/{id}")).Json;
        Assert.Equal("Failed", (string?)info["state"]);
        Assert.Contains("Nope__c", (string?)info["errorMessage"]);
        Assert.Equal("LastName,Nope__c\nA,1\n", (await org.GetAsync($"{Jobs}/{id}/unprocessedrecords")).Text);
        Assert.Equal(0, org.Emulator.CountRecords("Contact"));
    }

    [Fact]
    public async Task Jobs_are_validated_on_create_and_accept_one_upload()
    {
        await using var org = await Org.StartAsync();
        var reply = await org.PostAsync(Jobs, """{"object":"Contact","operation":"upsert"}""");
        Assert.Equal(400, reply.Status);
        reply = await org.PostAsync(Jobs, """{"object":"Nope","operation":"insert"}""");
        Assert.Equal(400, reply.Status);
        reply = await org.PostAsync(Jobs, """{"object":"Contact","operation":"merge"}""");
        Assert.Equal(400, reply.Status);

        var id = (string)(await org.PostAsync(Jobs, """{"object":"Contact","operation":"insert"}""")).Json["id"]!;
        Assert.Equal(201, (await org.SendAsync(HttpMethod.Put, $"{Jobs}/{id}/batches", "LastName\nA\n", "text/csv")).Status);
        reply = await org.SendAsync(HttpMethod.Put, $"{Jobs}/{id}/batches", "LastName\nB\n", "text/csv");
        Assert.Equal(409, reply.Status);
        Assert.Equal("INVALIDJOBSTATE", (string?)reply.Error["errorCode"]);

        var aborted = await org.PatchAsync($"{Jobs}/{id}", """{"state":"Aborted"}""");
        Assert.Equal("Aborted", (string?)aborted.Json["state"]);
        Assert.Equal("LastName\nA\n", (await org.GetAsync($"{Jobs}/{id}/unprocessedrecords")).Text);
        Assert.Equal(0, org.Emulator.CountRecords("Contact"));
        Assert.Equal(204, (await org.DeleteAsync($"{Jobs}/{id}")).Status);
        Assert.Equal(404, (await org.GetAsync($"{Jobs}/{id}")).Status);
    }

    [Fact]
    public async Task Bulk_calls_count_against_the_api_limit()
    {
        await using var org = await Org.StartAsync();
        var before = org.Emulator.ApiUsage;
        await RunJobAsync(org, """{"object":"Contact","operation":"insert"}""", "LastName\nA\n");
        Assert.True(org.Emulator.ApiUsage - before >= 4);
        var list = (await org.GetAsync(Jobs)).Json;
        Assert.Single(list["records"]!.AsArray());
        Assert.IsType<JsonArray>(list["records"]);
    }
}

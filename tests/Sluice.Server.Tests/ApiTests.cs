using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Sluice.Server.Tests.Support;

namespace Sluice.Server.Tests;

public sealed class ApiTests
{
    [Fact]
    public async Task Every_api_endpoint_answers_401_with_a_problem_without_a_valid_token()
    {
        await using var project = await ServerProject.CreateAsync(ServerProject.Sync("customers", "manual"));
        await project.StartAsync();

        foreach (var (method, path) in new[] { ("GET", "/api/syncs"), ("POST", "/api/syncs/customers/runs"), ("GET", "/api/runs/1"), ("GET", "/api/syncs/customers/plan") })
        {
            using var response = await project.Anonymous.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("bearer token", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        }
        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/api/syncs");
        wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "not-a-token");
        using var refused = await project.Anonymous.SendAsync(wrong);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        // Nothing ran: the refused POST did not start a run.
        Assert.Empty(await project.Service<Core.State.IStateStore>().Runs.HistoryAsync("customers"));

        using var second = new HttpRequestMessage(HttpMethod.Get, "/api/syncs");
        second.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "second-token");
        using var accepted = await project.Anonymous.SendAsync(second);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }

    [Fact]
    public async Task Run_now_returns_the_run_id_and_the_run_detail_has_its_counts_and_rejected_rows()
    {
        await using var project = await ServerProject.CreateAsync(ServerProject.Sync("customers", "manual"), customers: 30);
        await project.StartAsync();

        var runId = await project.RunNowAsync("customers");
        var run = await project.WaitForRunAsync(runId);

        Assert.Equal("succeeded", run["status"]!.GetValue<string>());
        var counts = run["counts"]!;
        Assert.Equal(30, counts["model_rows"]!.GetValue<long>());
        Assert.Equal(26, counts["delivered"]!.GetValue<long>());
        Assert.Equal(4, counts["rejected"]!.GetValue<long>()); // 7, 14, 21, 28
        Assert.Equal(26, project.Emulator.UserCount);

        var page = await project.GetJsonAsync($"/api/runs/{runId}/rejected?page_size=3");
        Assert.Equal(4, page["total"]!.GetValue<int>());
        var rows = page["rows"]!.AsArray();
        Assert.Equal(3, rows.Count);
        Assert.All(rows, r => Assert.True(ServerProject.BadEmail(int.Parse(r!["key"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture))));
        Assert.All(rows, r => Assert.Contains("invalid", r!["reason"]!.GetValue<string>(), StringComparison.Ordinal));
        var next = await project.GetJsonAsync($"/api/runs/{runId}/rejected?page_size=3&page=2");
        Assert.Single(next["rows"]!.AsArray());
        var found = await project.GetJsonAsync($"/api/runs/{runId}/rejected?key=21");
        Assert.Equal("21", Assert.Single(found["rows"]!.AsArray())!["key"]!.GetValue<string>());

        var sync = await project.GetJsonAsync("/api/syncs/customers");
        Assert.Equal(runId, sync["last_run"]!["run_id"]!.GetValue<long>());
        Assert.Equal("manual", sync["schedule"]!.GetValue<string>());
        Assert.Null(sync["next_run"]);
    }

    [Fact]
    public async Task A_full_resync_sends_every_row_again_and_the_plan_shows_what_a_run_would_send()
    {
        await using var project = await ServerProject.CreateAsync(ServerProject.Sync("customers", "manual"), customers: 14);
        await project.StartAsync();
        await project.WaitForRunAsync(await project.RunNowAsync("customers"));

        var plan = await project.GetJsonAsync("/api/syncs/customers/plan");
        Assert.Equal(14, plan["model_rows"]!.GetValue<long>());
        Assert.Equal(2, plan["to_send"]!.GetValue<long>()); // the two rejected rows are planned again

        var full = await project.WaitForRunAsync(await project.RunNowAsync("customers", fullResync: true));
        Assert.True(full["full_resync"]!.GetValue<bool>());
        Assert.Equal(14, full["counts"]!["planned"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_sync_already_running_is_not_started_twice()
    {
        var emulator = new Emulators.Iterable.IterableEmulatorOptions();
        await using var project = await ServerProject.CreateAsync(ServerProject.Sync("customers", "manual"), customers: 10, emulator);
        await project.StartAsync();
        // Slow answers keep the first run going while the second asks.
        project.Emulator.Faults.Latency = TimeSpan.FromSeconds(2);

        var first = await project.RunNowAsync("customers");
        using var again = await project.Api.PostAsync("/api/syncs/customers/runs", null);
        var text = await again.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains($"Run {first} is in progress", text, StringComparison.Ordinal);
        project.Emulator.Faults.Latency = TimeSpan.Zero;
        await project.WaitForRunAsync(first);
        Assert.Single(await project.Service<Core.State.IStateStore>().Runs.HistoryAsync("customers"));
    }

    [Fact]
    public async Task Bad_requests_and_unknown_things_are_rfc_7807_problems()
    {
        await using var project = await ServerProject.CreateAsync(ServerProject.Sync("customers", "manual"));
        await project.StartAsync();

        foreach (var (path, status, says) in new[]
                 {
                     ("/api/syncs/custmers", HttpStatusCode.NotFound, "Did you mean 'customers'?"),
                     ("/api/runs/999", HttpStatusCode.NotFound, "There is no run 999"),
                     ("/api/syncs/customers/runs?limit=0", HttpStatusCode.BadRequest, "limit is 0"),
                     ("/api/runs/1/rejected?page=0", HttpStatusCode.BadRequest, "pages start at 1"),
                     ("/api/syncs/customers/runs?limit=many", HttpStatusCode.BadRequest, "Bad Request"),
                 })
        {
            using var response = await project.Api.GetAsync(path);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(status == response.StatusCode, $"{path}: {(int)response.StatusCode} {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains(says, body, StringComparison.Ordinal);
            Assert.Equal((int)status, JsonNode.Parse(body)!["status"]!.GetValue<int>());
        }

        using var badJson = await project.Api.PostAsync("/api/syncs/customers/runs",
            new StringContent("{ not json", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, badJson.StatusCode);
        Assert.Equal("application/problem+json", badJson.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task No_endpoint_returns_a_secret()
    {
        await using var project = await ServerProject.CreateAsync(ServerProject.Sync("customers", "manual"), customers: 7);
        await project.StartAsync();
        var runId = await project.RunNowAsync("customers");
        await project.WaitForRunAsync(runId);

        var bodies = new List<string>();
        foreach (var path in new[]
                 {
                     "/api/syncs", "/api/syncs/customers", "/api/syncs/customers/runs", $"/api/runs/{runId}", $"/api/runs/{runId}/rejected",
                     "/api/syncs/customers/plan", "/api/config", "/openapi/v1.json", "/health",
                 })
            bodies.Add(await project.Api.GetStringAsync(path));

        Assert.All(bodies, b => Assert.DoesNotContain(ServerProject.ApiKey, b, StringComparison.Ordinal));
        Assert.All(bodies, b => Assert.DoesNotContain(ServerProject.Token, b, StringComparison.Ordinal));
        Assert.Contains("/api/syncs/{name}/runs", bodies[^2], StringComparison.Ordinal);
        Assert.Contains("securitySchemes", bodies[^2], StringComparison.Ordinal);
        Assert.Contains("bearer", bodies[^2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_edit_of_sluice_yaml_keeps_the_last_good_configuration_and_shows_its_problems()
    {
        await using var project = await ServerProject.CreateAsync(ServerProject.Sync("customers", "manual"));
        await project.StartAsync();

        await project.WriteProjectAsync(ServerProject.Sync("customers", "every banana"));
        using var bad = await project.Api.PostAsync("/api/reload", null);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        Assert.Contains("every banana", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var config = await project.GetJsonAsync("/api/config");
        Assert.NotEmpty(config["problems"]!.AsArray());
        Assert.Equal("manual", (await project.GetJsonAsync("/api/syncs/customers"))["schedule"]!.GetValue<string>());

        await project.WriteProjectAsync(ServerProject.Sync("customers", "every 2h") + ServerProject.Sync("later", "after customers"));
        using var good = await project.Api.PostAsync("/api/reload", null);
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        Assert.Empty((await project.GetJsonAsync("/api/config"))["problems"]!.AsArray());
        var syncs = (await project.Api.GetFromJsonAsync<JsonArray>("/api/syncs"))!;
        Assert.Equal(["customers", "later"], syncs.Select(s => s!["name"]!.GetValue<string>()));
    }
}

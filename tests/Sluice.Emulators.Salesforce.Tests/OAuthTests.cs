using System.Text.Json.Nodes;
using Sluice.Emulators.Salesforce.Tests.Support;

namespace Sluice.Emulators.Salesforce.Tests;

public sealed class OAuthTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(int Status, JsonNode Body)> TokenAsync(Org org, Dictionary<string, string> form)
    {
        using var response = await org.Http.PostAsync("/services/oauth2/token", new FormUrlEncodedContent(form), Ct);
        return ((int)response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!);
    }

    [Fact]
    public async Task Client_credentials_login_returns_the_documented_token_shape_with_the_emulator_as_instance_url()
    {
        await using var org = await Org.StartAsync(login: false);
        var (status, body) = await TokenAsync(org, new()
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = Org.ClientId,
            ["client_secret"] = Org.ClientSecret,
        });
        Assert.Equal(200, status);
        Assert.False(string.IsNullOrEmpty((string?)body["access_token"]));
        Assert.Equal(org.Emulator.BaseUrl.ToString().TrimEnd('/'), (string?)body["instance_url"]);
        Assert.Equal("Bearer", (string?)body["token_type"]);
        Assert.True(long.TryParse((string?)body["issued_at"], out _));
        Assert.False(string.IsNullOrEmpty((string?)body["signature"]));
        Assert.StartsWith(org.Emulator.BaseUrl + "id/", (string?)body["id"]);
        Assert.Null(body["refresh_token"]);
    }

    [Fact]
    public async Task A_wrong_client_secret_is_400_invalid_client_without_echoing_the_secret()
    {
        await using var org = await Org.StartAsync(login: false);
        var (status, body) = await TokenAsync(org, new()
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = Org.ClientId,
            ["client_secret"] = "wrong-secret-123",
        });
        Assert.Equal(400, status);
        Assert.Equal("invalid_client", (string?)body["error"]);
        Assert.NotNull((string?)body["error_description"]);
        Assert.DoesNotContain("wrong-secret-123", body.ToJsonString());
        Assert.DoesNotContain(Org.ClientSecret, body.ToJsonString());
    }

    [Fact]
    public async Task An_unknown_client_id_is_400_invalid_client_id_and_an_unknown_grant_is_unsupported()
    {
        await using var org = await Org.StartAsync(login: false);
        var (status, body) = await TokenAsync(org, new()
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = "nope",
            ["client_secret"] = Org.ClientSecret,
        });
        Assert.Equal(400, status);
        Assert.Equal("invalid_client_id", (string?)body["error"]);
        (status, body) = await TokenAsync(org, new() { ["grant_type"] = "magic" });
        Assert.Equal(400, status);
        Assert.Equal("unsupported_grant_type", (string?)body["error"]);
    }

    [Fact]
    public async Task Password_grant_checks_the_configured_user()
    {
        await using var org = await Org.StartAsync(o => { o.Username = "sync@example.com"; o.Password = "pw+token"; }, login: false);
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "password",
            ["client_id"] = Org.ClientId,
            ["client_secret"] = Org.ClientSecret,
            ["username"] = "sync@example.com",
            ["password"] = "bad",
        };
        var (status, body) = await TokenAsync(org, form);
        Assert.Equal(400, status);
        Assert.Equal("invalid_grant", (string?)body["error"]);
        Assert.Equal("authentication failure", (string?)body["error_description"]);
        form["password"] = "pw+token";
        (status, body) = await TokenAsync(org, form);
        Assert.Equal(200, status);
        Assert.NotNull(body["access_token"]);
    }

    [Fact]
    public async Task Refresh_tokens_are_issued_only_when_enabled_and_renew_a_session_without_a_new_refresh_token()
    {
        await using var org = await Org.StartAsync(o => o.IssueRefreshTokens = true, login: false);
        var (_, body) = await TokenAsync(org, new()
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = Org.ClientId,
            ["client_secret"] = Org.ClientSecret,
        });
        var refresh = (string)body["refresh_token"]!;
        var (status, renewed) = await TokenAsync(org, new()
        {
            ["grant_type"] = "refresh_token",
            ["client_id"] = Org.ClientId,
            ["client_secret"] = Org.ClientSecret,
            ["refresh_token"] = refresh,
        });
        Assert.Equal(200, status);
        Assert.NotNull(renewed["access_token"]);
        Assert.Null(renewed["refresh_token"]);
        (status, body) = await TokenAsync(org, new()
        {
            ["grant_type"] = "refresh_token",
            ["client_id"] = Org.ClientId,
            ["refresh_token"] = "bogus",
        });
        Assert.Equal(400, status);
        Assert.Equal("invalid_grant", (string?)body["error"]);
    }

    [Fact]
    public async Task Calls_without_a_token_or_with_an_expired_one_get_401_INVALID_SESSION_ID()
    {
        await using var org = await Org.StartAsync(login: false);
        var reply = await org.GetAsync($"{Org.V}/sobjects/Contact/describe");
        Assert.Equal(401, reply.Status);
        Assert.Equal("INVALID_SESSION_ID", (string?)reply.Error["errorCode"]);
        Assert.Equal("Session expired or invalid", (string?)reply.Error["message"]);

        await org.LoginAsync();
        Assert.Equal(200, (await org.GetAsync($"{Org.V}/sobjects/Contact/describe")).Status);
        org.Emulator.ExpireAllTokens();
        reply = await org.GetAsync($"{Org.V}/sobjects/Contact/describe");
        Assert.Equal(401, reply.Status);
        Assert.Equal("INVALID_SESSION_ID", (string?)reply.Error["errorCode"]);
        await org.LoginAsync();
        Assert.Equal(200, (await org.GetAsync($"{Org.V}/sobjects/Contact/describe")).Status);
    }

    [Fact]
    public async Task Tokens_expire_after_the_configured_lifetime()
    {
        var clock = new ManualClock();
        await using var org = await Org.StartAsync(o => { o.TimeProvider = clock; o.TokenLifetime = TimeSpan.FromMinutes(5); });
        Assert.Equal(200, (await org.GetAsync($"{Org.V}/limits")).Status);
        clock.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal(401, (await org.GetAsync($"{Org.V}/limits")).Status);
    }

    [Fact]
    public async Task Expire_tokens_is_also_available_over_http()
    {
        await using var org = await Org.StartAsync();
        var reply = await org.PostAsync("/_emulator/expire-tokens", "{}");
        Assert.Equal(204, reply.Status);
        Assert.Equal(401, (await org.GetAsync($"{Org.V}/limits")).Status);
    }
}

internal sealed class ManualClock : TimeProvider
{
    private DateTimeOffset _now = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}

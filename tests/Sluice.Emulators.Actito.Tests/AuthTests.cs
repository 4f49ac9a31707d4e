using System.Net;
using System.Net.Http.Headers;

namespace Sluice.Emulators.Actito.Tests;

public sealed class AuthTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_raw_api_key_gets_a_bearer_token_that_lasts_900_seconds()
    {
        await using var h = await Harness.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "auth/token");
        request.Headers.TryAddWithoutValidation("Authorization", Harness.ApiKey);
        request.Headers.Accept.ParseAdd("application/json");
        using var response = await h.Http.SendAsync(request, Ct);
        var body = await Harness.ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(string.IsNullOrEmpty((string?)body!["accessToken"]));
        Assert.Equal("bearer", (string?)body["tokenType"]);
        Assert.Equal("900s", (string?)body["expiresIn"]);
        Assert.NotNull(body["jti"]);
        Assert.Equal(1, h.Emulator.GetStats().TokensIssued);
    }

    [Theory]
    [InlineData("wrong-key")]
    [InlineData("Bearer test-api-key-7f3c")]
    [InlineData("Basic dGVzdDp0ZXN0")]
    public async Task A_wrong_key_or_a_key_with_a_scheme_gets_401_without_echoing_it(string header)
    {
        await using var h = await Harness.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "auth/token");
        request.Headers.TryAddWithoutValidation("Authorization", header);
        using var response = await h.Http.SendAsync(request, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.DoesNotContain(Harness.ApiKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain(header, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_key_gets_401()
    {
        await using var h = await Harness.StartAsync();
        using var response = await h.Http.GetAsync("auth/token", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Api_calls_without_a_token_or_with_an_unknown_token_get_401()
    {
        await using var h = await Harness.StartAsync();
        var (status, _) = await h.CallAsync(HttpMethod.Get, "v5/entities");
        Assert.Equal(HttpStatusCode.Unauthorized, status);

        h.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "made-up");
        (status, var body) = await h.CallAsync(HttpMethod.Get, "v5/entities");
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal(401, (int)body!["status"]!);

        h.Http.DefaultRequestHeaders.Authorization = null;
        h.Http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", Harness.ApiKey);
        (status, _) = await h.CallAsync(HttpMethod.Get, "v5/entities");
        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }

    [Fact]
    public async Task A_token_expires_after_the_configured_lifetime()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        h.Clock.Advance(TimeSpan.FromMinutes(14));
        Assert.Equal(HttpStatusCode.OK, (await h.CallAsync(HttpMethod.Get, "v5/entities")).Status);

        h.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.Unauthorized, (await h.CallAsync(HttpMethod.Get, "v5/entities")).Status);

        await h.AuthenticateAsync();
        Assert.Equal(HttpStatusCode.OK, (await h.CallAsync(HttpMethod.Get, "v5/entities")).Status);
    }

    [Fact]
    public async Task Expiring_all_tokens_makes_the_next_call_401_both_typed_and_over_http()
    {
        await using var h = await (await Harness.StartAsync()).AuthenticateAsync();
        h.Emulator.ExpireAllTokens();
        Assert.Equal(HttpStatusCode.Unauthorized, (await h.CallAsync(HttpMethod.Get, "v5/entities")).Status);

        await h.AuthenticateAsync();
        using var expire = await h.Http.PostAsync("_emulator/expire-tokens", null, Ct);
        Assert.Equal(HttpStatusCode.NoContent, expire.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await h.CallAsync(HttpMethod.Get, "v5/entities")).Status);
        Assert.Equal(2, h.Emulator.GetStats().AuthFailures);
    }

    [Fact]
    public async Task The_token_route_also_works_under_a_prefix_free_base_url_with_a_trailing_path()
    {
        await using var h = await Harness.StartAsync(o => o.TokenLifetime = TimeSpan.FromMinutes(5));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/auth/token");
        request.Headers.TryAddWithoutValidation("Authorization", Harness.ApiKey);
        using var response = await h.Http.SendAsync(request, Ct);
        Assert.Equal("300s", (string?)(await Harness.ReadJsonAsync(response))!["expiresIn"]);
    }
}

using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Sluice.Emulators.Salesforce.Store;

namespace Sluice.Emulators.Salesforce.Http;

/// <summary><c>POST /services/oauth2/token</c>: client_credentials, password and refresh_token grants.</summary>
internal static class OAuthEndpoints
{
    public static void Map(WebApplication app, SfState state) =>
        app.MapPost("/services/oauth2/token", (HttpContext context) => TokenAsync(context, state));

    private static async Task TokenAsync(HttpContext context, SfState state)
    {
        if (!context.Request.HasFormContentType)
        {
            await ErrorAsync(context, "unsupported_grant_type", "grant type not supported");
            return;
        }
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var grant = form["grant_type"].ToString();
        var clientId = form["client_id"].ToString();
        var clientSecret = form["client_secret"].ToString();
        // client_secret_basic (RFC 6749 2.3.1): the credentials in an Authorization: Basic header, form-encoded first.
        if (BasicCredentials(context.Request.Headers.Authorization.ToString()) is var (basicId, basicSecret))
        {
            if (clientId.Length > 0 && !FixedEquals(clientId, basicId))
            {
                await ErrorAsync(context, "invalid_client", "client identifier in the body does not match the Authorization header");
                return;
            }
            clientId = basicId;
            clientSecret = clientSecret.Length > 0 ? clientSecret : basicSecret;
        }
        var options = state.Options;
        switch (grant)
        {
            case "client_credentials":
            case "password":
                if (!FixedEquals(clientId, options.ClientId))
                {
                    await ErrorAsync(context, "invalid_client_id", "client identifier invalid");
                    return;
                }
                if (!FixedEquals(clientSecret, options.ClientSecret))
                {
                    await ErrorAsync(context, "invalid_client", "invalid client credentials");
                    return;
                }
                if (grant == "password"
                    && (string.IsNullOrEmpty(form["username"]) || (options.Username is { } user && !FixedEquals(form["username"].ToString(), user))
                        || (options.Password is { } password && !FixedEquals(form["password"].ToString(), password))))
                {
                    await ErrorAsync(context, "invalid_grant", "authentication failure");
                    return;
                }
                await SuccessAsync(context, state, options.IssueRefreshTokens ? state.Tokens.IssueRefreshToken() : null);
                return;
            case "refresh_token":
                if (!FixedEquals(clientId, options.ClientId))
                {
                    await ErrorAsync(context, "invalid_client_id", "client identifier invalid");
                    return;
                }
                if (clientSecret.Length > 0 && !FixedEquals(clientSecret, options.ClientSecret))
                {
                    await ErrorAsync(context, "invalid_client", "invalid client credentials");
                    return;
                }
                if (!state.Tokens.IsRefreshTokenValid(form["refresh_token"].ToString()))
                {
                    await ErrorAsync(context, "invalid_grant", "expired access/refresh token");
                    return;
                }
                await SuccessAsync(context, state, refreshToken: null);
                return;
            default:
                await ErrorAsync(context, "unsupported_grant_type", "grant type not supported");
                return;
        }
    }

    private static Task SuccessAsync(HttpContext context, SfState state, string? refreshToken)
    {
        Interlocked.Increment(ref state.Counters.TokensIssued);
        var token = state.Tokens.IssueAccessToken();
        var issuedAt = state.Clock.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        var id = $"{state.BaseUrl}/id/{TokenStore.OrgId}/{OrgStore.UserId}";
        var signature = Convert.ToBase64String(HMACSHA256.HashData(
            Encoding.UTF8.GetBytes(state.Options.ClientSecret), Encoding.UTF8.GetBytes(id + issuedAt)));
        context.Response.Headers.CacheControl = "no-cache,must-revalidate,max-age=0,no-store,private";
        return JsonOut.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("access_token", token);
            if (refreshToken is not null)
                w.WriteString("refresh_token", refreshToken);
            w.WriteString("signature", signature);
            w.WriteString("scope", "api");
            w.WriteString("instance_url", state.BaseUrl);
            w.WriteString("id", id);
            w.WriteString("token_type", "Bearer");
            w.WriteString("issued_at", issuedAt);
            w.WriteEndObject();
        });
    }

    private static Task ErrorAsync(HttpContext context, string error, string description) =>
        JsonOut.WriteAsync(context, 400, w =>
        {
            w.WriteStartObject();
            w.WriteString("error", error);
            w.WriteString("error_description", description);
            w.WriteEndObject();
        });

    private static (string Id, string Secret)? BasicCredentials(string header)
    {
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
            return null;
        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
        }
        catch (FormatException)
        {
            return null;
        }
        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
            return null;
        return (Uri.UnescapeDataString(decoded[..colon].Replace('+', ' ')), Uri.UnescapeDataString(decoded[(colon + 1)..].Replace('+', ' ')));
    }

    private static bool FixedEquals(string given, string expected) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(expected));
}

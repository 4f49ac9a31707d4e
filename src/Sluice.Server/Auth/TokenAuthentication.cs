using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Sluice.Server.Auth;

/// <summary>
/// The configured tokens, kept as SHA-256 digests and compared in fixed time; the tokens themselves are never
/// logged, shown or returned.
/// </summary>
public sealed class TokenSet
{
    private readonly List<byte[]> _digests;

    public TokenSet(IEnumerable<string> tokens) =>
        _digests = tokens.Select(t => t.Trim()).Where(t => t.Length > 0).Select(Digest).ToList();

    public int Count => _digests.Count;

    public bool Accepts(string? token)
    {
        if (string.IsNullOrWhiteSpace(token))
            return false;
        var digest = Digest(token.Trim());
        var accepted = false;
        // Every digest is compared, so the time taken says nothing of which one matched.
        foreach (var known in _digests)
            accepted |= CryptographicOperations.FixedTimeEquals(known, digest);
        return accepted;
    }

    private static byte[] Digest(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}

/// <summary><c>Authorization: Bearer &lt;token&gt;</c> for the API; a 401 answer is an RFC 7807 problem.</summary>
internal sealed class BearerTokenHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    TokenSet tokens) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string Name = "Bearer";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return Task.FromResult(AuthenticateResult.NoResult());
        if (!tokens.Accepts(header["Bearer ".Length..]))
            return Task.FromResult(AuthenticateResult.Fail("The bearer token is not one of the server's tokens."));
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, "api")], Name);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Name)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        var problems = Context.RequestServices.GetRequiredService<IProblemDetailsService>();
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails =
            {
                Status = StatusCodes.Status401Unauthorized,
                Title = "A bearer token is needed",
                Detail = "Send `Authorization: Bearer <token>` with one of the tokens the server was started with " +
                    "(SLUICE_API_TOKENS or --tokens-file; see docs/server.md).",
            },
        });
    }
}

internal static class TokenAuthentication
{
    /// <summary>Bearer for the API (or the UI's cookie, for the UI's own calls), the login cookie for pages.</summary>
    public const string Scheme = "sluice";

    public static IServiceCollection AddTokenAuthentication(this IServiceCollection services, TokenSet tokens)
    {
        services.AddSingleton(tokens);
        services.AddAuthentication(Scheme)
            .AddPolicyScheme(Scheme, "Bearer token or login cookie", o =>
            {
                o.ForwardDefaultSelector = context =>
                    context.Request.Headers.Authorization.Count > 0 ? BearerTokenHandler.Name : CookieAuthenticationDefaults.AuthenticationScheme;
                o.ForwardChallenge = null;
            })
            .AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.Name, null)
            .AddCookie(CookieAuthenticationDefaults.AuthenticationScheme, o =>
            {
                o.LoginPath = "/login";
                o.Cookie.Name = "sluice-session";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.SlidingExpiration = true;
                o.ExpireTimeSpan = TimeSpan.FromHours(12);
                // The API answers 401 with a problem; only pages go to the login form.
                o.Events.OnRedirectToLogin = context =>
                {
                    if (context.Request.Path.StartsWithSegments("/api"))
                        return context.HttpContext.ChallengeAsync(BearerTokenHandler.Name);
                    context.Response.Redirect(context.RedirectUri);
                    return Task.CompletedTask;
                };
            });
        return services;
    }
}

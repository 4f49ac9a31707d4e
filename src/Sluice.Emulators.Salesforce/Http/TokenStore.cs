using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Sluice.Emulators.Salesforce.Http;

/// <summary>Issued access and refresh tokens. Access tokens expire after the configured lifetime or on demand.</summary>
internal sealed class TokenStore(TimeProvider clock, TimeSpan lifetime)
{
    public const string OrgId = "00D5E0000000001EAA";

    private readonly ConcurrentDictionary<string, DateTimeOffset> _access = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _refresh = new(StringComparer.Ordinal);

    public string IssueAccessToken()
    {
        var token = "00D5E0000000001!" + Random(60);
        _access[token] = clock.GetUtcNow() + lifetime;
        return token;
    }

    public string IssueRefreshToken()
    {
        var token = "5Aep" + Random(80);
        _refresh[token] = 0;
        return token;
    }

    public bool IsRefreshTokenValid(string token) => _refresh.ContainsKey(token);

    public bool IsValid(string token)
    {
        if (!_access.TryGetValue(token, out var expiry))
            return false;
        if (clock.GetUtcNow() < expiry)
            return true;
        _access.TryRemove(token, out _);
        return false;
    }

    /// <summary>Every access token issued so far becomes invalid (refresh tokens stay valid).</summary>
    public void ExpireAll() => _access.Clear();

    private static string Random(int length)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._";
        return RandomNumberGenerator.GetString(alphabet, length);
    }
}

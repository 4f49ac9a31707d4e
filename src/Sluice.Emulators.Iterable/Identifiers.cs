using System.Text.RegularExpressions;

namespace Sluice.Emulators.Iterable;

/// <summary>Iterable's identifier rules: email format; userId 1..52 printable ASCII chars without a trailing space.</summary>
internal static partial class Identifiers
{
    public const int MaxUserIdLength = 52;

    // Pragmatic address check: one @, no whitespace, dotted domain with a 2+ letter TLD (rejects "user @example.com").
    [GeneratedRegex(@"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}$")]
    private static partial Regex EmailPattern();

    public static bool IsValidEmail(string email) =>
        email.Length is > 0 and <= 254 && EmailPattern().IsMatch(email);

    public static bool IsValidUserId(string userId)
    {
        if (userId.Length is 0 or > MaxUserIdLength || userId[^1] == ' ')
            return false;
        foreach (var c in userId)
        {
            if (c < 0x20 || c > 0x7E)
                return false;
        }
        return true;
    }
}

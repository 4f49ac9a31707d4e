namespace Sluice.Emulators.Salesforce.Store;

/// <summary>Salesforce record ids: 15-char case-sensitive ids and their 18-char case-safe form.</summary>
internal static class SalesforceId
{
    private const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private const string SuffixChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";

    /// <summary>Builds an 18-char id: key prefix, a fixed pod part, then the counter in base 62.</summary>
    public static string Create(string keyPrefix, long counter)
    {
        Span<char> id = stackalloc char[15];
        keyPrefix.AsSpan(0, 3).CopyTo(id);
        id[3] = '5';
        id[4] = 'E';
        id[5] = '0';
        id[6] = '0';
        var n = counter;
        for (var i = 14; i >= 7; i--)
        {
            id[i] = Base62[(int)(n % 62)];
            n /= 62;
        }
        return string.Concat(id, Suffix(id));
    }

    /// <summary>Normalises a 15- or 18-char id to 18 chars; false when it is not shaped like an id.</summary>
    public static bool TryNormalize(string? value, out string id)
    {
        id = "";
        if (value is null || (value.Length != 15 && value.Length != 18))
            return false;
        foreach (var c in value)
        {
            if (!char.IsAsciiLetterOrDigit(c))
                return false;
        }
        var head = value.AsSpan(0, 15);
        var suffix = Suffix(head);
        if (value.Length == 18 && !value.AsSpan(15).Equals(suffix, StringComparison.OrdinalIgnoreCase))
            return false;
        id = string.Concat(head, suffix);
        return true;
    }

    private static string Suffix(ReadOnlySpan<char> id15)
    {
        Span<char> suffix = stackalloc char[3];
        for (var chunk = 0; chunk < 3; chunk++)
        {
            var flags = 0;
            for (var i = 0; i < 5; i++)
            {
                if (char.IsAsciiLetterUpper(id15[(chunk * 5) + i]))
                    flags |= 1 << i;
            }
            suffix[chunk] = SuffixChars[flags];
        }
        return new string(suffix);
    }
}

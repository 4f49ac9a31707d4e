namespace Sluice.Core.Configuration;

/// <summary>"Did you mean" for names and keys: a close spelling (Damerau distance) or a prefix.</summary>
public static class Suggestions
{
    /// <summary>The candidate closest to <paramref name="input"/>, or null when none is close enough to help.</summary>
    public static string? Closest(string input, IEnumerable<string> candidates)
    {
        var a = input.ToLowerInvariant();
        string? best = null;
        var bestScore = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var b = candidate.ToLowerInvariant();
            var distance = Distance(a, b);

            // Short words are all within 2 edits of each other; allow fewer edits for them.
            var allowed = Math.Min(2, Math.Max(a.Length, b.Length) / 2);
            int score;
            if (distance <= allowed)
            {
                score = distance;
            }
            else if ((a.Length >= 3 && b.StartsWith(a, StringComparison.Ordinal)) ||
                     (b.Length >= 3 && a.StartsWith(b, StringComparison.Ordinal)))
            {
                score = 3;
            }
            else
            {
                continue;
            }

            if (score < bestScore)
            {
                bestScore = score;
                best = candidate;
            }
        }

        return best;
    }

    /// <summary><c>; did you mean 'x'?</c> or nothing.</summary>
    public static string DidYouMean(string input, IEnumerable<string> candidates) =>
        Closest(input, candidates) is { } s ? $"; did you mean '{s}'?" : "";

    /// <summary>A readable list of names: <c>a, b, c</c>, or <c>(none)</c>.</summary>
    public static string List(IEnumerable<string> names)
    {
        var text = string.Join(", ", names);
        return text.Length == 0 ? "(none)" : text;
    }

    /// <summary>Optimal string alignment distance (Damerau-Levenshtein with adjacent transpositions).</summary>
    internal static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}

using Sluice.Core.Configuration;

namespace Sluice.Core.Tests.Configuration;

public sealed class SuggestionTests
{
    private static readonly string[] Keys = ["model", "destination", "mode", "match", "mappings", "schedule", "warnings", "max_deletes"];

    [Theory]
    [InlineData("mdoe", "mode")] // transposition
    [InlineData("destinaton", "destination")] // deletion
    [InlineData("mappingss", "mappings")] // insertion
    [InlineData("Schedule", "schedule")] // case only
    [InlineData("warn", "warnings")] // prefix
    [InlineData("max_deletes_percent", "max_deletes")] // longer than a key
    [InlineData("modle", "model")]
    public void A_close_spelling_or_a_prefix_is_suggested(string input, string expected)
    {
        Assert.Equal(expected, Suggestions.Closest(input, Keys));
    }

    [Theory]
    [InlineData("colour")]
    [InlineData("x")]
    [InlineData("ab")]
    public void Nothing_is_suggested_for_a_word_far_from_every_key(string input)
    {
        Assert.Null(Suggestions.Closest(input, Keys));
    }

    [Fact]
    public void The_closest_of_several_candidates_wins()
    {
        Assert.Equal("mode", Suggestions.Closest("mod", Keys));
    }

    [Theory]
    [InlineData("", "", 0)]
    [InlineData("abc", "acb", 1)]
    [InlineData("kitten", "sitting", 3)]
    public void The_distance_counts_transpositions_as_one_edit(string a, string b, int distance)
    {
        Assert.Equal(distance, Suggestions.Distance(a, b));
    }
}

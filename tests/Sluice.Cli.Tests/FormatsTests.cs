namespace Sluice.Cli.Tests;

public sealed class FormatsTests
{
    [Fact]
    public void DatesAndTimesAreIso8601()
    {
        Assert.Equal("2022-01-05", Formats.Value(new DateTime(2022, 1, 5)));
        Assert.Equal("2022-01-05", Formats.Value(new DateOnly(2022, 1, 5)));
        Assert.Equal("2022-01-05T13:04:05", Formats.Value(new DateTime(2022, 1, 5, 13, 4, 5)));
        Assert.Equal("2022-01-05T13:04:05.5Z", Formats.Value(new DateTime(2022, 1, 5, 13, 4, 5, 500, DateTimeKind.Utc)));
        Assert.Equal("2022-01-05T13:04:05+02:00", Formats.Value(new DateTimeOffset(2022, 1, 5, 13, 4, 5, TimeSpan.FromHours(2))));
        Assert.Equal("1234.5", Formats.Value(1234.5m));
        Assert.Equal("null", Formats.Value(null));
    }

    [Fact]
    public void NumericKeysSortAsNumbersAndTextAfterThem()
    {
        string[] keys = ["1000", "b", "10", "2", "a", "100", "-3", "1"];
        Assert.Equal(["-3", "1", "2", "10", "100", "1000", "a", "b"], keys.Order(Formats.Keys));
    }
}

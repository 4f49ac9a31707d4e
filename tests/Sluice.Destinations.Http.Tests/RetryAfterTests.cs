using System.Net;
using Microsoft.Extensions.Time.Testing;

namespace Sluice.Destinations.Http.Tests;

public sealed class RetryAfterTests
{
    private static readonly DateTimeOffset Now = new(2025, 3, 1, 9, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("7", 7)]
    [InlineData(" 0 ", 0)]
    [InlineData("1.5", 1.5)]
    [InlineData("-3", 0)]
    [InlineData("86400", 120)]
    [InlineData("Sat, 01 Mar 2025 09:00:30 GMT", 30)]
    [InlineData("Sat, 01 Mar 2025 08:59:00 GMT", 0)]
    [InlineData("Sun, 02 Mar 2025 09:00:00 GMT", 120)]
    public void Seconds_and_HTTP_dates_are_read_and_capped(string value, double seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), RetryAfter.Parse(value, Now));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("NaN")]
    public void Anything_else_is_no_Retry_After(string? value) => Assert.Null(RetryAfter.Parse(value, Now));

    [Fact]
    public void The_header_of_an_answer_is_read_in_both_forms_against_the_injected_clock()
    {
        var time = new FakeTimeProvider(Now);
        using var seconds = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        seconds.Headers.TryAddWithoutValidation("Retry-After", "12");
        using var date = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        date.Headers.TryAddWithoutValidation("Retry-After", "Sat, 01 Mar 2025 09:01:00 GMT");
        using var none = new HttpResponseMessage(HttpStatusCode.TooManyRequests);

        Assert.Equal(TimeSpan.FromSeconds(12), RetryAfter.From(seconds, time));
        Assert.Equal(TimeSpan.FromSeconds(60), RetryAfter.From(date, time));
        Assert.Null(RetryAfter.From(none, time));
    }
}

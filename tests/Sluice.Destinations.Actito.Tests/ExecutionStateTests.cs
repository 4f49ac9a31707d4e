using System.Text;

namespace Sluice.Destinations.Actito.Tests;

/// <summary>Only a status Actito documents ends the wait for an ETL execution: nothing else reads as "done, no errors".</summary>
public sealed class ExecutionStateTests
{
    [Theory]
    [InlineData("{}")]
    [InlineData("{\"id\": 12}")]
    [InlineData("not json")]
    [InlineData("{\"status\": \"RUNNING\"}")]
    public void A_body_without_a_documented_status_is_still_running(string body)
    {
        var state = ImportState.Parse(Encoding.UTF8.GetBytes(body));

        Assert.False(state.Finished);
    }

    [Theory]
    [InlineData("SUCCESS", false)]
    [InlineData("WITH_ERROR", true)]
    public void A_documented_status_finishes_it(string status, bool withErrors)
    {
        var state = ImportState.Parse(Encoding.UTF8.GetBytes($"{{\"status\": \"{status}\"}}"));

        Assert.True(state.Finished);
        Assert.False(state.Failed);
        Assert.Equal(withErrors, state.WithErrors);
    }
}

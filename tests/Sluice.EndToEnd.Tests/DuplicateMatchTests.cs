using System.Text.Json.Nodes;
using Sluice.EndToEnd.Tests.Support;

namespace Sluice.EndToEnd.Tests;

/// <summary>
/// Two model rows with different keys and one match value are never merged silently into one record: the `sluice`
/// binary delivers one of them and rejects the other with a reason naming both keys, across batches and across runs
/// (a new row taking the value of a record delivered earlier and unchanged since), checked through the emulator's API.
/// </summary>
public sealed class DuplicateMatchTests
{
    private const string Sync = "customers-to-iterable";

    private static long Count(SluiceResult run, string name) => run.Json["runs"]![0]!["counts"]![name]!.GetValue<long>();

    private static async Task<JsonArray> RejectedAsync(IterableProject project)
    {
        var rejected = await project.SluiceAsync("rejected", Sync, "--json");
        Assert.True(rejected.ExitCode == 0, rejected.ToString());
        return rejected.Json["rows"]!.AsArray();
    }

    private static string? FirstName(JsonObject? user) => user?["dataFields"]?["firstName"]?.GetValue<string>();

    [Fact]
    public async Task Rows_sharing_an_email_in_different_batches_and_runs_are_rejected_naming_both_keys()
    {
        await using var project = await IterableProject.CreateAsync();
        // Iterable's bulk update takes 1,000 users a request: keys 100 and 1600 go in different batches. Iterable compares
        // emails without regard to case, so C100@Example.com is c100@example.com.
        var customers = IterableProject.Customers(2000);
        customers[1599] = customers[1599] with { Email = "C100@Example.com" };
        await project.WriteCustomersAsync(customers);

        var first = await project.SluiceAsync("run", Sync, "--json");

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal(1999, Count(first, "delivered"));
        Assert.Equal(1, Count(first, "invalidKeys"));
        Assert.Equal(1999, project.Emulator.UserCount);
        Assert.Equal("First100", FirstName(await project.GetUserAsync("c100@example.com")));
        var rows = await RejectedAsync(project);
        var row = Assert.Single(rows)!;
        Assert.Equal("1600", row["key"]!.GetValue<string>());
        Assert.Equal("DUPLICATE_MATCH_VALUE", row["code"]!.GetValue<string>());
        var reason = row["reason"]!.GetValue<string>();
        Assert.Contains("Row key 1600", reason, StringComparison.Ordinal);
        Assert.Contains("row key 100,", reason, StringComparison.Ordinal);
        Assert.Contains("C100@Example.com", reason, StringComparison.Ordinal);

        // A new row takes the email of a user delivered in the first run and unchanged since: it is not among the rows that
        // changed, yet it is refused, and the delivered user keeps its values. Nothing is sent.
        customers.Add(new Customer(2001, "c5@example.com", "Intruder", "free", 1));
        await project.WriteCustomersAsync(customers);
        var received = project.UsersReceived;

        var second = await project.SluiceAsync("run", Sync, "--json");

        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Equal(0, Count(second, "delivered"));
        Assert.Equal(2, Count(second, "invalidKeys"));
        Assert.Equal(received, project.UsersReceived);
        Assert.Equal("First5", FirstName(await project.GetUserAsync("c5@example.com")));
        rows = await RejectedAsync(project);
        Assert.Equal(["1600", "2001"], rows.Select(r => r!["key"]!.GetValue<string>()));
        Assert.Contains("row key 5,", rows[1]!["reason"]!.GetValue<string>(), StringComparison.Ordinal);

        // The winner leaves the model: its email is free, and the row that was refused for it is delivered.
        customers.RemoveAt(99);
        await project.WriteCustomersAsync(customers);

        var third = await project.SluiceAsync("run", Sync, "--json");

        Assert.True(third.ExitCode == 0, third.ToString());
        Assert.Equal(1, Count(third, "delivered"));
        Assert.Equal("First1600", FirstName(await project.GetUserAsync("c100@example.com")));
        Assert.Equal("2001", Assert.Single(await RejectedAsync(project))!["key"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_new_salesforce_row_with_the_external_id_of_an_unchanged_contact_is_rejected_and_the_contact_kept()
    {
        await using var project = await SalesforceProject.CreateAsync();
        // Person 21 gets the external id of person 3, in another case: Salesforce compares external ids without it.
        await project.WriteProjectFileAsync(SalesforceProject.ProjectFile(new SalesforceSync()).Replace(
            "'P-' || person_id as external_id", "CASE WHEN person_id = 21 THEN 'p-3' ELSE 'P-' || person_id END as external_id",
            StringComparison.Ordinal));
        var people = SalesforceProject.People(20);
        await project.WritePeopleAsync(people);
        var first = await project.SluiceAsync("run", SalesforceProject.SyncName, "--json");
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal(20, Count(first, "delivered"));

        people.Add(new Person(21, "intruder@example.com", "Intruder", "Other", null));
        await project.WritePeopleAsync(people);
        var second = await project.SluiceAsync("run", SalesforceProject.SyncName, "--json");

        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Equal(0, Count(second, "delivered"));
        Assert.Equal(1, Count(second, "invalidKeys"));
        var contacts = await project.ByExternalIdAsync("Contact", "FirstName");
        Assert.Equal(20, contacts.Count);
        Assert.Equal("First3", contacts["P-3"]["FirstName"]!.GetValue<string>());
        var rejected = await project.SluiceAsync("rejected", SalesforceProject.SyncName, "--json");
        var row = Assert.Single(rejected.Json["rows"]!.AsArray())!;
        Assert.Equal("21", row["key"]!.GetValue<string>());
        Assert.Contains("Row key 21 has the same External_Id__c 'p-3'", row["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("row key 3,", row["reason"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}

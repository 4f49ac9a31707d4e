using System.Text.Json.Nodes;
using Sluice.EndToEnd.Tests.Support;

namespace Sluice.EndToEnd.Tests;

/// <summary>`sluice emulate`: the Actito emulator says what it serves and takes yours; Salesforce's standard fields are there.</summary>
public sealed class CliEmulatorTests
{
    [Fact]
    public async Task The_actito_emulator_serves_the_entity_and_table_it_is_given_and_says_so()
    {
        using var process = SluiceCommand.Start(CliRunner.NewDirectory(), "emulate", "actito", "--port", "0", "--api-key", "k",
            "--entity", "my_entity", "--table", "Clients");
        try
        {
            var baseUrl = await process.StandardOutput.ReadLineAsync();
            Assert.StartsWith("http://127.0.0.1:", baseUrl, StringComparison.Ordinal);
            var said = await process.StandardError.ReadLineAsync();
            Assert.Equal("Actito emulator: entity 'my_entity', table 'Clients' (attributes: profileId, creationMoment, updateMoment, emailAddress, " +
                "firstName, lastName, customerId, birthDate, motherLanguage, gsmNumber). Point a destination's entity: and table: at them.", said);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task The_salesforce_emulator_contact_has_the_standard_opt_out_fields()
    {
        await using var project = await SalesforceProject.CreateAsync();
        var id = await project.CreateRecordAsync("Contact", new JsonObject
        {
            ["LastName"] = "Lovelace",
            ["HasOptedOutOfEmail"] = true,
            ["DoNotCall"] = true,
        });
        var contact = await project.GetRecordAsync("Contact", id);
        Assert.True(contact!["HasOptedOutOfEmail"]!.GetValue<bool>());
        Assert.True(contact["DoNotCall"]!.GetValue<bool>());
    }
}

using System.Text.Json.Nodes;
using Sluice.EndToEnd.Tests.Support;

namespace Sluice.EndToEnd.Tests;

/// <summary>
/// Column types through the real <c>sluice</c> binary against the Actito emulator: a type Actito cannot hold stops
/// <c>validate</c> and <c>run</c> with the column and its type named (no stack trace, nothing sent); lists, structs and
/// maps arrive as JSON text.
/// </summary>
public sealed class ActitoColumnTypeTests
{
    private static string ProjectFile(string extraColumns, string extraMappings) =>
        ActitoProject.ProjectFile("upsert")
            .Replace("signup_date, note from customers", "signup_date, note" + extraColumns + " from customers", StringComparison.Ordinal)
            .Replace("      signup_date: signupDate", "      signup_date: signupDate" + extraMappings, StringComparison.Ordinal);

    [Theory]
    [InlineData("validate")]
    [InlineData("run")]
    public async Task A_blob_column_is_refused_naming_the_column_and_its_type_and_nothing_is_sent(string command)
    {
        await using var project = await ActitoProject.CreateAsync();
        await project.WriteCustomersAsync(ActitoProject.Customers(3));
        await project.WriteProjectFileAsync(ProjectFile(", '\\xAA\\xBB'::BLOB as raw, interval (seats) hour as wait",
            "\n      raw: rawBytes\n      wait: waitTime"));

        var result = command == "run" ? await project.SluiceAsync("run", ActitoProject.Sync) : await project.SluiceAsync("validate");

        Assert.NotEqual(0, result.ExitCode);
        var output = result.Stdout + result.Stderr;
        Assert.Contains("Column 'raw' has type BLOB", output, StringComparison.Ordinal);
        Assert.Contains("Column 'wait' has type INTERVAL", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.Equal(0, project.Emulator.GetStats().ProfilesCreated);
    }

    [Fact]
    public async Task A_list_and_a_struct_arrive_as_json_text_in_string_attributes()
    {
        await using var project = await ActitoProject.CreateAsync();
        await project.WriteCustomersAsync(ActitoProject.Customers(3));
        await project.WriteProjectFileAsync(ProjectFile(", [seats, seats + 1] as tags, struct_pack(plan := plan, seats := seats) as info",
            "\n      tags: tags\n      info: info"));

        var run = await project.SluiceAsync("run", ActitoProject.Sync, "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        var attributes = await project.TableAttributesAsync();
        Assert.Equal("STRING", attributes["tags"]["valueType"]!.GetValue<string>());
        var two = (await project.ListProfilesAsync())["C-2"];
        Assert.Equal("[2,3]", two["tags"]);
        Assert.Equal("{\"plan\":\"free\",\"seats\":2}", two["info"]);
    }
}

using Sluice.Core.Configuration;
using Sluice.Core.Destinations;
using Sluice.Core.Models;
using Sluice.Core.Sources;

namespace Sluice.Core.Tests.Configuration;

/// <summary>Source and destination types that only declare options, like the real ones do.</summary>
internal sealed class FakeSourceProvider(string type, params OptionSpec[] options) : ISourceProvider
{
    public string Type { get; } = type;

    public IReadOnlyList<OptionSpec> Options { get; } = options;

    public ISource Create(SourceConfig config, string projectDirectory) => throw new NotSupportedException();
}

internal sealed class FakeDestinationProvider(string type, SyncMode[] modes, params OptionSpec[] options) : IDestinationProvider
{
    public string Type { get; } = type;

    public IReadOnlyList<OptionSpec> Options { get; } = options;

    public IReadOnlySet<SyncMode> Modes { get; } = modes.ToHashSet();

    public IReadOnlyList<SyncProblem> CheckSync(DestinationSettings settings, SyncContext sync) => [];

    public IDestination Create(DestinationSettings settings, DestinationServices services) => throw new NotSupportedException();
}

internal static class FakeCatalog
{
    public static ProjectCatalog Instance { get; } = new(
        [
            new FakeSourceProvider("duckdb", new OptionSpec("path", OptionType.String, "The DuckDB file.", Required: true)),
            new FakeSourceProvider("postgres",
                new OptionSpec("connection", OptionType.Secret, "The connection string.", Required: true),
                new OptionSpec("pool_size", OptionType.Integer, "Connections to open.", Default: "4")),
        ],
        [
            new FakeDestinationProvider("iterable", [SyncMode.Update, SyncMode.Upsert],
                new OptionSpec("api_key", OptionType.Secret, "A server-side API key.", Required: true),
                new OptionSpec("base_url", OptionType.Url, "The API's address.", Default: "https://api.iterable.com"),
                new OptionSpec("region", OptionType.Choice, "us or eu.", Default: "us", Choices: ["us", "eu"])),
            new FakeDestinationProvider("actito", [SyncMode.Insert, SyncMode.Update, SyncMode.Upsert, SyncMode.Mirror],
                new OptionSpec("api_key", OptionType.Secret, "The API key.", Required: true),
                new OptionSpec("entity", OptionType.String, "The entity.", Required: true),
                new OptionSpec("table", OptionType.String, "The profile table.", Required: true),
                new OptionSpec("batch_size", OptionType.Integer, "Profiles per call.", Default: "500"),
                new OptionSpec("rate", OptionType.Number, "Calls per second.", Default: "2.5"),
                new OptionSpec("create_attributes", OptionType.Boolean, "Create missing attributes.", Default: "true")),
            new FakeDestinationProvider("salesforce", [SyncMode.Insert, SyncMode.Update, SyncMode.Upsert],
                new OptionSpec("login_url", OptionType.Url, "The login address.", Default: "https://login.salesforce.com"),
                new OptionSpec("client_id", OptionType.String, "The connected app's client id.", Required: true),
                new OptionSpec("client_secret", OptionType.Secret, "The connected app's secret.", Required: true),
                new OptionSpec("object", OptionType.Choice, "The object.", Required: true,
                    Choices: ["Account", "Case", "Contact", "Contract", "Lead"])),
        ]);
}

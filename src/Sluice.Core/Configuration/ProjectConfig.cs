using Sluice.Core.Models;

namespace Sluice.Core.Configuration;

/// <summary>A place in a project file, for messages: <c>sluice.yaml:12:5</c>.</summary>
public readonly record struct SourceLocation(string File, int Line, int Column)
{
    public override string ToString() => Line > 0 ? $"{File}:{Line}:{Column}" : File;
}

/// <summary>A scalar from the project file after <c>${VAR}</c> substitution, with where it was written.</summary>
public sealed record ConfigValue(string Value, SourceLocation Location);

/// <summary>
/// A setting written with a <c>${VAR}</c> that is not set. The project still loads: only what needs the
/// setting fails, with these problems (where, which variable, the .env hint).
/// </summary>
/// <param name="Key">The option (or <c>webhook</c>, <c>email</c>) whose value is unknown.</param>
public sealed record UnresolvedSetting(string Key, IReadOnlyList<ConfigProblem> Problems)
{
    /// <summary>No unresolved settings: one shared instance, so that blocks without any compare equal.</summary>
    public static IReadOnlyList<UnresolvedSetting> None { get; } = [];

    internal static IReadOnlyList<UnresolvedSetting> Of(List<UnresolvedSetting> found) => found.Count == 0 ? None : found;
}

/// <summary>
/// A loaded and validated <c>sluice.yaml</c>. Immutable. Names are case-sensitive, as written.
/// </summary>
public sealed record ProjectConfig(
    string Directory,
    string FilePath,
    IReadOnlyDictionary<string, SourceConfig> Sources,
    IReadOnlyDictionary<string, ModelConfig> Models,
    IReadOnlyDictionary<string, DestinationConfig> Destinations,
    IReadOnlyDictionary<string, SyncConfig> Syncs,
    IReadOnlyDictionary<string, NotificationConfig> Notifications)
{
    /// <summary>Things that work but should change (a secret written literally); shown by validate, plan and run.</summary>
    public IReadOnlyList<ConfigProblem> Warnings { get; init; } = [];

    /// <summary>The shared state (<c>state:</c>, a PostgreSQL database); null: the embedded <c>.sluice/</c> folder.</summary>
    public StateConfig? State { get; init; }

    /// <summary>The relay email notifications go through; null when the project sends none.</summary>
    public SmtpConfig? Smtp { get; init; }

    /// <summary>Every problem of a <c>${VAR}</c> that is not set, in file order; <c>validate</c> reports them all.</summary>
    public IReadOnlyList<ConfigProblem> UnresolvedProblems =>
        Sources.Values.SelectMany(s => s.Unresolved)
            .Concat(Destinations.Values.SelectMany(d => d.Unresolved))
            .Concat(Notifications.Values.SelectMany(n => n.Unresolved))
            .Concat(Smtp?.Unresolved ?? [])
            .SelectMany(u => u.Problems)
            .Distinct()
            .OrderBy(p => p.Location?.Line ?? 0).ThenBy(p => p.Location?.Column ?? 0)
            .ToList();
}

/// <summary>A source block: <c>type</c> (duckdb, postgres) and its settings (path, connection...).</summary>
public sealed record SourceConfig(
    string Name,
    string Type,
    IReadOnlyDictionary<string, ConfigValue> Settings,
    SourceLocation Location)
{
    /// <summary>Settings whose <c>${VAR}</c> is not set (absent from <see cref="Settings"/>): a sync reading this source fails with them.</summary>
    public IReadOnlyList<UnresolvedSetting> Unresolved { get; init; } = UnresolvedSetting.None;
}

/// <summary>
/// A model, or a segment (a model plus a filter). Segments are resolved by the loader: their
/// <see cref="Source"/>, <see cref="Kind"/> and <see cref="PrimaryKey"/> come from the base model and
/// <see cref="Sql"/> is the base model's query wrapped with the filter.
/// </summary>
/// <param name="Sql">The query to run: the model's <c>sql</c>, or <c>select * from {table}</c>, or the segment's wrapped query.</param>
/// <param name="BaseModel">For a segment, the model it filters; null for a model.</param>
/// <param name="Filter">For a segment, its SQL filter.</param>
public sealed record ModelConfig(
    string Name,
    string Source,
    ModelKind Kind,
    string PrimaryKey,
    string Sql,
    string? BaseModel,
    string? Filter,
    SourceLocation Location,
    SourceLocation PrimaryKeyLocation);

/// <summary>A destination block: its <c>type</c> and its options (validated against the provider's OptionSpecs).</summary>
public sealed record DestinationConfig(
    string Name,
    string Type,
    IReadOnlyDictionary<string, ConfigValue> Settings,
    SourceLocation Location)
{
    /// <summary>Options whose <c>${VAR}</c> is not set (absent from <see cref="Settings"/>): reading them fails with these problems.</summary>
    public IReadOnlyList<UnresolvedSetting> Unresolved { get; init; } = UnresolvedSetting.None;
}

/// <summary>A model column sent to a destination field, with where the line is in the file.</summary>
public sealed record MappingConfig(string Column, string Field, SourceLocation Location);

/// <summary>How many deletes a mirror run may make before the guard stops it: a count or a percent of the ledger.</summary>
public sealed record DeleteLimit(double Value, bool IsPercent)
{
    public static DeleteLimit Default { get; } = new(10, true);

    /// <summary>The largest number of deletes allowed for a ledger of <paramref name="ledgerSize"/> records.</summary>
    public long AllowedFor(long ledgerSize) =>
        IsPercent ? (long)Math.Floor(ledgerSize * Value / 100.0) : (long)Value;

    public override string ToString() => IsPercent ? $"{Value:0.##}%" : $"{Value:0}";
}

/// <summary>The warnings a sync raises, and who hears them (warnings.md).</summary>
public sealed record WarningsConfig(
    bool OnFailure,
    double? RejectedRowsPercent,
    bool OnEmptyModel,
    bool OnMirrorGuard,
    IReadOnlyList<string> Notify)
{
    public static WarningsConfig Default { get; } = new(true, null, true, true, []);

    /// <summary>Warn when the model's row count moves by more than this share since the last successful run.</summary>
    public double? RowCountChangePercent { get; init; }

    /// <summary>Warn when the sync has not succeeded for this long.</summary>
    public TimeSpan? NotSucceededFor { get; init; }
}

/// <summary>A sync: model + destination + mode + match + mappings + schedule + warnings.</summary>
public sealed record SyncConfig(
    string Name,
    string Model,
    string Destination,
    SyncMode Mode,
    MappingConfig Match,
    IReadOnlyList<MappingConfig> Mappings,
    Schedule Schedule,
    WarningsConfig Warnings,
    DeleteLimit MaxDeletes,
    SourceLocation Location,
    SourceLocation ModeLocation)
{
    /// <summary>Where the sync names its destination (<c>destination: x</c>), for destination problems about this sync.</summary>
    public SourceLocation DestinationLocation { get; init; } = Location;
}

/// <summary>How the SMTP relay is reached: TLS from the start (465), upgraded (587), or none.</summary>
public enum SmtpSecurity
{
    StartTls,
    SslOnConnect,
    None,
}

/// <summary>The <c>smtp:</c> section: the relay email notifications are sent through. The password is a secret.</summary>
public sealed record SmtpConfig(string Host, int Port, SmtpSecurity Security, string? Username, string? Password, string From, SourceLocation Location)
{
    /// <summary>Settings written with a <c>${VAR}</c> that is not set: sending email fails with these problems.</summary>
    public IReadOnlyList<UnresolvedSetting> Unresolved { get; init; } = UnresolvedSetting.None;

    /// <summary>Never the password: records print themselves in logs and test output.</summary>
    public override string ToString() => $"smtp {Host}:{Port} ({Security}) from {From}";
}

/// <summary>A notification channel: a Slack-compatible webhook and/or an email address.</summary>
public sealed record NotificationConfig(string Name, string? Webhook, string? Email, SourceLocation Location)
{
    /// <summary>Its webhook or email written with a <c>${VAR}</c> that is not set: a run that warns through it fails with these problems.</summary>
    public IReadOnlyList<UnresolvedSetting> Unresolved { get; init; } = UnresolvedSetting.None;
}

/// <summary>
/// <c>state:</c>: the PostgreSQL database (a connection string or postgres:// URL: a secret, never printed) and schema
/// that hold the project's state, shared by every worker.
/// </summary>
public sealed record StateConfig(string Connection, string Schema, SourceLocation Location)
{
    public const string DefaultSchema = "sluice";

    /// <summary>Never the connection: it holds a password.</summary>
    public override string ToString() => $"state at {Location} (schema {Schema})";
}

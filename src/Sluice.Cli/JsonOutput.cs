using System.Text.Json;
using System.Text.Json.Serialization;
using Sluice.Core.State;
using Sluice.State;

namespace Sluice.Cli;

/// <summary>
/// The stable <c>--json</c> shapes for orchestrators (documented in the README). Fields are only ever added.
/// </summary>
internal static class JsonOutput
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static void Write(object value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, Options));

    public static object Run(RunRecord run) => new
    {
        runId = run.RunId,
        sync = run.Sync,
        status = run.Status,
        fullResync = run.FullResync,
        startedAt = DateTime.SpecifyKind(run.StartedAt, DateTimeKind.Utc),
        finishedAt = run.FinishedAt is { } f ? DateTime.SpecifyKind(f, DateTimeKind.Utc) : (DateTime?)null,
        durationSeconds = run.Duration?.TotalSeconds,
        counts = new
        {
            modelRows = run.Counts.ModelRows,
            added = run.Counts.Added,
            changed = run.Counts.Changed,
            removed = run.Counts.Removed,
            unchanged = run.Counts.Unchanged,
            invalidKeys = run.Counts.InvalidKeys,
            planned = run.Counts.Planned,
            sent = run.Counts.Sent,
            lookedUp = run.Counts.LookedUp,
            delivered = run.Counts.Delivered,
            deleted = run.Counts.Deleted,
            rejected = run.Counts.Rejected,
            notFound = run.Counts.NotFound,
            skipped = run.Counts.Skipped,
        },
        warnings = run.Warnings,
        error = run.Error,
    };

    public static object Rejected(RejectedRow row) => new
    {
        key = row.Key,
        outcome = row.Outcome,
        code = row.Code,
        reason = row.Reason,
        runId = row.RunId,
        at = DateTime.SpecifyKind(row.At, DateTimeKind.Utc),
    };
}

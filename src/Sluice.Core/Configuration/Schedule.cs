using Cronos;

namespace Sluice.Core.Configuration;

/// <summary>When a sync runs on its own (under <c>sluice serve</c>): manual, every interval, cron, or after another sync.</summary>
public abstract record Schedule
{
    public static Schedule Manual { get; } = new ManualSchedule();

    /// <summary>The next time this schedule fires after <paramref name="from"/>, or null if it does not fire on its own.</summary>
    public abstract DateTimeOffset? NextAfter(DateTimeOffset from);
}

public sealed record ManualSchedule : Schedule
{
    public override DateTimeOffset? NextAfter(DateTimeOffset from) => null;

    public override string ToString() => "manual";
}

public sealed record IntervalSchedule(TimeSpan Every) : Schedule
{
    public override DateTimeOffset? NextAfter(DateTimeOffset from) => from + Every;

    public override string ToString() =>
        Every.TotalHours >= 1 && Every.TotalHours == Math.Floor(Every.TotalHours)
            ? $"every {Every.TotalHours:0}h"
            : Every.TotalMinutes == Math.Floor(Every.TotalMinutes)
                ? $"every {Every.TotalMinutes:0}m"
                : $"every {Every.TotalSeconds:0}s";
}

public sealed record CronSchedule(string Expression, CronExpression Cron, TimeZoneInfo TimeZone) : Schedule
{
    public override DateTimeOffset? NextAfter(DateTimeOffset from) => Cron.GetNextOccurrence(from, TimeZone);

    public override string ToString() => TimeZone == TimeZoneInfo.Utc ? Expression : $"{Expression} ({TimeZone.Id})";
}

/// <summary>Runs when another sync finishes successfully.</summary>
public sealed record AfterSchedule(string Sync) : Schedule
{
    public override DateTimeOffset? NextAfter(DateTimeOffset from) => null;

    public override string ToString() => $"after {Sync}";
}

using Sluice.Core.State;
using Sluice.Destinations.Http;

namespace Sluice.Notifications;

/// <summary>How notices are sent; the defaults suit a run from the CLI.</summary>
public sealed record NotifierOptions
{
    /// <summary>The page of a run in the web UI, when a server shows one; notices link to it.</summary>
    public Func<RunRecord, Uri?>? RunLink { get; init; }

    /// <summary>How long a channel that fails is tried again: briefly, since a run waits for its notice.</summary>
    public RetryLimits Retries { get; init; } = new() { MaxRetries = 3, BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(8) };

    /// <summary>Waits between retries run on this clock.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>The longest a channel's one attempt may take.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(15);
}

using System.Text.RegularExpressions;
using Sluice.Core.State;

namespace Sluice.State;

/// <summary>Why the project's state (or another file Sluice writes) could not be used, as read from the error.</summary>
public enum StateFailure
{
    /// <summary>Another process holds DuckDB's lock on the file.</summary>
    Locked,

    /// <summary>The file is not a database, is truncated, or fails its checksums.</summary>
    Corrupt,

    /// <summary>The disk (or the quota) is full.</summary>
    DiskFull,

    /// <summary>The file or its folder cannot be written: permissions or a read-only file system.</summary>
    ReadOnly,

    /// <summary>Something that should be a folder is a file, or the reverse.</summary>
    WrongKind,

    /// <summary>DuckDB needed more memory than its budget and could not spill the rest to disk.</summary>
    OutOfMemory,

    /// <summary>Any other input/output error.</summary>
    Other,
}

/// <summary>
/// Turns the errors DuckDB and the file system give about the project's state into messages that say
/// which file, what is wrong and what to do. The raw message is kept short (first line) and never
/// carries row values or secrets: it is about files.
/// </summary>
public static partial class StateErrors
{
    [GeneratedRegex(@"Could not set lock on file|Conflicting lock is held", RegexOptions.IgnoreCase)]
    private static partial Regex LockPattern();

    [GeneratedRegex(@"\(PID (\d+)\)")]
    private static partial Regex Pid();

    [GeneratedRegex(@"not a valid DuckDB database|Corrupt database|checksum|Could not read enough bytes|database file .* (?:is|was) (?:too small|truncated)|serializ|INTERNAL Error|invalid (?:block|header)|Unsupported|created by (?:a newer|an older)|database version|storage version", RegexOptions.IgnoreCase)]
    private static partial Regex CorruptPattern();

    [GeneratedRegex(@"No space left on device|Disk quota exceeded|disk is full|ENOSPC|not enough space", RegexOptions.IgnoreCase)]
    private static partial Regex DiskFullPattern();

    [GeneratedRegex(@"Read-only file system|Permission denied|Access to the path .* is denied|EROFS|EACCES|read-only", RegexOptions.IgnoreCase)]
    private static partial Regex ReadOnlyPattern();

    [GeneratedRegex(@"Out of Memory|failed to pin block|(?:could not|failed to) allocate", RegexOptions.IgnoreCase)]
    private static partial Regex OutOfMemoryPattern();

    [GeneratedRegex(@"Is a directory|Not a directory|already exists", RegexOptions.IgnoreCase)]
    private static partial Regex WrongKindPattern();

    /// <summary>What kind of failure <paramref name="message"/> describes.</summary>
    public static StateFailure Classify(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        // Order matters: "block" (in corruption messages) must not read as a lock, so locks are matched by phrase.
        if (LockPattern().IsMatch(message))
        {
            return StateFailure.Locked;
        }

        if (DiskFullPattern().IsMatch(message))
        {
            return StateFailure.DiskFull;
        }

        if (ReadOnlyPattern().IsMatch(message))
        {
            return StateFailure.ReadOnly;
        }

        if (WrongKindPattern().IsMatch(message))
        {
            return StateFailure.WrongKind;
        }

        if (OutOfMemoryPattern().IsMatch(message))
        {
            return StateFailure.OutOfMemory;
        }

        return CorruptPattern().IsMatch(message) ? StateFailure.Corrupt : StateFailure.Other;
    }

    /// <summary>
    /// A <see cref="StateException"/> for an error met while opening or writing the state at <paramref name="statePath"/>
    /// (<c>.sluice/state.duckdb</c>), with what to do. <paramref name="spillDirectory"/>: where DuckDB spills, when known.
    /// </summary>
    public static StateException Explain(Exception error, string statePath, string? spillDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(statePath);
        var detail = FirstLine(error.Message);
        var folder = Path.GetDirectoryName(statePath) ?? statePath;
        var project = Path.GetDirectoryName(folder) ?? folder;
        var message = Classify(error.Message) switch
        {
            StateFailure.Locked =>
                $"The project's state ({statePath}) is in use by another sluice process{HeldBy(error.Message)}. " +
                "Wait for it to finish, or stop it, then run again.",
            StateFailure.Corrupt =>
                $"The project's state ({statePath}) is damaged: {detail}. " +
                $"Restore it from a backup, or move it aside (mv {statePath} {statePath}.damaged) to start a fresh state: " +
                "the next run then sends every row again (update, upsert and mirror are idempotent; insert syncs may create duplicates).",
            StateFailure.DiskFull =>
                $"The disk holding the project's state ({folder}) is full: {detail}. " +
                "Free some space on it and run again; what was not committed is sent again next run.",
            StateFailure.ReadOnly =>
                $"Sluice cannot write the project's state ({statePath}): {detail}. " +
                $"Make {folder} writable for this user (it must be on a writable disk), or run from a writable copy of {project}.",
            StateFailure.OutOfMemory =>
                $"DuckDB, which holds the project's state and plans, ran out of memory: {detail}. It spills what does not fit " +
                $"to {spillDirectory ?? Path.Combine(folder, "tmp")}: check that this disk has free space, then run again; what was committed is " +
                "not sent again.",
            StateFailure.WrongKind when File.Exists(folder) =>
                $"{folder} is a file, but Sluice keeps the project's state in a folder of that name. " +
                $"Move or delete that file (mv {folder} {folder}.old), then run again.",
            StateFailure.WrongKind when Directory.Exists(statePath) =>
                $"{statePath} is a folder, but it must be the state database file. Move it aside (mv {statePath} {statePath}.old), then run again.",
            _ =>
                $"Cannot use the project's state ({statePath}): {detail}. Check that {folder} is a writable folder on a disk with free space, then run again.",
        };
        return new StateException(message, error);
    }

    /// <summary>The PID DuckDB names as holding a file's lock, when it does.</summary>
    internal static string? HolderPid(string message) => Pid().Match(message) is { Success: true } m ? m.Groups[1].Value : null;

    private static string HeldBy(string message) =>
        Pid().Match(message) is { Success: true } m ? $" (PID {m.Groups[1].Value})" : "";

    private static string FirstLine(string message)
    {
        var line = message.Split('\n', 2)[0].Trim().TrimEnd('.', '!');
        // DuckDB prefixes its messages with the call that failed; the user only needs the reason.
        foreach (var prefix in new[] { "DuckDBOpen failed: ", "TransactionContext Error: ", "IO Error: " })
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                line = line[prefix.Length..];
            }
        }

        return line;
    }
}

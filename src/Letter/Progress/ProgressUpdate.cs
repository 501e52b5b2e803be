namespace Letter.Progress;

/// <summary>Where a task stands.</summary>
public enum ProgressState
{
    Running,
    /// <summary>Done: the total was reached.</summary>
    Finished,
    /// <summary>Ended before its total (stopped early, cancelled, failed).</summary>
    Stopped,
}

/// <summary>
/// One report of a long task, for a host to show (the CLI draws a bar; a service may log or ignore it).
/// <see cref="Start"/> is where a resumed task began, so a host can judge the pace from the work it saw.
/// </summary>
public readonly record struct ProgressUpdate(string Task, long Done, long Total, string? Status = null,
    ProgressState State = ProgressState.Running, long Start = 0);

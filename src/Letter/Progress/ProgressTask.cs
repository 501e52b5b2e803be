namespace Letter.Progress;

/// <summary>
/// One task's reports to a host's <see cref="IProgress{T}"/> (nothing at all when it is null). The
/// library reports every step; hosts decide how often to draw. Disposing a task that was not finished
/// reports it stopped.
/// </summary>
public sealed class ProgressTask : IDisposable
{
    private readonly IProgress<ProgressUpdate>? _sink;
    private readonly string _task;
    private readonly long _total;
    private readonly long _start;
    private long _done;
    private string? _status;
    private bool _ended;

    public ProgressTask(IProgress<ProgressUpdate>? sink, string task, long total, long start = 0)
    {
        _sink = sink;
        _task = task;
        _total = Math.Max(1, total);
        _start = _done = Math.Clamp(start, 0, _total);
        Send(ProgressState.Running);
    }

    public void Report(long done, string? status = null)
    {
        _done = Math.Min(done, _total);
        if (status is not null) _status = status;
        Send(ProgressState.Running);
    }

    public void Advance(long by = 1, string? status = null) => Report(_done + by, status);

    /// <summary>Ends the task as complete.</summary>
    public void Finish(string? status = null)
    {
        _done = _total;
        End(status, ProgressState.Finished);
    }

    /// <summary>Ends the task before its total, with a reason.</summary>
    public void Stop(string status) => End(status, ProgressState.Stopped);

    private void End(string? status, ProgressState state)
    {
        if (_ended) return;
        if (status is not null) _status = status;
        _ended = true;
        Send(state);
    }

    private void Send(ProgressState state) => _sink?.Report(new ProgressUpdate(_task, _done, _total, _status, state, _start));

    public void Dispose() => End(null, ProgressState.Stopped);
}

/// <summary>An <see cref="IProgress{T}"/> that calls back on the reporting thread (unlike <see cref="Progress{T}"/>, which posts).</summary>
public sealed class ProgressCallback<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}

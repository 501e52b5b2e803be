using Letter.Progress;

namespace Letter.Cli.Progress;

/// <summary>The CLI's view of the library's progress reports: one <see cref="ProgressBar"/> per running task on standard error.</summary>
public sealed class ConsoleProgress : IProgress<ProgressUpdate>
{
    private readonly Dictionary<string, ProgressBar> _bars = new();
    private readonly object _gate = new();

    public static ConsoleProgress Instance { get; } = new();

    public void Report(ProgressUpdate update)
    {
        lock (_gate)
        {
            if (!_bars.TryGetValue(update.Task, out var bar))
            {
                if (update.State != ProgressState.Running) return;
                _bars[update.Task] = bar = new ProgressBar(update.Task, update.Total, start: update.Start);
            }
            switch (update.State)
            {
                case ProgressState.Running:
                    bar.Report(update.Done, update.Status);
                    break;
                case ProgressState.Finished:
                    bar.Finish(update.Status);
                    _bars.Remove(update.Task);
                    break;
                default:
                    if (update.Status is null) bar.Dispose();
                    else bar.Stop(update.Status);
                    _bars.Remove(update.Task);
                    break;
            }
        }
    }
}

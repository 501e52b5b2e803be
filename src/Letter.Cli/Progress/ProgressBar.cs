using System.Globalization;

namespace Letter.Cli.Progress;

/// <summary>
/// Progress of long work on standard error: a live bar redrawn in place on a terminal, and plain
/// periodic lines (at most one per <see cref="LogInterval"/>) when standard error is redirected.
/// Callers pass a status string (loss terms and the like); the bar adds rate and ETA.
/// Work resumed part-way (a training epoch continued from a checkpoint) passes its starting
/// position, so that the ETA is taken from the pace of the work this bar has seen.
/// </summary>
public sealed class ProgressBar : IDisposable
{
    public static TimeSpan LogInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Set to false to silence all bars (tests, --quiet).</summary>
    public static bool Enabled { get; set; } = true;

    private readonly string _label;
    private readonly long _total;
    private readonly bool _live;
    private readonly long _start;
    private readonly TimeProvider _time;
    private readonly long _startedAt;
    private readonly TextWriter _out;
    private TimeSpan _lastDraw = TimeSpan.MinValue;
    private long _done;
    private string _status = "";
    private bool _finished;
    private (long Done, string Status)? _lastDrawn;

    public ProgressBar(string label, long total, TextWriter? output = null, bool? live = null, long start = 0, TimeProvider? time = null)
    {
        _label = label;
        _total = Math.Max(1, total);
        _start = _done = Math.Clamp(start, 0, _total);
        _out = output ?? Console.Error;
        _live = live ?? !Console.IsErrorRedirected;
        _time = time ?? TimeProvider.System;
        _startedAt = _time.GetTimestamp();
    }

    public TimeSpan Elapsed => _time.GetElapsedTime(_startedAt);

    public void Report(long done, string? status = null)
    {
        _done = Math.Min(done, _total);
        if (status is not null) _status = status;
        if (!Enabled) return;
        var now = Elapsed;
        var interval = _live ? TimeSpan.FromMilliseconds(100) : LogInterval;
        if (_done < _total && _lastDraw != TimeSpan.MinValue && now - _lastDraw < interval) return;
        _lastDraw = now;
        Draw(now);
    }

    public void Advance(long by = 1, string? status = null) => Report(_done + by, status);

    /// <summary>Ends the bar as complete (total reached).</summary>
    public void Finish(string? status = null) => End(status, complete: true);

    /// <summary>
    /// Ends the bar where it stands, for work that a stopping rule ended before its total (the
    /// last line then says e.g. 180/300, not 300/300).
    /// </summary>
    public void Stop(string status) => End(status, complete: false);

    private void End(string? status, bool complete)
    {
        if (_finished) return;
        _finished = true;
        if (status is not null) _status = status;
        if (complete) _done = _total;
        if (!Enabled) return;
        // A plain log already showing the final state need not repeat it.
        if (_live || _lastDrawn != (_done, _status)) Draw(Elapsed);
        if (_live) _out.WriteLine();
    }

    /// <summary>
    /// Ends the bar where it stands unless Finish or Stop ended it: every caller ends finished work
    /// itself, so a bar still open here was left by an exception (an interrupt) or an early return.
    /// </summary>
    public void Dispose() => End(null, complete: false);

    private void Draw(TimeSpan now)
    {
        _lastDrawn = (_done, _status);
        double frac = (double)_done / _total;
        bool running = _done < _total && !_finished;
        long seen = _done - _start;
        // no ETA until this bar has seen some work: there is no pace to take it from
        var timing = !running ? Format(now)
            : seen > 0 ? $"{Format(now)} elapsed, ETA {Format(TimeSpan.FromSeconds(now.TotalSeconds / seen * (_total - _done)))}"
            : $"{Format(now)} elapsed";
        var inv = CultureInfo.InvariantCulture;
        if (_live)
        {
            const int width = 24;
            int filled = (int)Math.Round(frac * width);
            var bar = new string('#', filled) + new string('-', width - filled);
            var line = string.Format(inv, "\r{0} [{1}] {2,3:0}% {3}/{4} {5} {6}", _label, bar, frac * 100, _done, _total, timing, _status);
            int cols = 160;
            try { if (Console.WindowWidth > 20) cols = Console.WindowWidth; } catch (IOException) { }
            if (line.Length > cols) line = line[..cols];
            _out.Write(line.PadRight(Math.Min(cols, line.Length + 4)));
        }
        else
        {
            _out.WriteLine(string.Format(inv, "{0}: {1}/{2} ({3:0}%) {4} {5}", _label, _done, _total, frac * 100, timing, _status).TrimEnd());
        }
        _out.Flush();
    }

    private static string Format(TimeSpan t) =>
        t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : t.ToString(@"m\:ss", CultureInfo.InvariantCulture);
}

using Letter.Cli.Progress;

namespace Letter.Tests.Progress;

public class ProgressBarTests
{
    [Fact]
    public void Redirected_PrintsPlainLinesWithStatus_NoCarriageReturns()
    {
        var (output, lines) = RedirectedLines("train", 4, bar =>
        {
            bar.Report(1, "loss 0.5");
            bar.Report(2, "loss 0.4");   // within the log interval: not printed
            bar.Finish("loss 0.3");
        });
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("train: 1/4 (25%)", lines[0]);
        Assert.Contains("ETA", lines[0]);
        Assert.EndsWith("loss 0.5", lines[0]);
        Assert.StartsWith("train: 4/4 (100%)", lines[1]);
        Assert.DoesNotContain('\r', output);
    }

    [Fact]
    public void Live_RedrawsInPlace()
    {
        var output = new StringWriter();
        var bar = new ProgressBar("embed", 10, output, live: true);
        bar.Report(5, "120 items/s");
        bar.Finish();
        var text = output.ToString();
        Assert.StartsWith("\rembed [", text);
        Assert.Contains("50%", text);
        Assert.Contains("100%", text);
        Assert.EndsWith(Environment.NewLine, text);
    }

    [Fact]
    public void Stop_EndsWhereTheWorkStopped_WithoutAnEta()
    {
        var (_, lines) = RedirectedLines("tokenize", 300, bar =>
        {
            bar.Report(1, "loss 0.5");
            bar.Report(180, "loss 0.1");   // within the log interval: not printed
            bar.Stop("stopped: plateau");
        });
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("tokenize: 180/300 (60%)", lines[1]);
        Assert.DoesNotContain("ETA", lines[1]);
        Assert.EndsWith("stopped: plateau", lines[1]);
    }

    [Fact]
    public void Dispose_without_finish_ends_where_the_work_was_interrupted()
    {
        var (_, lines) = RedirectedLines("epoch 16", 527, bar =>
        {
            bar.Report(1, "loss 1.3");
            bar.Report(356, "loss 1.25");   // within the log interval: not printed
            // an interrupt unwinds here: no Finish, no Stop
        });
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("epoch 16: 356/527 (68%)", lines[1]);
        Assert.DoesNotContain("ETA", lines[1]);
        Assert.EndsWith("loss 1.25", lines[1]);
    }

    [Fact]
    public void Resumed_bar_takes_its_eta_from_the_work_it_has_seen()
    {
        // an epoch resumed at step 205 of 527: 17 steps in the first 10 s leave 305 steps, about 179 s
        var time = new ManualTime();
        var output = new StringWriter();
        using (var bar = new ProgressBar("epoch 5", 527, output, live: false, start: 205, time: time))
        {
            bar.Report(205);
            time.Advance(TimeSpan.FromSeconds(10));
            bar.Report(222, "loss 2.11");
        }
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("epoch 5: 205/527 (39%) 0:00 elapsed", lines[0]);   // no pace yet, so no ETA
        Assert.Equal("epoch 5: 222/527 (42%) 0:10 elapsed, ETA 2:59 loss 2.11", lines[1]);
    }

    /// <summary>A clock that moves only when told to.</summary>
    private sealed class ManualTime : TimeProvider
    {
        private long _ticks;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => _ticks;
        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }

    /// <summary>What a bar writes when standard error is redirected, whole and as lines.</summary>
    private static (string Output, string[] Lines) RedirectedLines(string label, long total, Action<ProgressBar> use)
    {
        var output = new StringWriter();
        using (var bar = new ProgressBar(label, total, output, live: false)) use(bar);
        return (output.ToString(), output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}

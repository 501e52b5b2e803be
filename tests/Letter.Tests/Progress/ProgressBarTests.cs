using Letter.Progress;

namespace Letter.Tests.Progress;

public class ProgressBarTests
{
    [Fact]
    public void Redirected_PrintsPlainLinesWithStatus_NoCarriageReturns()
    {
        var output = new StringWriter();
        using (var bar = new ProgressBar("train", 4, output, live: false))
        {
            bar.Report(1, "loss 0.5");
            bar.Report(2, "loss 0.4");   // within the log interval: not printed
            bar.Finish("loss 0.3");
        }
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("train: 1/4 (25%)", lines[0]);
        Assert.Contains("ETA", lines[0]);
        Assert.EndsWith("loss 0.5", lines[0]);
        Assert.StartsWith("train: 4/4 (100%)", lines[1]);
        Assert.DoesNotContain('\r', output.ToString());
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
        var output = new StringWriter();
        using (var bar = new ProgressBar("tokenize", 300, output, live: false))
        {
            bar.Report(1, "loss 0.5");
            bar.Report(180, "loss 0.1");   // within the log interval: not printed
            bar.Stop("stopped: plateau");
        }
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("tokenize: 180/300 (60%)", lines[1]);
        Assert.DoesNotContain("ETA", lines[1]);
        Assert.EndsWith("stopped: plateau", lines[1]);
    }
}

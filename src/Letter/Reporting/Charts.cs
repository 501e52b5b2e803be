using ScottPlot;

namespace Letter.Reporting;

/// <summary>One named line of a chart: y values at the given x positions.</summary>
public sealed record Series(string Name, double[] X, double[] Y);

/// <summary>PNG charts for the run reports (ScottPlot renders headless through SkiaSharp).</summary>
public static class Charts
{
    public const int Width = 720;
    public const int Height = 360;

    /// <summary>A line chart of one or more series sharing the x axis.</summary>
    public static byte[] Lines(string title, string xLabel, string yLabel, IEnumerable<Series> series, bool logY = false)
    {
        var plot = new Plot();
        foreach (var s in series)
        {
            if (s.X.Length == 0) continue;
            var y = logY ? s.Y.Select(v => Math.Log10(Math.Max(v, 1e-12))).ToArray() : s.Y;
            var line = plot.Add.Scatter(s.X, y);
            line.LegendText = s.Name;
            line.MarkerSize = s.X.Length > 60 ? 0 : 4;
        }
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(logY ? $"log10 {yLabel}" : yLabel);
        plot.ShowLegend(Alignment.UpperRight);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    /// <summary>
    /// How many items each code holds at one level, codes sorted from most to least used, so an even
    /// spread shows as a flat profile and collapse as a steep one.
    /// </summary>
    public static byte[] CodeUsage(string title, int[] itemsPerCode)
    {
        var sorted = itemsPerCode.OrderDescending().Select(c => (double)c).ToArray();
        var plot = new Plot();
        var bars = plot.Add.Bars(sorted);
        foreach (var b in bars.Bars)
        {
            b.Size = 1;
            b.LineWidth = 0;
        }
        int used = itemsPerCode.Count(c => c > 0);
        plot.Title($"{title}: {used} of {itemsPerCode.Length} codes used");
        plot.XLabel("code rank (most used first)");
        plot.YLabel("items");
        plot.Axes.Margins(bottom: 0);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }
}

using System.Globalization;
using Letter.Pipeline;

namespace Letter.Cli.Commands;

/// <summary>The end-of-run table: one row per model, test Recall@10 and NDCG@10, and where the report is.</summary>
public static class SummaryTable
{
    public static void Write(TextWriter o, RunSummary summary)
    {
        var inv = CultureInfo.InvariantCulture;
        o.WriteLine();
        o.WriteLine($"{"model",-24} {"R@10",8} {"N@10",8} {"R@5",8} {"N@5",8} {"users",7}");
        foreach (var r in summary.Results)
        {
            string M(string k) => r.Metrics.TryGetValue(k, out var v) ? v.ToString("0.0000", inv) : "-";
            o.WriteLine($"{r.Model,-24} {M("recall@10"),8} {M("ndcg@10"),8} {M("recall@5"),8} {M("ndcg@5"),8} {r.Users,7}");
        }
        o.WriteLine();
        o.WriteLine($"report: {summary.ReportHtml}");
        o.WriteLine($"        {summary.ReportMarkdown}");
        o.WriteLine(string.Create(inv, $"time:   {summary.Elapsed.TotalMinutes:0.0} min"));
    }
}

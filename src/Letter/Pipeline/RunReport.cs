using System.Globalization;
using System.Text.Json;
using Letter.Data;
using Letter.IO;
using Letter.Models.Tiger;
using Letter.Tokenization;
using static Letter.Reporting.ReportDocument;

using Letter.Reporting;

namespace Letter.Pipeline;

/// <summary>
/// The report of a pipeline run, built from the files its stages wrote: config, dataset statistics,
/// tokenizer metrics with per-level code usage charts, training curves, final metrics and, for the
/// paper's datasets, the published numbers beside them.
/// </summary>
public static class RunReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly string[] MetricKeys = ["recall@1", "recall@5", "recall@10", "ndcg@5", "ndcg@10"];

    public static ReportDocument Build(string runDirectory, LetterDataset data, RunConfig config, IReadOnlyList<ModelResult> results)
    {
        var doc = new ReportDocument($"Letter run: {data.Name}");
        doc.Add(new Paragraph($"Run folder {runDirectory}, written {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC."));

        doc.Add(new Heading("Final metrics (test split, full ranking, leave-one-out)"));
        doc.Add(new Table(["model", .. MetricKeys, "users"],
            results.Select(r => (string[])[r.Model, .. MetricKeys.Select(k => Format(r.Metrics, k)), r.Users.ToString("N0", Inv)]).ToList()));
        if (PaperResults.For(data.Name) is { } paper)
        {
            doc.Add(new Paragraph("Published results on this dataset (LETTER paper, CIKM 2024; beam 20, history 20):"));
            doc.Add(new Table(["method", "recall@10", "ndcg@10"],
                paper.Select(p => new[] { p.Method, p.Recall10?.ToString("0.0000", Inv) ?? "-", p.Ndcg10?.ToString("0.0000", Inv) ?? "-" }).ToList()));
        }

        foreach (var r in results) AddUsers(doc, Path.Combine(runDirectory, r.Stage), r.Model, data);
        AddDataset(doc, data, config);
        foreach (var stage in new[] { "tokenizer", "tokenizer-rqvae" })
            AddTokenizer(doc, Path.Combine(runDirectory, stage), data.Name, stage);
        foreach (var stage in new[] { "tiger", "tiger-rqvae" })
            AddTiger(doc, Path.Combine(runDirectory, stage), stage);

        doc.Add(new Heading("Config"));
        doc.Add(new Code(ConfigJson.Serialize(config)));
        return doc;
    }

    /// <summary>Users to show per model: the first hits and the first misses of its ranks file.</summary>
    private const int SampleUsers = 5;

    /// <summary>
    /// A few test users of a model, by the dataset's own ids (the ranks file's, or the run's id maps for
    /// files written before they were recorded): the first it ranks the target in its top 10 and the first it misses.
    /// </summary>
    private static void AddUsers(ReportDocument doc, string modelDirectory, string model, LetterDataset data)
    {
        var folder = new Runs.RunFolder(modelDirectory);
        var ranksFile = Evaluation.UserRanksFile.For(folder.MetricsFile);
        if (!folder.Exists || !File.Exists(ranksFile)) return;
        var ranks = Evaluation.UserRanksFile.Read(ranksFile);
        var ids = Runs.RunIds.Read(folder, data.Folder.Directory, data.ItemCount);
        var shown = ranks.Where(r => r.IdentifierRank is >= 0 and < 10).Take(SampleUsers)
            .Concat(ranks.Where(r => r.IdentifierRank is < 0 or >= 10).Take(SampleUsers)).ToList();
        if (shown.Count == 0) return;
        doc.Add(new Heading($"Test users of {model} (a sample)"));
        doc.Add(new Paragraph($"The first {SampleUsers} users whose target {model} ranks in its top 10 and the first {SampleUsers} it misses, " +
            $"by the dataset's own ids; every user's ranks are in {Path.GetRelativePath(Path.GetDirectoryName(modelDirectory)!, ranksFile)}."));
        doc.Add(new Table(["user", "target item", "title", "rank"], shown.Select(r => new[]
        {
            r.DatasetUserId ?? ids.UserId(r.UserId), r.DatasetTargetId ?? ids.ItemId(r.Target),
            r.Target < data.ItemCount ? data.Title(r.Target) : "", r.IdentifierRank < 0 ? "-" : (r.IdentifierRank + 1).ToString(Inv),
        }).ToList()));
    }

    private static string Format(IReadOnlyDictionary<string, double> m, string key) =>
        m.TryGetValue(key, out var v) ? v.ToString("0.0000", Inv) : "-";

    private static void AddDataset(ReportDocument doc, LetterDataset data, RunConfig config)
    {
        var s = DatasetStatistics.Compute(data, new SplitOptions(config.Tiger.MaxHistory));
        doc.Add(new Heading("Dataset"));
        doc.Add(new Table(["statistic", "value"],
        [
            ["users", s.Users.ToString("N0", Inv)],
            ["items", s.Items.ToString("N0", Inv)],
            ["interactions", s.Interactions.ToString("N0", Inv)],
            ["density", s.Density.ToString("0.00000", Inv)],
            ["sequence length (min / median / mean / max)", string.Format(Inv, "{0} / {1} / {2:0.0} / {3}", s.SequenceLength.Min, s.SequenceLength.Median, s.SequenceLength.Mean, s.SequenceLength.Max)],
            ["samples (train / valid / test)", string.Format(Inv, "{0:N0} / {1:N0} / {2:N0}", s.TrainSamples, s.ValidSamples, s.TestSamples)],
        ]));
    }

    private static void AddTokenizer(ReportDocument doc, string dir, string name, string stage)
    {
        var reportFile = Path.Combine(dir, TokenizerPipeline.ReportJson);
        var indexFile = Path.Combine(dir, $"{name}.index.json");
        if (!File.Exists(reportFile) || !File.Exists(indexFile)) return;
        var r = LetterJson.Deserialize<TokenizerReport>(File.ReadAllText(reportFile))!;
        doc.Add(new Heading($"Tokenizer ({stage}: alpha {r.Alpha.ToString(Inv)}, beta {r.Beta.ToString(Inv)})"));
        doc.Add(new Paragraph(string.Format(Inv,
            "{0} epochs ({1}); median epoch {2:0.000} s; reconstruction MSE {3:0.000000}; collision rate {4:0.0000} nearest, {5:0.0000} after Sinkhorn, {6:0.0000} final ({7} items moved to make identifiers unique).",
            r.EpochsRun, r.StopReason, r.MedianEpochSeconds, r.ReconstructionMse, r.Nearest.CollisionRate, r.AfterSinkhorn.CollisionRate,
            r.Final.CollisionRate, r.ResolutionItemsChanged)));
        if (r.CfAlignment is { } a)
            doc.Add(new Paragraph(string.Format(Inv,
                "Collaborative alignment: {0:0.0000} of items share their first-level code with their nearest CF neighbour (chance {1:0.0000}); mean cosine(z_q, CF) {2}.",
                a.NeighbourFirstCodeShare, a.ChanceShare, a.MeanCosine?.ToString("0.0000", Inv) ?? "n/a")));
        doc.Add(new Table(["level", "codes used", "entropy (bits)", "max entropy", "largest code group", "distinct prefixes"],
            r.Statistics.PerLevel.Select(l => new[]
            {
                (l.Level + 1).ToString(Inv), $"{l.CodesUsed} / {l.CodebookSize}", l.EntropyBits.ToString("0.000", Inv),
                l.MaxEntropyBits.ToString("0.00", Inv), l.LargestGroup.ToString("N0", Inv), r.Statistics.DistinctPrefixes[l.Level].ToString("N0", Inv),
            }).ToList()));

        var index = ItemIndexReader.Read(indexFile);
        for (int level = 0; level < index.Levels; level++)
        {
            var counts = new int[r.Statistics.PerLevel[level].CodebookSize];
            foreach (var c in index.Codes) counts[c[level]]++;
            doc.Add(new Image($"{stage}-codes-level{level + 1}.png", $"{stage}: items per code at level {level + 1}",
                Charts.CodeUsage($"{stage} level {level + 1}", counts)));
        }

        var curveFile = Path.Combine(dir, TokenizerPipeline.CurveJson);
        if (File.Exists(curveFile))
        {
            var curve = LetterJson.Deserialize<List<Tokenization.EpochRecord>>(File.ReadAllText(curveFile))!;
            double[] x = curve.Select(e => (double)e.Epoch).ToArray();
            doc.Add(new Image($"{stage}-loss.png", $"{stage}: training loss terms by epoch (log scale)", Charts.Lines(
                $"{stage} training", "epoch", "loss",
                [
                    new Series("total", x, curve.Select(e => e.Loss).ToArray()),
                    new Series("reconstruction", x, curve.Select(e => e.Reconstruction).ToArray()),
                    new Series("quantization", x, curve.Select(e => e.Quantization).ToArray()),
                    new Series("collaborative", x, curve.Select(e => e.Collaborative).ToArray()),
                ], logY: true)));
            var measured = curve.Where(e => e.CollisionRate is not null).ToList();
            if (measured.Count > 1)
                doc.Add(new Image($"{stage}-collisions.png", $"{stage}: collision rate of nearest codes by epoch", Charts.Lines(
                    $"{stage} collisions", "epoch", "collision rate",
                    [new Series("nearest codes", measured.Select(e => (double)e.Epoch).ToArray(), measured.Select(e => e.CollisionRate!.Value).ToArray())])));
        }
    }

    private static void AddTiger(ReportDocument doc, string dir, string stage)
    {
        var run = new TigerRunFolder(dir);
        if (!File.Exists(run.CurveFile)) return;
        var curve = LetterJson.Deserialize<List<Training.EpochRecord>>(File.ReadAllText(run.CurveFile))!;
        if (curve.Count == 0) return;
        doc.Add(new Heading($"Recommender training ({stage})"));
        double[] x = curve.Select(e => (double)e.Epoch).ToArray();
        doc.Add(new Image($"{stage}-loss.png", $"{stage}: training loss by epoch", Charts.Lines(
            $"{stage} training loss", "epoch", "loss", [new Series("train loss", x, curve.Select(e => e.TrainLoss).ToArray())])));
        doc.Add(new Image($"{stage}-valid.png", $"{stage}: validation Recall@10 and NDCG@10 by epoch", Charts.Lines(
            $"{stage} validation", "epoch", "metric",
            [
                new Series("recall@10", x, curve.Select(e => e.ValidRecall10).ToArray()),
                new Series("ndcg@10", x, curve.Select(e => e.ValidNdcg10).ToArray()),
            ])));
        doc.Add(new Table(["epoch", "train loss", "valid recall@10", "valid ndcg@10", "seconds"],
            curve.Select(e => new[]
            {
                e.Epoch.ToString(Inv), e.TrainLoss.ToString("0.0000", Inv), e.ValidRecall10.ToString("0.0000", Inv),
                e.ValidNdcg10.ToString("0.0000", Inv), e.Seconds.ToString("0.0", Inv),
            }).ToList()));
    }
}

using Letter.Data;
using Letter.Decoding;
using Letter.Evaluation;
using Letter.IO;
using Letter.Progress;
using static TorchSharp.torch;

namespace Letter.Recommender.Llm;

/// <summary>Evaluates an LC-Rec run folder's checkpoint and writes its metrics and per-user ranks beside it, as for TIGER runs.</summary>
public static class LcRecRunEvaluation
{
    public static RecommenderEvaluation Evaluate(string runDirectory, RunEvaluationOptions? options = null, IProgress<ProgressUpdate>? progress = null,
        CancellationToken cancel = default)
    {
        options ??= new RunEvaluationOptions();
        var run = new LcRecRunFolder(runDirectory);
        var info = run.ReadInfo();
        var dataset = LetterDataset.Load(info.DatasetDirectory, loadIndex: false);
        var users = info.TrainingUsers(dataset);
        var data = LeaveOneOutSplit.Build(users, new SplitOptions(info.Config.MaxHistory));
        using var recommender = LcRecRecommender.Load(runDirectory, options.Checkpoint);
        if (options.Beam is int beam) recommender.Beam = beam;
        var generator = recommender.LcRec();
        if (options.Bf16) generator.UseBf16();
        if (options.DecodeTemperature is double t) recommender.DecodeTemperature = t;
        var all = data.Of(options.Split);
        var chosen = RecommenderEvaluator.SampleUsers(all, options.MaxUsers, info.Config.Seed);
        var result = RecommenderEvaluator.Evaluate(recommender, chosen, options.Split, null, info.Config.Seed,
            options.BatchUsers ?? info.Config.EvalBatchUsers, progress, cancel, u => users[u].UserId);
        // the same file names as TIGER runs (metrics.json, metrics-1000users.json, ...), so compare pairs them alike
        var file = options.MetricsFile ?? new TigerRunFolder(runDirectory).MetricsFileFor(options.Split, options.Checkpoint,
            chosen.Count < all.Count ? chosen.Count : null, recommender.Beam != info.Config.Beam ? recommender.Beam : null, options.Bf16, recommender.DecodeTemperature);
        var sequences = chosen.Select(s => LcRecTrainer.Encode(generator.Model, s)).ToList();
        double loss = LcRecTrainer.ValidationLoss(generator.Model.Model, sequences, info.Config);
        result = result with
        {
            Baselines = HistoryBaselines.Evaluate(chosen, recommender.Catalog.Popularity), MetricsFile = file, RanksFile = UserRanksFile.For(file),
            Loss = loss, LossTemperature = info.Config.Temperature,
        };
        UserRanksFile.Write(result.RanksFile, result.PerUser);
        AtomicFile.WriteAllText(file, RecommenderEvaluator.ToJson(result, options.Checkpoint.Name()));
        return result;
    }
}

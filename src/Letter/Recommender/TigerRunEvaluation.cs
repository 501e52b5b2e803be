using Letter.Common;
using Letter.Data;
using Letter.Decoding;
using Letter.Evaluation;
using Letter.IO;
using Letter.Progress;

namespace Letter.Recommender;

/// <summary>How to evaluate a TIGER run folder; null settings take the run's own.</summary>
/// <param name="MaxUsers">a fixed seeded sample of this many users, or null for all</param>
/// <param name="MetricsFile">where the metrics go (default: the name <see cref="TigerRunFolder.MetricsFileFor"/> gives these settings)</param>
public sealed record RunEvaluationOptions(
    DataSplit Split = DataSplit.Test,
    int? MaxUsers = null,
    int? Beam = null,
    CheckpointChoice Checkpoint = CheckpointChoice.Best,
    bool Bf16 = false,
    int? BatchUsers = null,
    string? MetricsFile = null,
    double? DecodeTemperature = null);

/// <summary>Evaluates a TIGER run folder's checkpoint and writes its metrics and per-user ranks beside it.</summary>
public static class TigerRunEvaluation
{
    public static RecommenderEvaluation Evaluate(string runDirectory, RunEvaluationOptions? options = null, IProgress<ProgressUpdate>? progress = null,
        CancellationToken cancel = default)
    {
        options ??= new RunEvaluationOptions();
        var run = new TigerRunFolder(runDirectory);
        var info = run.ReadInfo();
        var dataset = LetterDataset.Load(info.DatasetDirectory, loadIndex: false);
        var users = info.TrainingUsers(dataset);
        var data = LeaveOneOutSplit.Build(users, new SplitOptions(info.Config.MaxHistory));
        using var recommender = TigerRecommender.Load(runDirectory, options.Checkpoint);
        if (options.Beam is int beam) recommender.Beam = beam;
        var tiger = recommender.Tiger();
        if (options.Bf16) tiger.UseBf16();
        if (options.DecodeTemperature is double t) recommender.DecodeTemperature = t;
        var all = data.Of(options.Split);
        var chosen = RecommenderEvaluator.SampleUsers(all, options.MaxUsers, info.Config.Seed);
        var result = RecommenderEvaluator.Evaluate(recommender, chosen, options.Split, null, info.Config.Seed,
            options.BatchUsers ?? info.Config.EvalBatchUsers, progress, cancel, u => users[u].UserId);
        var file = options.MetricsFile ?? run.MetricsFileFor(options.Split, options.Checkpoint, chosen.Count < all.Count ? chosen.Count : null,
            recommender.Beam != info.Config.Beam ? recommender.Beam : null, options.Bf16, recommender.DecodeTemperature);
        var (inputs, targets) = tiger.Vocabulary.EncodeSamples(tiger.Index, chosen);
        double loss = TeacherForcedLoss.Compute(tiger.Model, inputs, targets, info.Config.Temperature, info.Config.BatchSize);
        result = result with
        {
            // the popularity the recommender ranks shared identifiers by (the run's training users)
            Baselines = HistoryBaselines.Evaluate(chosen, recommender.Catalog.Popularity), MetricsFile = file, RanksFile = UserRanksFile.For(file),
            Loss = loss, LossTemperature = info.Config.Temperature,
        };
        UserRanksFile.Write(result.RanksFile, result.PerUser);
        AtomicFile.WriteAllText(file, RecommenderEvaluator.ToJson(result, options.Checkpoint.Name()));
        return result;
    }
}

using Letter.Data;
using Letter.Generation;
using Letter.Evaluation;
using Letter.IO;
using Letter.Progress;

namespace Letter.Runs;

/// <summary>
/// The part of a run folder's evaluation that every recommender shares: the split's users (a seeded
/// sample if asked), the evaluation through the seam, the model-free baselines, and the metrics and
/// per-user ranks files, named alike for every kind so that compare pairs any two runs.
/// </summary>
internal static class RunEvaluationFiles
{
    /// <param name="users">the users the run trained on</param>
    /// <param name="runBeam">the run's own beam (a different one is named in the metrics file)</param>
    /// <param name="teacherForcedLoss">the recommender's loss of the chosen samples' targets</param>
    /// <param name="ids">the run's id maps: the ranks file names each user and target by the dataset's own ids too</param>
    public static RecommenderEvaluation EvaluateAndWrite(RunFolder run, GenerativeRecommender recommender, IReadOnlyList<UserSequence> users,
        int maxHistory, int seed, int batchUsers, int runBeam, double lossTemperature, RunEvaluationOptions options,
        Func<IReadOnlyList<Sample>, double> teacherForcedLoss, RunIds ids, IProgress<ProgressUpdate>? progress, CancellationToken cancel)
    {
        var all = LeaveOneOutSplit.Build(users, new SplitOptions(maxHistory)).Of(options.Split);
        var chosen = RecommenderEvaluator.SampleUsers(all, options.MaxUsers, seed);
        using var lanes = options.Lanes > 1 ? new Generation.DecoderLanes(options.Lanes, options.LaneThreads, "letter-eval") : null;
        var result = RecommenderEvaluator.Evaluate(recommender, chosen, options.Split, null, seed,
            options.BatchUsers ?? batchUsers, progress, cancel, u => users[u].UserId, lanes);
        var file = options.MetricsFile ?? run.MetricsFileFor(options.Split, options.Checkpoint,
            chosen.Count < all.Count ? chosen.Count : null, recommender.Beam != runBeam ? recommender.Beam : null, options.Bf16, recommender.DecodeTemperature);
        result = result with
        {
            // the popularity the recommender ranks shared identifiers by (the run's training users)
            Baselines = HistoryBaselines.Evaluate(chosen, recommender.Catalog.Popularity), MetricsFile = file, RanksFile = UserRanksFile.For(file),
            Loss = teacherForcedLoss(chosen), LossTemperature = lossTemperature,
            PerUser = result.PerUser.Select(r => r with { DatasetUserId = ids.UserId(r.UserId), DatasetTargetId = ids.ItemId(r.Target) }).ToList(),
        };
        UserRanksFile.Write(result.RanksFile, result.PerUser);
        AtomicFile.WriteAllText(file, RecommenderEvaluator.ToJson(result, options.Checkpoint.Name()));
        return result;
    }
}

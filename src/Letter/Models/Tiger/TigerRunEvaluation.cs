using Letter.Common;
using Letter.Data;
using Letter.Generation;
using Letter.Evaluation;
using Letter.IO;
using Letter.Progress;

namespace Letter.Models.Tiger;

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
        using var recommender = TigerRecommender.Load(runDirectory, options.Checkpoint);
        if (options.Beam is int beam) recommender.Beam = beam;
        var tiger = recommender.Tiger();
        if (options.Bf16) tiger.UseBf16();
        if (options.DecodeTemperature is double t) recommender.DecodeTemperature = t;
        return RunEvaluationFiles.EvaluateAndWrite(runDirectory, recommender, users, info.Config.MaxHistory, info.Config.Seed, info.Config.EvalBatchUsers,
            info.Config.Beam, info.Config.Temperature, options,
            chosen =>
            {
                var (inputs, targets) = tiger.Vocabulary.EncodeSamples(tiger.Index, chosen);
                return TeacherForcedLoss.Compute(tiger.Model, inputs, targets, info.Config.Temperature, info.Config.BatchSize);
            },
            progress, cancel);
    }
}

using Letter.Data;
using Letter.Generation;
using Letter.Evaluation;
using Letter.IO;
using Letter.Models.Tiger;
using Letter.Progress;
using static TorchSharp.torch;

namespace Letter.Models.LcRec;

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
        using var recommender = LcRecRecommender.Load(runDirectory, options.Checkpoint);
        if (options.Beam is int beam) recommender.Beam = beam;
        var generator = recommender.LcRec();
        if (options.Bf16) generator.UseBf16();
        if (options.DecodeTemperature is double t) recommender.DecodeTemperature = t;
        return RunEvaluationFiles.EvaluateAndWrite(runDirectory, recommender, users, info.Config.MaxHistory, info.Config.Seed, info.Config.EvalBatchUsers,
            info.Config.Beam, info.Config.Temperature, options,
            chosen => LcRecTrainer.ValidationLoss(generator.Model.Model, chosen.Select(s => LcRecTrainer.Encode(generator.Model, s)).ToList(), info.Config),
            progress, cancel);
    }
}

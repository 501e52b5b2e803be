using Letter.Data;
using Letter.Evaluation;
using Letter.Progress;
using Letter.Runs;

namespace Letter.Kinds;

/// <summary>Evaluates a run folder's checkpoint, whatever its kind, and writes its metrics and per-user ranks beside it.</summary>
public static class RunEvaluation
{
    public static RecommenderEvaluation Evaluate(string runDirectory, RunEvaluationOptions? options = null, IProgress<ProgressUpdate>? progress = null,
        CancellationToken cancel = default, KindRegistry? kinds = null)
    {
        options ??= new RunEvaluationOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Lanes, 1, nameof(options.Lanes));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.LaneThreads, 1, nameof(options.LaneThreads));
        var (folder, record, kind) = OpenedRun.Inspect(runDirectory, kinds);
        var config = kind.ReadConfig(folder);
        var dataset = LetterDataset.Load(record.DatasetDirectory, loadIndex: false);
        var users = kind.TrainingUsers(dataset, record, config);
        using var run = OpenedRun.Open(folder.Directory, options.Checkpoint, kinds, options.Device);
        var recommender = run.Recommender;
        if (options.Beam is int beam) recommender.Beam = beam;
        if (options.Bf16) run.Model.UseBf16();
        if (options.DecodeTemperature is double t) recommender.DecodeTemperature = t;
        return RunEvaluationFiles.EvaluateAndWrite(folder, recommender, users, config.MaxHistory, config.Seed, config.EvalBatchUsers,
            config.Beam, config.Temperature, options, run.Model.TeacherForcedLoss, RunIds.Read(folder, dataset.Folder.Directory, record.ItemCount), progress, cancel);
    }
}

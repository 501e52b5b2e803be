using Letter.Data;
using Letter.Generation;
using Letter.Evaluation;
using Letter.Progress;
using Letter.Runs;

namespace Letter.Training;

/// <summary>
/// The end-of-training choice between the epoch that did best on the validation sample and the last
/// epoch, made on every validation user. Why: on a 2,000-user sample NDCG@10 has a standard error of
/// about 0.006, more than late epochs of a cosine schedule differ by; on Instruments the sample chose
/// epoch 11 of 18 while all 24,772 validation users (and the test) preferred epoch 18.
/// </summary>
/// <param name="Users">validation users both were evaluated on</param>
/// <param name="BestEpochNdcg10">NDCG@10 on all of them of the sample's best epoch</param>
/// <param name="LastEpochNdcg10">the same for the last epoch</param>
public sealed record FinalSelection(int Users, int SampleBestEpoch, double BestEpochNdcg10, int LastEpoch, double LastEpochNdcg10)
{
    /// <summary>A tie goes to the last epoch: it has seen more training (and a selection interrupted after it rewrote best.ckpt repeats itself consistently).</summary>
    public int ChosenEpoch => LastEpochNdcg10 >= BestEpochNdcg10 ? LastEpoch : SampleBestEpoch;

    /// <summary>NDCG@10 on all validation users of <see cref="ChosenEpoch"/>.</summary>
    public double ChosenNdcg10 => Math.Max(LastEpochNdcg10, BestEpochNdcg10);

    /// <summary>
    /// Needed when the run is finished, selected by NDCG@10 on a sample, and its best epoch is not its
    /// last. A loss-selected run keeps its choice: the loss averages every target token, so its epoch
    /// differences are far less noisy on a sample than NDCG@10's.
    /// </summary>
    public static bool IsNeeded(TrainerState state, TrainingSchedule config, int sampledUsers, int allUsers) =>
        config.SelectBy == SelectionMetric.Ndcg && state.Finished && state.Selection is null && sampledUsers < allUsers && state.Curve.Count > 0
        && state.BestEpoch > 0 && state.BestEpoch != state.Curve[^1].Epoch;

    /// <summary>
    /// Evaluates the best checkpoint and <paramref name="last"/> (the model at the end of training)
    /// on <paramref name="validation"/>; when the last wins it becomes the best checkpoint. Returns the state
    /// with the selection recorded (the caller writes it to the last checkpoint).
    /// </summary>
    internal static TrainerState Make(TrainingSession session, GenerativeRecommender last, TrainerState state, TrainingSchedule config,
        IReadOnlyList<Sample> validation, IProgress<ProgressUpdate>? progress, Action<string>? log, CancellationToken cancel)
    {
        int lastEpoch = state.Curve[^1].Epoch;
        log?.Invoke($"choosing between epoch {state.BestEpoch} (best on the validation sample) and the last, epoch {lastEpoch}, on all {validation.Count:N0} validation users");
        double Ndcg10(GenerativeRecommender r) =>
            RecommenderEvaluator.Evaluate(r, validation, DataSplit.Valid, null, config.Seed, config.EvalBatchUsers, progress, cancel).IdentifierMatch["ndcg@10"];

        double lastNdcg = Ndcg10(last);
        double bestNdcg;
        using (var best = session.LoadBest()) bestNdcg = Ndcg10(best);
        var selection = new FinalSelection(validation.Count, state.BestEpoch, bestNdcg, lastEpoch, lastNdcg);
        state = state with { Selection = selection };
        if (selection.ChosenEpoch == lastEpoch)
        {
            state = state with { BestEpoch = lastEpoch, BestNdcg10 = state.Curve[^1].ValidNdcg10, BestValidLoss = state.Curve[^1].ValidLoss };
            session.Save(CheckpointChoice.Best, state, withOptimizer: false);
        }
        log?.Invoke($"all validation users: epoch {selection.SampleBestEpoch} N@10 {bestNdcg:F4}, epoch {lastEpoch} N@10 {lastNdcg:F4}; best is now epoch {selection.ChosenEpoch}");
        return state;
    }
}

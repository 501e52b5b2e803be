using Letter.Data;
using Letter.Evaluation;
using Letter.Kinds;
using Letter.Models.Tiger;
using Letter.Runs;
using Letter.Training;

namespace Letter.Tests.Models.Tiger;

public class FinalSelectionTests
{
    // 4 sampled validation users of 80: the sample's best epoch is not the last one
    private static TigerConfig SampledConfig() =>
        TinyTiger.Config() with { Epochs = 8, LearningRate = 3e-3, Patience = 8, MaxHistory = 3, ValidationUsers = 4, WarmupFraction = 0.05 };

    [Fact]
    public void A_run_validated_on_a_sample_keeps_whichever_of_its_sample_best_and_last_epochs_does_better_on_all_validation_users()
    {
        using var tmp = new TempDir();
        var data = LetterDataset.Load(TinyTiger.WriteRuleDataset(tmp.File("data").Also(Directory.CreateDirectory), users: 80, items: 12, length: 8));
        var run = tmp.File("run");
        var state = TigerTrainer.Train(data, data.Index!, SampledConfig(), run).State;

        var f = state.Selection;
        Assert.NotNull(f);
        Assert.True(f!.SampleBestEpoch != f.LastEpoch, "the test needs a run whose sample-best epoch is not its last");
        Assert.Equal(80, f.Users);
        Assert.Equal(8, f.LastEpoch);
        Assert.Equal(f.ChosenEpoch, state.BestEpoch);
        Assert.Equal(f.LastEpochNdcg10 >= f.BestEpochNdcg10 ? f.LastEpoch : f.SampleBestEpoch, f.ChosenEpoch);
        // checked independently: the kept checkpoints evaluated on all validation users
        double best = RunEvaluation.Evaluate(run, new RunEvaluationOptions(DataSplit.Valid, Checkpoint: CheckpointChoice.Best)).IdentifierMatch["ndcg@10"];
        double last = RunEvaluation.Evaluate(run, new RunEvaluationOptions(DataSplit.Valid, Checkpoint: CheckpointChoice.Last)).IdentifierMatch["ndcg@10"];
        Assert.Equal(f.LastEpochNdcg10, last, 6);
        Assert.Equal(Math.Max(f.BestEpochNdcg10, f.LastEpochNdcg10), best, 6);
        Assert.Equal(best, f.ChosenNdcg10, 6);
        // the state on disk says the same
        Assert.Equal(f, TigerCheckpoint.Load(new TigerRunFolder(run).LastCheckpoint, new TigerModel(SampledConfig(), TigerVocabulary.For(data.Index!).Size)).Selection);
    }

    [Fact]
    public void A_run_validated_on_every_user_needs_no_final_selection()
    {
        var finished = new TrainerState { Finished = true, BestEpoch = 2, Curve = [new EpochRecord(1, 1, 0, 0, 1, 0, 1), new EpochRecord(2, 1, 0, 0.1, 1, 0, 1), new EpochRecord(3, 1, 0, 0, 1, 0, 1)] };
        Assert.True(FinalSelection.IsNeeded(finished, new TigerConfig(), 4, 80));
        Assert.False(FinalSelection.IsNeeded(finished, new TigerConfig(), 80, 80));
        Assert.False(FinalSelection.IsNeeded(finished with { BestEpoch = 3 }, new TigerConfig(), 4, 80));
        Assert.False(FinalSelection.IsNeeded(finished with { Finished = false }, new TigerConfig(), 4, 80));
        Assert.False(FinalSelection.IsNeeded(finished with { Selection = new FinalSelection(80, 2, 0.1, 3, 0.2) }, new TigerConfig(), 4, 80));
    }

    [Fact]
    public void A_run_interrupted_during_its_final_selection_makes_it_on_resume_as_an_uninterrupted_run_does()
    {
        using var tmp = new TempDir();
        var data = LetterDataset.Load(TinyTiger.WriteRuleDataset(tmp.File("data").Also(Directory.CreateDirectory), users: 80, items: 12, length: 8));
        var config = SampledConfig();
        var straight = TigerTrainer.Train(data, data.Index!, config, tmp.File("straight")).State;

        var run = tmp.File("interrupted");
        using var cancel = new CancellationTokenSource();
        var log = new CancelOnLine("choosing between", cancel);
        Assert.ThrowsAny<OperationCanceledException>(() =>
            TigerTrainer.Train(data, data.Index!, config, run, cancel.Token, new TigerTrainOptions { Log = log.WriteLine }));
        Assert.True(cancel.IsCancellationRequested, "the interrupt must come from the final selection");
        var size = TigerVocabulary.For(data.Index!).Size;
        var onDisk = TigerCheckpoint.Load(new TigerRunFolder(run).LastCheckpoint, new TigerModel(config, size));
        Assert.True(onDisk.Finished);
        Assert.Null(onDisk.Selection);

        var resumed = TigerTrainer.Train(data, data.Index!, config, run, options: new TigerTrainOptions { Resume = true }).State;
        Assert.Equal(straight.Selection, resumed.Selection);
        Assert.Equal(straight.BestEpoch, resumed.BestEpoch);
        Assert.Equal(straight.GlobalStep, resumed.GlobalStep);
        Assert.Equal(RunEvaluation.Evaluate(tmp.File("straight"), new RunEvaluationOptions(DataSplit.Valid)).IdentifierMatch["ndcg@10"],
            RunEvaluation.Evaluate(run, new RunEvaluationOptions(DataSplit.Valid)).IdentifierMatch["ndcg@10"], 6);
    }

    /// <summary>A log that requests cancellation when a line containing <paramref name="text"/> is written.</summary>
    private sealed class CancelOnLine(string text, CancellationTokenSource cancel) : StringWriter
    {
        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (value?.Contains(text) == true) cancel.Cancel();
        }
    }
}

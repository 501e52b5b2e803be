using Letter.Data;
using Letter.Evaluation;
using Letter.Kinds;
using Letter.Models.Tiger;
using Letter.Runs;
using Letter.Training;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Letter.Tests.Models.Tiger;

public class ValidationLossTests
{
    [Fact]
    public void The_teacher_forced_loss_is_the_token_mean_of_each_sample_scored_alone_without_dropout()
    {
        using var scope = NewDisposeScope();
        var config = TinyTiger.Config() with { Dropout = 0.3 };
        manual_seed(3);
        var model = new TigerModel(config, 14);
        model.train();
        // inputs of three lengths, so the loss is batched by length; targets: 3 codes and EOS
        var rng = new Letter.Common.SplitMix64(11);
        var inputs = new[] { 4, 9, 4, 13, 9, 4, 13 }.Select(n => Enumerable.Range(0, n).Select(_ => 2 + rng.Next(12)).ToArray()).ToList();
        var targets = inputs.Select(_ => new[] { 2 + rng.Next(12), 2 + rng.Next(12), 2 + rng.Next(12), TigerVocabulary.Eos }).ToList();
        const double tau = 0.6;

        // independent reference: every sample on its own, eval mode, -log softmax(logits / tau) at each target token
        double total = 0;
        int tokens = 0;
        model.eval();
        using (no_grad())
        {
            for (int i = 0; i < inputs.Count; i++)
            {
                var ids = tensor(inputs[i].Select(x => (long)x).ToArray(), [1, inputs[i].Length]);
                var labels = tensor(targets[i].Select(x => (long)x).ToArray(), [1, targets[i].Length]);
                var logp = F.log_softmax(model.Logits(ids, labels).to_type(ScalarType.Float32) / tau, -1);
                for (int t = 0; t < targets[i].Length; t++, tokens++) total -= logp[0, t, targets[i][t]].item<float>();
            }
        }
        model.train();

        double loss = TeacherForcedLoss.Compute(model, inputs, targets, tau, batchSize: 2);
        Assert.Equal(total / tokens, loss, 5);
        Assert.True(model.training, "the model's training mode is restored");
        // dropout is off: the same value again, and a different tau gives a different loss
        Assert.Equal(loss, TeacherForcedLoss.Compute(model, inputs, targets, tau, batchSize: 7), 5);
        Assert.NotEqual(loss, TeacherForcedLoss.Compute(model, inputs, targets, 1.0, batchSize: 2), 3);
    }

    [Fact]
    public void A_run_selected_by_loss_keeps_its_lowest_loss_epoch_and_eval_reports_the_same_loss()
    {
        using var tmp = new TempDir();
        var data = LetterDataset.Load(TinyTiger.WriteRuleDataset(tmp.File("data").Also(Directory.CreateDirectory), users: 60, items: 12, length: 7));
        var config = TinyTiger.Config() with { Epochs = 4, Patience = 4, MaxHistory = 3, LearningRate = 3e-3, SelectBy = SelectionMetric.Loss };
        var run = tmp.File("run");
        var state = TigerTrainer.Train(data, data.Index!, config, run).State;

        Assert.Equal(4, state.Curve.Count);
        Assert.All(state.Curve, e => Assert.True(e.ValidLoss is > 0, $"epoch {e.Epoch} has no validation loss"));
        var lowest = state.Curve.MinBy(e => e.ValidLoss!.Value)!;
        Assert.Equal(lowest.Epoch, state.BestEpoch);
        Assert.Equal(lowest.ValidLoss, state.BestValidLoss);
        Assert.Null(state.Selection); // validated on every user: no final choice
        Assert.Equal(SelectionMetric.Loss, new TigerRunFolder(run).ReadInfo().Config.SelectBy);

        // recomputed from the kept checkpoints on every validation user, as `letter eval --split valid` does
        var best = RunEvaluation.Evaluate(run, new RunEvaluationOptions(DataSplit.Valid, Checkpoint: CheckpointChoice.Best));
        var last = RunEvaluation.Evaluate(run, new RunEvaluationOptions(DataSplit.Valid, Checkpoint: CheckpointChoice.Last));
        Assert.Equal(lowest.ValidLoss!.Value, best.Loss!.Value, 5);
        Assert.Equal(state.Curve[^1].ValidLoss!.Value, last.Loss!.Value, 5);
        Assert.Equal(config.Temperature, best.LossTemperature);
        Assert.Contains("\"loss\":", File.ReadAllText(best.MetricsFile!));
    }

    [Fact]
    public void The_best_epoch_goes_by_the_chosen_criterion_and_a_tie_keeps_the_earlier_epoch()
    {
        var best = new TrainerState { BestEpoch = 2, BestNdcg10 = 0.30, BestValidLoss = 1.50 };
        var lowerLossWorseNdcg = new EpochRecord(3, 1.2, 0.5, 0.25, 1, 0, 1, ValidLoss: 1.40);
        var higherLossBetterNdcg = new EpochRecord(3, 1.2, 0.5, 0.35, 1, 0, 1, ValidLoss: 1.60);
        var tie = new EpochRecord(3, 1.2, 0.5, 0.30, 1, 0, 1, ValidLoss: 1.50);

        Assert.True(Trainer.Improves(SelectionMetric.Loss, best, lowerLossWorseNdcg));
        Assert.False(Trainer.Improves(SelectionMetric.Ndcg, best, lowerLossWorseNdcg));
        Assert.False(Trainer.Improves(SelectionMetric.Loss, best, higherLossBetterNdcg));
        Assert.True(Trainer.Improves(SelectionMetric.Ndcg, best, higherLossBetterNdcg));
        Assert.False(Trainer.Improves(SelectionMetric.Loss, best, tie));
        Assert.False(Trainer.Improves(SelectionMetric.Ndcg, best, tie));
        // the first epoch always improves on the empty state
        Assert.True(Trainer.Improves(SelectionMetric.Loss, new TrainerState(), higherLossBetterNdcg));
        Assert.True(Trainer.Improves(SelectionMetric.Ndcg, new TrainerState(), lowerLossWorseNdcg));
    }
}

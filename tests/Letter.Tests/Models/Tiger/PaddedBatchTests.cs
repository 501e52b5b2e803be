using Letter.Cli;
using Letter.Data;
using Letter.Evaluation;
using Letter.Kinds;
using Letter.Models.Tiger;
using Letter.Runs;
using Letter.Training;
using static TorchSharp.torch;

namespace Letter.Tests.Models.Tiger;

/// <summary>Random batches padded to their longest input (<c>--batching random</c>) against length-grouped ones.</summary>
public class PaddedBatchTests
{
    /// <summary>Three histories of 1, 2 and 3 items (3 codes each, then eos) and 3-code targets plus eos.</summary>
    private static (List<int[]> Inputs, List<int[]> Targets) Samples(int vocabulary)
    {
        var rng = new Letter.Common.SplitMix64(11);
        int Code() => 2 + rng.Next(vocabulary - 2); // never pad (0) or eos (1)
        var inputs = new[] { 1, 2, 3 }.Select(items => Enumerable.Range(0, 3 * items).Select(_ => Code()).Append(TigerVocabulary.Eos).ToArray()).ToList();
        var targets = inputs.Select(_ => Enumerable.Range(0, 3).Select(_ => Code()).Append(TigerVocabulary.Eos).ToArray()).ToList();
        return (inputs, targets);
    }

    [Theory]
    [InlineData(false, 1e-5)]
    [InlineData(true, 2e-2)]
    public void A_padded_batch_gives_each_row_the_loss_gradient_and_logits_it_has_alone(bool bf16, double tolerance)
    {
        var config = TinyTiger.Config() with { Dropout = 0, Bf16 = bf16 };
        manual_seed(4);
        using var model = new TigerModel(config, vocabularySize: 16);
        model.train();
        var (inputs, targets) = Samples(16);
        int[] all = [0, 1, 2];

        using var scope = NewDisposeScope();
        var ids = TigerBatch.StackPadded(inputs, all);
        Assert.Equal(new long[] { 3, 10 }, ids.shape);
        Assert.Equal(6 + 3, ids.eq(TigerVocabulary.Pad).sum().item<long>());
        var labels = TigerBatch.Stack(targets, all);
        var batchLogits = model.Logits(ids, labels);
        var batchLoss = RankingGuidedLoss.Compute(batchLogits, labels, config.Temperature);
        model.zero_grad();
        batchLoss.backward();
        var batchGrads = model.parameters().Select(p => p.grad!.clone()).ToList();

        // each row alone, unpadded: the mean of their losses is the batch's loss (equal target lengths)
        model.zero_grad();
        double meanLoss = 0;
        for (int r = 0; r < 3; r++)
        {
            var alone = model.Logits(TigerBatch.Stack(inputs, [r]), TigerBatch.Stack(targets, [r]));
            double scale = batchLogits[r].abs().max().to_type(ScalarType.Float32).item<float>();
            Assert.True((alone[0].to_type(ScalarType.Float32) - batchLogits[r].to_type(ScalarType.Float32)).abs().max().item<float>() <= tolerance * scale,
                $"row {r}: padded logits differ from the row's own");
            var loss = RankingGuidedLoss.Compute(alone, TigerBatch.Stack(targets, [r]), config.Temperature) / 3;
            loss.backward();
            meanLoss += loss.item<float>();
        }
        Assert.Equal(meanLoss, batchLoss.item<float>(), tolerance);
        var rowGrads = model.parameters().Select(p => p.grad!).ToList();
        for (int i = 0; i < rowGrads.Count; i++)
        {
            double scale = Math.Max(1e-3, rowGrads[i].abs().max().item<float>());
            Assert.True((batchGrads[i] - rowGrads[i]).abs().max().item<float>() <= 5 * tolerance * scale, $"parameter {i}: gradients differ");
        }

        // the mask matters: cross-attention that reads the encoder's pad positions changes the padded rows
        using var _ = no_grad();
        var decoderInput = cat([zeros(3, 1, dtype: ScalarType.Int64), labels.narrow(1, 0, 3)], 1);
        var unmasked = model.Decode(decoderInput, model.Encode(ids)).to_type(ScalarType.Float32);
        Assert.True((unmasked[0] - batchLogits[0].to_type(ScalarType.Float32)).abs().max().item<float>() > 10 * tolerance * batchLogits[0].abs().max().to_type(ScalarType.Float32).item<float>());
        Assert.Equal(0f, (unmasked[2] - batchLogits[2].detach().to_type(ScalarType.Float32)).abs().max().item<float>()); // the longest row has no padding
    }

    [Fact]
    public void An_unpadded_batch_has_no_padding_mask_and_stacking_unequal_targets_is_refused()
    {
        using var scope = NewDisposeScope();
        var (inputs, targets) = Samples(16);
        Assert.Null(TigerModel.PaddingBias(TigerBatch.Stack(inputs, [1, 1])));
        var bias = TigerModel.PaddingBias(TigerBatch.StackPadded(inputs, [0, 2]))!;
        Assert.Equal(new long[] { 2, 1, 1, 10 }, bias.shape);
        Assert.Equal(Enumerable.Repeat(0f, 4).Concat(Enumerable.Repeat(float.NegativeInfinity, 6)).Concat(Enumerable.Repeat(0f, 10)), bias.data<float>().ToArray());
        Assert.Throws<ArgumentException>(() => TigerBatch.Stack(inputs, [0, 1]));
        Assert.Equal(new long[] { 2, 4 }, TigerBatch.Stack(targets, [0, 2]).shape);
    }

    [Fact]
    public void Random_batches_mix_lengths_cover_every_sample_once_and_depend_only_on_seed_and_epoch()
    {
        var lengths = Enumerable.Range(0, 50).Select(i => 5 + 4 * (i % 4)).ToList();
        var plan = LengthBatcher.Plan(lengths, SampleBatching.Random, 8, seed: 3, epoch: 0);
        Assert.Equal(Enumerable.Range(0, 50), plan.SelectMany(b => b).Order());
        Assert.Equal(7, plan.Count);
        Assert.Equal(LengthBatcher.BatchCount(lengths, 8, SampleBatching.Random), plan.Count);
        Assert.Contains(plan, b => b.Select(i => lengths[i]).Distinct().Count() > 1);
        string Key(List<int[]> p) => string.Join(';', p.Select(b => string.Join(',', b)));
        Assert.Equal(Key(plan), Key(LengthBatcher.Plan(lengths, SampleBatching.Random, 8, 3, 0)));
        Assert.NotEqual(Key(plan), Key(LengthBatcher.Plan(lengths, SampleBatching.Random, 8, 3, 1)));
        // by-length batching is unchanged by the option
        Assert.Equal(Key(LengthBatcher.Plan(lengths, 8, 3, 0)), Key(LengthBatcher.Plan(lengths, SampleBatching.ByLength, 8, 3, 0)));
    }

    [Fact]
    public void A_tiny_model_trained_on_random_padded_batches_learns_the_planted_rule_and_records_the_batching()
    {
        using var tmp = new TempDir();
        var data = LetterDataset.Load(TinyTiger.WriteRuleDataset(tmp.File("data").Also(Directory.CreateDirectory), users: 64, items: 12, length: 8));
        var config = TinyTiger.Config() with
        {
            Epochs = 20, LearningRate = 3e-3, Patience = 20, MaxHistory = 3, ValidationUsers = 16, WarmupFraction = 0.05,
            Batching = SampleBatching.Random,
        };
        var run = tmp.File("run");
        TigerTrainer.Train(data, data.Index!, config, run);
        var e = RunEvaluation.Evaluate(run, new RunEvaluationOptions(DataSplit.Test));
        Assert.True(e.IdentifierMatch["recall@1"] >= 0.9, $"recall@1 {e.IdentifierMatch["recall@1"]}");
        var folder = new TigerRunFolder(run);
        Assert.Contains("\"batching\": \"random\"", File.ReadAllText(folder.ConfigFile));
        Assert.Equal(SampleBatching.Random, folder.ReadInfo().Config.Batching);
    }

    [Fact]
    public void Train_rejects_an_unknown_batching_with_exit_2()
    {
        using var tmp = new TempDir();
        var data = TinyTiger.WriteRuleDataset(tmp.File("data").Also(Directory.CreateDirectory));
        var err = new StringWriter();
        Assert.Equal(2, CliApp.Run(["train", data, "--out", tmp.File("run"), "--batching", "sideways"], new StringWriter(), err));
        Assert.Contains("sideways", err.ToString());
        Assert.Contains("by-length", err.ToString());
        Assert.False(Directory.Exists(tmp.File("run")));
    }
}

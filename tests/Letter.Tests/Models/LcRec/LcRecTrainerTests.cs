using Letter.Data;
using Letter.Generation;
using Letter.Evaluation;
using Letter.Formats;
using Letter.Models.Tiger;
using Letter.Models.LcRec;
using Letter.Tests.Models.Tiger;
using Letter.Training;
using Xunit.Abstractions;

namespace Letter.Tests.Models.LcRec;

public sealed class LcRecTrainerTests(ITestOutputHelper output)
{
    /// <summary>
    /// A small fast config: a history window of 3, so training, validation and test prompts share one
    /// length (with longer windows the test prompts are longer than any training prompt).
    /// </summary>
    internal static LcRecConfig Config(int epochs = 6) => new()
    {
        MaxHistory = 3, Epochs = epochs, BatchSize = 8, GradientAccumulation = 1, LearningRate = 1e-3, WarmupFraction = 0.05,
        ValidationUsers = 0, CheckpointMinutes = 0, Beam = 5, EvalBatchUsers = 48, Seed = 3,
    };

    [SharedDataFact("models", "stories260K", "stories260K.gguf")]
    public void PlantedRule_LearnedToRecallAt1_EveryBeamARealItem()
    {
        using var dir = new TempDir();
        // next = (previous + 1) mod 12, random starts: only the last history item predicts the target
        TinyTiger.WriteRuleDataset(dir.Path, users: 48, items: 12, length: 8);
        var data = LetterDataset.Load(dir.Path);
        var lines = new List<string>();
        using var threads = new OneThread();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = LcRecTrainer.Train(data, data.Index!, Stories.Path, Config(), dir.File("run"), options: new TrainOptions { Log = new SyncLog(lines).Report });
        foreach (var l in lines) output.WriteLine(l);
        output.WriteLine($"training {clock.Elapsed.TotalSeconds:F1} s");

        // the run folder alone (best checkpoint, adapters merged) through the seam's beam search, on the test split
        using var recommender = LcRecRecommender.Load(result.RunDirectory);
        var split = LeaveOneOutSplit.Build(data.Users, new SplitOptions(3));
        var evaluation = RecommenderEvaluator.Evaluate(recommender, split.Test, DataSplit.Test, batchUsers: 48);
        output.WriteLine($"test R@1 {evaluation.IdentifierMatch["recall@1"]:F4} R@5 {evaluation.IdentifierMatch["recall@5"]:F4}, {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(evaluation.IdentifierMatch["recall@1"] >= 0.9, $"recall@1 {evaluation.IdentifierMatch["recall@1"]}");

        var beams = recommender.Decode(split.Test.Select(s => s.History).ToList(), beam: 5);
        Assert.All(beams, user =>
        {
            Assert.Equal(5, user.Length);
            Assert.All(user, b =>
            {
                Assert.Equal(recommender.Catalog.Steps, b.Tokens.Length);
                Assert.Equal(recommender.Generator.EndToken, b.Tokens[^1]);
                Assert.NotEmpty(recommender.Catalog.ItemsOf(b)); // a real item's identifier
            });
        });
        // LC-Rec's rule would be a copy of any earlier item: the targets here are never in the history
        Assert.All(split.Test, s => Assert.DoesNotContain(s.Target, s.History));
    }

    [SharedDataFact("models", "stories260K", "stories260K.gguf")]
    public void Resume_MidEpoch_GivesTheSameNextStep()
    {
        using var dir = new TempDir();
        TinyTiger.WriteRuleDataset(dir.Path, users: 16, items: 12, length: 6);
        var data = LetterDataset.Load(dir.Path);
        using var threads = new OneThread();
        var config = Config(2) with { Lora = new LoraConfig { Dropout = 0.3 } }; // dropout on, so its masks must replay too
        LcRecTrainer.Train(data, data.Index!, Stories.Path, config, dir.File("straight"), options: new TrainOptions { StopAfterSteps = 4 });
        LcRecTrainer.Train(data, data.Index!, Stories.Path, config, dir.File("resumed"), options: new TrainOptions { StopAfterSteps = 3 });
        var resumed = LcRecTrainer.Train(data, data.Index!, Stories.Path, config, dir.File("resumed"), options: new TrainOptions { Resume = true, StopAfterSteps = 4 });
        Assert.Equal(4, resumed.State.GlobalStep);
        var a = SafetensorsFile.Read(Path.Combine(dir.File("straight"), "checkpoints", "last", LoraAdapters.WeightsFile));
        var b = SafetensorsFile.Read(Path.Combine(dir.File("resumed"), "checkpoints", "last", LoraAdapters.WeightsFile));
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var key in a.Keys) Assert.Equal(a[key].data<float>().ToArray(), b[key].data<float>().ToArray());
        // and the step moved the weights (the comparison is not of two untouched copies)
        Assert.Contains(a.Keys, k => k.Contains("lora_B") && a[k].abs().max().item<float>() > 0);
    }

    [SharedDataFact("models", "stories260K", "stories260K.gguf")]
    public void ResponseLoss_IsTheRankingGuidedLossOfTheResponseTokensOnly()
    {
        // an independent reference: cross-entropy of logits / tau at the response positions of a full forward
        using var dir = new TempDir();
        TinyTiger.WriteRuleDataset(dir.Path, users: 4, items: 12, length: 5);
        var data = LetterDataset.Load(dir.Path);
        using var lc = LcRecTrainer.Build(Stories.Path, data.Index!, Config());
        lc.Model.eval();
        var sample = LeaveOneOutSplit.Build(data.Users, new SplitOptions(3)).Train[0];
        var seq = LcRecTrainer.Encode(lc, sample);
        Assert.Equal(lc.ResponseTokens(sample.Target), seq.Tokens[seq.PromptLength..]);
        Assert.Equal(lc.PromptTokens(sample.History), seq.Tokens[..seq.PromptLength]);
        using var noGrad = TorchSharp.torch.no_grad();
        var ids = TorchSharp.torch.tensor(seq.Tokens.Select(t => (long)t).ToArray()).view(1, -1);
        var logits = lc.Model.Logits(ids)[0].data<float>().ToArray();  // [T, V]
        int v = lc.Model.VocabularySize;
        double tau = 0.7, sum = 0;
        for (int t = seq.PromptLength; t < seq.Tokens.Length; t++)
        {
            var row = logits.AsSpan((t - 1) * v, v).ToArray().Select(x => x / tau).ToArray();
            double max = row.Max(), lse = max + Math.Log(row.Sum(x => Math.Exp(x - max)));
            sum += lse - row[seq.Tokens[t]];
        }
        double expected = sum / (seq.Tokens.Length - seq.PromptLength);
        double actual = LcRecTrainer.BatchLoss(lc.Model, [seq], [0], LcRecLoss.Response, tau).item<float>();
        Assert.Equal(expected, actual, 4);
        double whole = LcRecTrainer.BatchLoss(lc.Model, [seq], [0], LcRecLoss.WholeSequence, tau).item<float>();
        Assert.NotEqual(expected, whole, 2);
    }

    [Fact]
    public void Prompt_IsLcRecsTemplateWithIdentifiersJoinedByCommaSpace()
    {
        var index = new ItemIndex([[1, 2], [3, 0]]);
        var prompt = LcRecPrompt.Format(index, [0, 1]);
        Assert.Equal("Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n" +
                     "### Instruction:\nThe user has interacted with items <a_1><b_2>, <a_3><b_0> in chronological order. " +
                     "Can you predict the next possible item that the user may expect?\n\n### Response:", prompt);
    }
}

/// <summary>An IProgress that records synchronously (Progress&lt;T&gt; posts to the thread pool).</summary>
internal sealed class SyncLog(List<string> lines) : IProgress<string>
{
    public void Report(string value) => lines.Add(value);
}

/// <summary>
/// libtorch on one thread for the test's duration: on this shared 2-core machine each parallel region
/// of a second thread waits for a core (silu on [16, 130, 172] took 18 ms with 2 threads, 0.6 ms with 1).
/// </summary>
internal sealed class OneThread : IDisposable
{
    private readonly int _before = TorchSharp.torch.get_num_threads();

    public OneThread() => TorchSharp.torch.set_num_threads(1);

    public void Dispose() => TorchSharp.torch.set_num_threads(_before);
}

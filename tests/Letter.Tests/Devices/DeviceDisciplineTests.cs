using Letter.Common;
using Letter.Data;
using Letter.Evaluation;
using Letter.Generation;
using Letter.Kinds;
using Letter.Models.LcRec;
using Letter.Models.SasRec;
using Letter.Models.Tiger;
using Letter.Runs;
using Letter.Training;
using Letter.Tests.Models.LcRec;
using Letter.Tests.Models.Tiger;
using TorchSharp;
using static TorchSharp.torch;

namespace Letter.Tests.Devices;

/// <summary>
/// Every kind trains (a step, a resume, an epoch with validation) and decodes on the device it is given,
/// under a <see cref="StrayTensorTrap"/>: a tensor that the trainer, the beam search, the trie's masks,
/// the item filters or the model create without naming the model's device fails the test.
/// </summary>
[Collection(DefaultDeviceCollection.Name)]
public sealed class DeviceDisciplineTests
{
    private static readonly ComputeDevice Device = ComputeDevice.Cpu; // the only device of this machine

    [Fact]
    public void TheTrapFailsWorkThatMakesATensorWithoutNamingItsDevice()
    {
        var trie = new PrefixTrie([[1, 3, 0], [2, 4, 0], [1, 4, 0]], 5);
        using (new StrayTensorTrap())
        {
            using var careful = new FixedLogits(nameDevice: true);
            Assert.Equal(2, ConstrainedBeamSearch.Search(careful, trie, users: 2, beam: 2, steps: 3)[0].Length);
            // the same generator making its logits on the default device: the search cannot finish
            using var careless = new FixedLogits(nameDevice: false);
            var e = Assert.ThrowsAny<Exception>(() => ConstrainedBeamSearch.Search(careless, trie, users: 2, beam: 2, steps: 3));
            Assert.Contains("meta", e.Message);
            using var cpu = zeros(3, device: CPU);
            Assert.ThrowsAny<Exception>(() => (cpu + zeros(3)).cpu().data<float>().ToArray());
        }
        // outside the trap the careless generator decodes as the careful one: only the device differed
        using var outside = new FixedLogits(nameDevice: false);
        Assert.Equal(2, ConstrainedBeamSearch.Search(outside, trie, users: 2, beam: 2, steps: 3)[0].Length);
        Assert.Equal(DeviceType.CPU, get_default_device().type);
    }

    [Fact]
    public void Tiger_TrainsResumesAndDecodes_OnItsDevice()
    {
        using var tmp = new TempDir();
        var data = LetterDataset.Load(TinyTiger.WriteRuleDataset(tmp.File("data").Also(Directory.CreateDirectory), users: 24, items: 12, length: 6));
        // a validation sample smaller than the split: the final choice between epochs decodes every validation user too
        var config = TinyTiger.Config() with { Epochs = 2, MaxHistory = 3, ValidationUsers = 8, BatchSize = 16, GradientAccumulation = 2 };
        var run = tmp.File("run");
        using (new StrayTensorTrap())
        {
            var first = TigerTrainer.Train(data, data.Index!, config, run, options: new TigerTrainOptions { StopAfterSteps = 1, Device = Device });
            Assert.Equal(1, first.State.GlobalStep);
            var done = TigerTrainer.Train(data, data.Index!, config, run, options: new TigerTrainOptions { Resume = true, Device = Device });
            Assert.True(done.State.Finished);
            Assert.Equal(2, done.State.Curve.Count);

            using var recommender = TigerRecommender.Load(run, device: Device);
            Assert.Equal(DeviceType.CPU, recommender.Tiger().Model.Device.type);
            Decodes(recommender, data);
            recommender.Tiger().PadInputs = true; // the service's mixed-length batches: padded inputs and their masks
            Decodes(recommender, data);
            var evaluation = RunEvaluation.Evaluate(run, new RunEvaluationOptions(DataSplit.Test, Device: Device));
            using var opened = OpenedRun.Open(run, device: Device);
            Decodes(opened.Recommender, data);
            Assert.Equal(24, evaluation.Users);
        }
    }

    [SharedDataFact("models", "stories260K", "stories260K.gguf")]
    public void LcRec_TrainsResumesAndDecodes_OnItsDevice()
    {
        using var tmp = new TempDir();
        var data = LetterDataset.Load(TinyTiger.WriteRuleDataset(tmp.File("data").Also(Directory.CreateDirectory), users: 12, items: 12, length: 6));
        // LoRA dropout on (its masks' generator) and the new identifier rows held at their initial values
        var config = LcRecTrainerTests.Config(epochs: 1) with { Lora = new LoraConfig { Dropout = 0.2, Embeddings = EmbeddingTraining.FreezeNewTokens } };
        var run = tmp.File("run");
        using var threads = new OneThread();
        using (new StrayTensorTrap())
        {
            LcRecTrainer.Train(data, data.Index!, Stories.Path, config, run, options: new TrainOptions { StopAfterSteps = 1, Device = Device });
            var done = LcRecTrainer.Train(data, data.Index!, Stories.Path, config, run, options: new TrainOptions { Resume = true, Device = Device });
            Assert.True(done.State.Finished);

            using var recommender = LcRecRecommender.Load(run, device: Device);
            Assert.Equal(DeviceType.CPU, recommender.LcRec().Model.Model.Device.type);
            Decodes(recommender, data);
            using var unmerged = LcRecRecommender.Load(run, merge: false, device: Device); // the adapters' own products
            Decodes(unmerged, data);
            RunEvaluation.Evaluate(run, new RunEvaluationOptions(DataSplit.Test, Device: Device)); // the kind's loader and teacher-forced loss
        }
    }

    /// <summary>
    /// Each kind of the registry through the hosts' path (RecommenderKind.Train with the request's
    /// device, OpenedRun.Open, RunEvaluation): a step, a resume to the end of an epoch with
    /// validation, every decoding path of the run opened on the device, and its evaluation.
    /// </summary>
    [SharedDataFact("models", "stories260K", "stories260K.gguf")]
    public void EveryRegisteredKind_TrainsAStepAndDecodes_OnTheConfiguredDevice()
    {
        // the kinds' own options a run needs (LC-Rec's base language model)
        var kindOptions = new Dictionary<string, Dictionary<string, string>> { ["lc-rec"] = new() { ["base"] = Stories.Path } };
        using var tmp = new TempDir();
        var data = LetterDataset.Load(TinyTiger.WriteRuleDataset(tmp.File("data").Also(Directory.CreateDirectory), users: 12, items: 12, length: 6));
        using var threads = new OneThread();
        // the built-in kinds and the test project's stub-bag kind (Kinds/StubBagKind.cs)
        Assert.Equal(["tiger", "lc-rec", "stub-bag"], KindRegistry.Default.Names);
        foreach (var kind in KindRegistry.Default.All)
        {
            var config = kind.DefaultConfig with { Epochs = 1, BatchSize = 8, GradientAccumulation = 1, MaxHistory = 3, ValidationUsers = 0, Beam = 4,
                EvalBatchUsers = 16, CheckpointMinutes = 0 };
            var run = tmp.File(kind.Name);
            KindTrainRequest Request(TrainOptions train) => new()
            {
                Data = data, Index = data.Index!, Config = config, RunDirectory = run, Train = train with { Device = Device },
                Options = kindOptions.GetValueOrDefault(kind.Name) ?? new Dictionary<string, string>(),
            };
            using (new StrayTensorTrap())
            {
                Assert.Equal(1, kind.Train(Request(new TrainOptions { StopAfterSteps = 1 })).State.GlobalStep);
                Assert.True(kind.Train(Request(new TrainOptions { Resume = true })).State.Finished, kind.Name);
                using var opened = OpenedRun.Open(run, device: Device);
                Assert.Same(kind, opened.Kind);
                Decodes(opened.Recommender, data);
                Assert.Equal(12, RunEvaluation.Evaluate(run, new RunEvaluationOptions(DataSplit.Test, Device: Device)).Users);
            }
        }
    }

    [Fact]
    public void SasRec_TrainsAndRanks_OnItsDevice()
    {
        var rng = new SplitMix64(3);
        var users = Enumerable.Range(0, 20).Select(u =>
        {
            int start = rng.Next(30);
            return new UserSequence($"u{u}", Enumerable.Range(0, 8).Select(i => (start + i) % 30).ToArray());
        }).ToList();
        using var tmp = new TempDir();
        foreach (var loss in new[] { SasRecLoss.CrossEntropy, SasRecLoss.BinaryCrossEntropy })
        {
            var config = new SasRecConfig { Threads = 1, Dim = 8, MaxLen = 10, Epochs = 2, Patience = 0, BatchSize = 8, Seed = 3, Loss = loss };
            using (new StrayTensorTrap())
            {
                var result = SasRecTrainer.Train(users, 30, config, tmp.File($"{loss}.npy"), evaluateTest: true, device: Device);
                Assert.Equal(20, result.TestRanks!.Count);
                Assert.Equal(30, result.Embeddings.Rows);
            }
        }
    }

    /// <summary>Every decoding path of a recommender: batched with targets followed, and one history with exclusions or candidates.</summary>
    private static void Decodes(GenerativeRecommender recommender, LetterDataset data)
    {
        var histories = data.Users.Select(u => u.Items[..^1]).ToList();
        var targets = data.Users.Select(u => u.Items[^1]).ToList();
        var kept = new bool[histories.Count][];
        var beams = recommender.Decode(histories, beam: 4, batchUsers: 7, targets: targets, targetKept: kept);
        Assert.All(beams, b => Assert.NotEmpty(b));
        Assert.All(kept, k => Assert.Equal(recommender.Catalog.Steps, k.Length));
        var history = histories[0];
        var excluding = recommender.Recommend(history, 3, new RecommendOptions(ExcludeHistory: true, Exclude: [targets[0]]));
        Assert.All(excluding, r => Assert.DoesNotContain(targets[0], r.Items));
        var candidates = new[] { 1, 5, 7 };
        var within = recommender.Recommend(history, 3, new RecommendOptions(Candidates: candidates));
        Assert.All(within, r => Assert.All(r.Items, i => Assert.Contains(i, candidates)));
    }

    /// <summary>
    /// Logits of a fixed pattern (no model), made on the CPU by name or, when <paramref name="nameDevice"/>
    /// is false, on libtorch's default device: the control that shows the trap catches the second.
    /// </summary>
    private sealed class FixedLogits(bool nameDevice) : IGenerationState
    {
        private long _rows = 2;

        public Tensor NextLogits(Tensor? tokens)
        {
            if (tokens is not null) _rows = tokens.shape[0];
            var values = Enumerable.Range(0, (int)_rows * 5).Select(i => (float)Math.Sin(i)).ToArray();
            return nameDevice ? tensor(values, [_rows, 5], device: CPU) : tensor(values, [_rows, 5]);
        }

        public void Reorder(Tensor rows) => _rows = rows.shape[0];

        public void Dispose() { }
    }
}

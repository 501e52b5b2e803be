using System.Text.Json;
using Letter.Common;
using Letter.Data;
using Letter.Evaluation;
using Letter.Kinds;
using Letter.Models.Tiger;
using Letter.Runs;
using Letter.Training;
using static TorchSharp.torch;

namespace Letter.Tests.Models.Tiger;

public class TigerTrainerTests
{
    [Fact]
    public void A_tiny_model_learns_a_planted_next_item_rule_to_recall_at_1_near_1()
    {
        using var tmp = new TempDir();
        var data = LetterDataset.Load(TinyTiger.WriteRuleDataset(tmp.File("data").Also(Directory.CreateDirectory), users: 64, items: 12, length: 8));
        // histories cut at 3 items, so the test histories have lengths seen in training
        var config = TinyTiger.Config() with { Epochs = 20, LearningRate = 3e-3, Patience = 20, MaxHistory = 3, ValidationUsers = 16, WarmupFraction = 0.05 };
        var run = tmp.File("run");
        var result = TigerTrainer.Train(data, data.Index!, config, run);
        Assert.Equal(20, result.State.Curve.Count);
        Assert.True(result.State.Curve[^1].TrainLoss < result.State.Curve[0].TrainLoss);

        var e = RunEvaluation.Evaluate(run, new RunEvaluationOptions(DataSplit.Test));
        Assert.True(e.IdentifierMatch["recall@1"] >= 0.9, $"recall@1 {e.IdentifierMatch["recall@1"]}");
        Assert.False(e.IndexHasCollisions);
        Assert.Equal(e.IdentifierMatch["recall@10"], e.ItemMatch["recall@10"]);
        // a target still among the 5 beams after the last level is a hit within them
        Assert.Equal(e.IdentifierMatch["recall@5"], e.Survival!.All[^1], 12);
        Assert.Equal(64, e.Survival.Users);

        var folder = new TigerRunFolder(run);
        using var metrics = JsonDocument.Parse(File.ReadAllText(folder.MetricsFile));
        foreach (var key in new[] { "recall@1", "recall@5", "recall@10", "ndcg@5", "ndcg@10" })
            Assert.True(metrics.RootElement.TryGetProperty(key, out _), key);
        Assert.False(metrics.RootElement.TryGetProperty("item_match", out _));
        Assert.Equal(data.Index!.Levels, metrics.RootElement.GetProperty("beam_kept").GetProperty("all").GetArrayLength());
        // a quick check on another checkpoint and a sample goes to its own file: the full result stays
        var full = File.ReadAllText(folder.MetricsFile);
        var quick = RunEvaluation.Evaluate(run, new RunEvaluationOptions(DataSplit.Test, MaxUsers: 5, Checkpoint: CheckpointChoice.Last));
        Assert.Equal(Path.Combine(folder.Directory, "metrics-last-5users.json"), quick.MetricsFile);
        Assert.Equal(5, JsonDocument.Parse(File.ReadAllText(quick.MetricsFile!)).RootElement.GetProperty("users").GetInt32());
        Assert.Equal(full, File.ReadAllText(folder.MetricsFile));
        // the per-user ranks beside each metrics file give back its metrics, user by user
        Assert.Equal(Path.Combine(folder.Directory, "ranks.tsv"), e.RanksFile);
        Assert.Equal(Path.Combine(folder.Directory, "ranks-last-5users.tsv"), quick.RanksFile);
        var ranks = UserRanksFile.Read(e.RanksFile!);
        Assert.Equal(64, ranks.Count);
        Assert.Equal(data.Users.Select(u => u.UserId).Order(), ranks.Select(r => r.UserId).Order());
        Assert.Equal(data.Users.ToDictionary(u => u.UserId, u => u.Items[^1]), ranks.ToDictionary(r => r.UserId, r => r.Target));
        // each line says whether its target is among the (3) history items the model read
        Assert.Equal(data.Users.ToDictionary(u => u.UserId, u => u.Items[^4..^1].Contains(u.Items[^1])), ranks.ToDictionary(r => r.UserId, r => r.TargetInHistory!.Value));
        int repeatUsers = ranks.Count(r => r.TargetInHistory == true);
        var recomputed = new RankingMetrics();
        foreach (var r in ranks) recomputed.Add(r.IdentifierRank);
        foreach (var (key, value) in e.IdentifierMatch) Assert.Equal(value, recomputed.ToDictionary()[key], 12);
        Assert.Equal("ranks.tsv", JsonDocument.Parse(full).RootElement.GetProperty("ranks_file").GetString());
        // compare: a run against itself differs by nothing; against a 5-user sample it refuses
        var same = Letter.Tests.Cli.CliRunner.Run("compare", run, run);
        Assert.Equal(0, same.ExitCode);
        Assert.Contains("64 users, identifier match", same.Stdout);
        var rows = same.Stdout.Split('\n').Where(l => l.StartsWith("recall@") || l.StartsWith("ndcg@")).ToList();
        Assert.Equal(5, rows.Count);
        Assert.All(rows, row => Assert.Equal("0.0000", row.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3]));
        var grouped = Letter.Tests.Cli.CliRunner.Run("compare", run, run, "--by-target");
        Assert.Equal(0, grouped.ExitCode);
        Assert.Contains($"{repeatUsers} users, target already in the history, identifier match", grouped.Stdout);
        Assert.Contains($"{64 - repeatUsers} users, target new to the user, identifier match", grouped.Stdout);
        var sample = Letter.Tests.Cli.CliRunner.Run("compare", run, quick.MetricsFile!);
        Assert.Equal(2, sample.ExitCode);
        Assert.Contains("has 5 users", sample.Stderr);
        Assert.Contains("same users", sample.Stderr);
        var curve = JsonSerializer.Deserialize<List<EpochRecord>>(File.ReadAllText(folder.CurveFile), TigerRunFolder.Json)!;
        Assert.Equal(20, curve.Count);
        Assert.True(File.Exists(folder.BestCheckpoint) && File.Exists(folder.LastCheckpoint));
        var info = folder.ReadInfo();
        Assert.Equal(config, info.Config);
        Assert.Equal(64, info.IndexSha256.Length);
        // the run names the code and libraries that made it
        Assert.NotNull(info.Versions);
        Assert.Equal(RunVersions.Current().Letter, info.Versions!.Letter);
        Assert.Equal(TorchSharp.torch.__version__, info.Versions.LibTorch);

        // the public recommend entry point follows the rule too: after 3, 4 comes 5
        using var recommender = TigerRecommender.Load(run);
        var top = recommender.Recommend([3, 4], 3);
        Assert.Equal(5, top[0].Items[0]);
    }

    [Fact]
    public void A_tiny_model_learns_to_copy_the_item_three_positions_back()
    {
        // Yelp's repeat visits need the model to copy an identifier from its input. Here every next
        // item is the one three positions back and the three items of a cycle are random, so no
        // item-to-item transition predicts it: only copying the codes from the history does.
        using var tmp = new TempDir();
        var data = LetterDataset.Load(TinyTiger.WriteCopyDataset(tmp.File("data").Also(Directory.CreateDirectory), users: 200));
        var config = TinyTiger.Config() with { Epochs = 30, LearningRate = 3e-3, Patience = 30, MaxHistory = 6, ValidationUsers = 16, WarmupFraction = 0.05 };
        var run = tmp.File("run");
        TigerTrainer.Train(data, data.Index!, config, run);
        var e = RunEvaluation.Evaluate(run, new RunEvaluationOptions(DataSplit.Test));
        Assert.True(e.IdentifierMatch["recall@1"] >= 0.9, $"recall@1 {e.IdentifierMatch["recall@1"]}");
    }

    [Theory]
    [InlineData(1, SampleBatching.ByLength)]
    [InlineData(2, SampleBatching.ByLength)]
    [InlineData(1, SampleBatching.Random)]
    public void Resuming_after_an_interruption_gives_the_same_next_step_as_an_uninterrupted_run(int accumulation, SampleBatching batching)
    {
        using var tmp = new TempDir();
        var data = LetterDataset.Load(TinyTiger.WriteRuleDataset(tmp.File("data").Also(Directory.CreateDirectory), users: 60));
        var config = TinyTiger.Config() with { Epochs = 3, BatchSize = 16, GradientAccumulation = accumulation, Batching = batching };
        int perEpoch = Trainer.OptimizerSteps(
            LengthBatcher.BatchCount(LeaveOneOutSplit.Build(data.Users).Train.Select(s => s.History.Length).ToList(), 16, batching), accumulation);
        long k = perEpoch + 2; // interrupt inside the second epoch, after one validation

        var straight = tmp.File("straight");
        TigerTrainer.Train(data, data.Index!, config, straight, options: new TigerTrainOptions { StopAfterSteps = k + 1 });

        var interrupted = tmp.File("interrupted");
        TigerTrainer.Train(data, data.Index!, config, interrupted, options: new TigerTrainOptions { StopAfterSteps = k });
        Assert.Throws<ArgumentException>(() => TigerTrainer.Train(data, data.Index!, config, interrupted));
        var resumed = TigerTrainer.Train(data, data.Index!, config, interrupted, options: new TigerTrainOptions { Resume = true, StopAfterSteps = k + 1 });
        Assert.Equal(k + 1, resumed.State.GlobalStep);

        var a = TinyTiger.Parameters(new TigerRunFolder(straight).LastCheckpoint, config, data.Index!);
        var b = TinyTiger.Parameters(new TigerRunFolder(interrupted).LastCheckpoint, config, data.Index!);
        Assert.Equal(a.Count, b.Count);
        for (int i = 0; i < a.Count; i++) Assert.Equal(a[i], b[i]);
    }

    [Fact]
    public void Accumulating_two_unequal_batches_gives_the_gradient_of_one_batch_holding_both()
    {
        using var tmp = new TempDir();
        var data = LetterDataset.Load(TinyTiger.WriteRuleDataset(tmp.File("data").Also(Directory.CreateDirectory), users: 20));
        var config = TinyTiger.Config() with { Dropout = 0 };
        var vocabulary = TigerVocabulary.For(data.Index!);
        var train = LeaveOneOutSplit.Build(data.Users).Train;
        var inputs = train.Select(s => vocabulary.EncodeHistory(data.Index!, s.History)).ToList();
        var targets = train.Select(s => vocabulary.EncodeTarget(data.Index!, s.Target)).ToList();
        // batches of 3 and 5 samples (a batch holds one input length, so all have 4-item histories)
        var fourItems = Enumerable.Range(0, train.Count).Where(i => train[i].History.Length == 4).ToArray();
        var firstThree = fourItems[..3];
        var nextFive = fourItems[3..8];

        List<float[]> Gradients(IReadOnlyList<int[]> batches, out double loss)
        {
            manual_seed(7);
            var model = new TigerModel(config, vocabulary.Size);
            var optimizer = optim.AdamW(model.parameters(), 1e-3);
            // lr 0 leaves the weights alone and the (clipped) gradients in place
            loss = TigerTrainer.Step(model, optimizer, inputs, targets, batches, config, 0, 0);
            return model.parameters().Select(p => p.grad!.data<float>().ToArray()).ToList();
        }

        var whole = Gradients([[.. firstThree, .. nextFive]], out double wholeLoss);
        var accumulated = Gradients([firstThree, nextFive], out double accumulatedLoss);
        var one = Gradients([firstThree], out double firstLoss);
        Assert.Equal(wholeLoss, accumulatedLoss, 5);
        Assert.True(Math.Abs(firstLoss - wholeLoss) > 1e-3, "the test batches must differ in loss");
        double largest = 0, differenceFromOne = 0;
        for (int p = 0; p < whole.Count; p++)
            for (int i = 0; i < whole[p].Length; i++)
            {
                largest = Math.Max(largest, Math.Abs(whole[p][i] - accumulated[p][i]));
                differenceFromOne = Math.Max(differenceFromOne, Math.Abs(whole[p][i] - one[p][i]));
            }
        Assert.True(largest < 1e-5, $"largest gradient difference {largest}");
        Assert.True(differenceFromOne > 1e-3, "a single batch must give a different gradient");
    }

    [Fact]
    public void The_learning_rate_warms_up_linearly_then_decays_as_a_cosine()
    {
        Assert.Equal(0, Trainer.LearningRate(1e-3, 0, 10, 110));
        Assert.Equal(5e-4, Trainer.LearningRate(1e-3, 5, 10, 110), 12);
        Assert.Equal(1e-3, Trainer.LearningRate(1e-3, 10, 10, 110), 12);
        Assert.Equal(5e-4, Trainer.LearningRate(1e-3, 60, 10, 110), 12);
        Assert.Equal(0, Trainer.LearningRate(1e-3, 110, 10, 110), 12);
    }

    [Fact]
    public void The_time_budget_stops_before_an_epoch_that_would_overrun_it()
    {
        Assert.False(Trainer.NextEpochExceedsBudget(40 * 60, 40 * 60, 0));        // no budget
        Assert.False(Trainer.NextEpochExceedsBudget(40 * 60, 40 * 60, 120));      // 80 <= 120
        Assert.False(Trainer.NextEpochExceedsBudget(80 * 60, 40 * 60, 120));      // ends exactly at 120
        Assert.True(Trainer.NextEpochExceedsBudget(85 * 60, 42 * 60, 120));       // would end at 127
        Assert.True(Trainer.NextEpochExceedsBudget(130 * 60, 1, 120));            // already over
    }

    [Fact]
    public void Length_batches_hold_one_length_and_cover_every_sample_once()
    {
        var lengths = new[] { 5, 9, 5, 13, 9, 5, 5, 9, 13, 5 };
        var plan = LengthBatcher.Plan(lengths, 2, seed: 3, epoch: 0);
        Assert.All(plan, b => Assert.Single(b.Select(i => lengths[i]).Distinct()));
        Assert.Equal(Enumerable.Range(0, lengths.Length), plan.SelectMany(b => b).Order());
        Assert.Equal(LengthBatcher.BatchCount(lengths, 2), plan.Count);
        Assert.Equal(plan.Select(b => string.Join(',', b)), LengthBatcher.Plan(lengths, 2, 3, 0).Select(b => string.Join(',', b)));
    }

    [Fact]
    public void An_interrupt_during_validation_keeps_the_epochs_steps_and_the_resume_validates_them()
    {
        using var tmp = new TempDir();
        var data = LetterDataset.Load(TinyTiger.WriteRuleDataset(tmp.File("data").Also(Directory.CreateDirectory), users: 40));
        var config = TinyTiger.Config() with { Epochs = 2, BatchSize = 16 }; // CheckpointMinutes 0: no periodic checkpoint
        int perEpoch = LengthBatcher.BatchCount(LeaveOneOutSplit.Build(data.Users).Train.Select(s => s.History.Length).ToList(), 16);
        var run = tmp.File("run");
        using var interrupt = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => TigerTrainer.Train(data, data.Index!, config, run, interrupt.Token,
            new TigerTrainOptions { BeforeValidation = interrupt.Cancel }));

        var saved = TigerCheckpoint.Load(new TigerRunFolder(run).LastCheckpoint, new TigerModel(config, TigerVocabulary.For(data.Index!).Size));
        Assert.Equal((0, perEpoch, (long)perEpoch), (saved.Epoch, saved.StepInEpoch, saved.GlobalStep));

        var resumed = TigerTrainer.Train(data, data.Index!, config, run, options: new TigerTrainOptions { Resume = true });
        var straight = TigerTrainer.Train(data, data.Index!, config, tmp.File("straight"));
        static string Curve(TrainResult r) => string.Join("; ", r.State.Curve.Select(e => $"{e.TrainLoss} {e.ValidRecall10} {e.ValidNdcg10}"));
        Assert.Equal(2, resumed.State.Curve.Count);
        Assert.Equal(Curve(straight), Curve(resumed));
    }

    [Fact]
    public void Text_tokens_widen_the_vocabulary_survive_a_resume_and_are_never_decoded()
    {
        using var tmp = new TempDir();
        var data = LetterDataset.Load(TinyTiger.WriteRuleDataset(tmp.File("data").Also(Directory.CreateDirectory), users: 40));
        var config = TinyTiger.Config() with { Epochs = 2, BatchSize = 16, TextTokens = 300 };
        var run = tmp.File("run");
        TigerTrainer.Train(data, data.Index!, config, run, options: new TigerTrainOptions { StopAfterSteps = 2 });
        var info = new TigerRunFolder(run).ReadInfo();
        Assert.Equal(2 + 3 * 4 + 300, info.VocabularySize);
        Assert.Equal(300, info.Config.TextTokens);

        // the run's config.json wins on --resume: a config without text tokens would not fit the checkpoint
        var resumed = TigerTrainer.Train(data, data.Index!, config with { TextTokens = 0 }, run,
            options: new TigerTrainOptions { Resume = true, StopAfterSteps = 4 });
        Assert.Equal(4, resumed.State.GlobalStep);

        using var recommender = TigerRecommender.Load(run, CheckpointChoice.Last);
        Assert.Equal(2 + 12 + 300, recommender.Tiger().Model.VocabularySize);
        Assert.Equal(14, recommender.Tiger().Vocabulary.CodeEnd);
        Assert.Throws<ArgumentOutOfRangeException>(() => recommender.Tiger().Vocabulary.Decode(14));
        // 300 of 314 rows are text tokens that training only pushed down for 4 steps; the trie masks,
        // not the scores, must keep every one of them out of the beams
        var valid = Enumerable.Range(0, data.ItemCount).Select(recommender.Catalog.KeyOfItem).ToHashSet();
        var beams = recommender.Decode([[1, 2, 3], [7], [20, 21]], batchUsers: 2);
        Assert.All(beams.SelectMany(b => b), b =>
        {
            Assert.Contains(string.Join(',', b.Tokens[..3]), valid);
            Assert.Equal(TigerVocabulary.Eos, b.Tokens[^1]);
        });
    }

    [Fact]
    public void A_run_config_written_before_versions_were_recorded_still_reads()
    {
        using var tmp = new TempDir();
        var folder = new TigerRunFolder(tmp.File("run").Also(Directory.CreateDirectory));
        var old = new TigerRunInfo(TinyTiger.Config(), "data", null, new string('0', 64), 6, [4, 4], 10, null, 1234, "2026-11-26T00:00:00Z");
        folder.WriteInfo(old);
        // a file from before versions were recorded has no such key at all
        File.WriteAllText(folder.ConfigFile, File.ReadAllText(folder.ConfigFile).Replace("  \"versions\": null,\n", ""));
        Assert.DoesNotContain("versions", File.ReadAllText(folder.ConfigFile));

        var read = folder.ReadInfo();
        Assert.Null(read.Versions);
        Assert.Equal(old.Config, read.Config);
        Assert.Equal(1234, read.Parameters);
    }

}

internal static class FluentExtensions
{
    public static string Also(this string path, Func<string, DirectoryInfo> action)
    {
        action(path);
        return path;
    }
}

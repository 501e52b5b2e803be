using Letter.Training;
using Letter.Data;
using Letter.Generation;
using Letter.Evaluation;
using Letter.Models.Tiger;
using Letter.Runs;
using static TorchSharp.torch;

namespace Letter.Tests.Models.Tiger;

public class TigerEvaluatorTests
{
    [Fact]
    public void Identifier_and_item_match_ranks_and_metrics_match_a_hand_worked_ranking()
    {
        // items 0 and 1 share identifier A; item 2 has B; item 3 has C. Popularity: 1 > 0.
        var index = new ItemIndex([[0, 0], [0, 0], [0, 1], [1, 0]]);
        manual_seed(1);
        var model = new TigerModel(TinyTiger.Config(), TigerVocabulary.For(index).Size);
        using var r = TigerRecommender.Create(model, index, [1, 9, 0, 0]);
        var v = r.Tiger().Vocabulary;
        Beam B(int item) => new([.. v.Identifier(index.Codes[item]), TigerVocabulary.Eos], 0);
        var beams = new[] { B(2), B(0), B(3) };          // generated identifiers: B, A, C
        // expanded item list: 2, then A's items by popularity (1, 0), then 3 -> [2, 1, 0, 3]
        Assert.Equal((1, 2), RecommenderEvaluator.Ranks(r.Catalog, beams, 0)); // identifier rank 1, item rank 2
        Assert.Equal((1, 1), RecommenderEvaluator.Ranks(r.Catalog, beams, 1));
        Assert.Equal((0, 0), RecommenderEvaluator.Ranks(r.Catalog, beams, 2));
        Assert.Equal((2, 3), RecommenderEvaluator.Ranks(r.Catalog, beams, 3));
        Assert.Equal((-1, -1), RecommenderEvaluator.Ranks(r.Catalog, [B(2)], 3));

        var m = new RankingMetrics();
        foreach (var rank in new[] { 0, 2, 7, -1 }) m.Add(rank);
        Assert.Equal(0.25, m.Recall(1), 12);
        Assert.Equal(0.5, m.Recall(5), 12);
        Assert.Equal(0.75, m.Recall(10), 12);
        Assert.Equal((1 + 1 / Math.Log2(4)) / 4, m.Ndcg(5), 12);
        Assert.Equal((1 + 1 / Math.Log2(4) + 1 / Math.Log2(9)) / 4, m.Ndcg(10), 12);
    }

    [Fact]
    public void A_max_users_run_lists_the_items_of_a_shared_identifier_by_the_popularity_its_own_users_saw()
    {
        // items 4 and 5 share an identifier. The 10 sampled users train on item 5 twice each, the
        // other 30 on item 4 three times each: over all users 4 leads (90 to 20), in the sample 5 does.
        using var tmp = new TempDir();
        var dir = tmp.File("data").Also(Directory.CreateDirectory);
        new ItemIndex([[0, 0], [0, 1], [1, 0], [1, 1], [2, 0], [2, 0]]).Save(Path.Combine(dir, "Rule.index.json"));
        void WriteUsers(Func<string, int[]> items) => TinyTiger.WriteInteractions(dir, Enumerable.Range(0, 40).Select(u => items($"{u}")).ToList());
        WriteUsers(_ => [0, 1, 2, 3]);
        var config = TinyTiger.Config() with { Epochs = 1 };
        var sampled = TrainingUsers.Select(LetterDataset.Load(dir).Users, 10, config.Seed).Select(u => u.UserId).ToHashSet();
        WriteUsers(u => sampled.Contains(u) ? [0, 5, 5, 1, 2, 3] : [0, 4, 4, 4, 1, 2, 3]);
        var data = LetterDataset.Load(dir);

        var run = tmp.File("run");
        TigerTrainer.Train(data, data.Index!, config, run, options: new TigerTrainOptions { MaxUsers = 10, StopAfterSteps = 1 });
        using var r = TigerRecommender.Load(run);
        Assert.Equal([5, 4], r.Catalog.ItemsOf(r.Catalog.KeyOfItem(4)));
    }

    [Theory]
    [InlineData(DataSplit.Test, CheckpointChoice.Best, null, null, false, 1.0, "metrics.json")]
    [InlineData(DataSplit.Valid, CheckpointChoice.Best, null, null, false, 1.0, "metrics-valid.json")]
    [InlineData(DataSplit.Test, CheckpointChoice.Last, 500, null, true, 1.0, "metrics-last-500users-bf16.json")]
    [InlineData(DataSplit.Valid, CheckpointChoice.Best, null, 5, false, 1.0, "metrics-valid-beam5.json")]
    [InlineData(DataSplit.Valid, CheckpointChoice.Best, null, null, false, 0.7, "metrics-valid-decode-t0.7.json")]
    public void Metrics_files_name_every_setting_that_differs_from_the_runs_own_evaluation(
        DataSplit split, CheckpointChoice checkpoint, int? users, int? beam, bool bf16, double decodeTemperature, string expected)
    {
        var folder = new TigerRunFolder("/tmp/run");
        Assert.Equal(Path.Combine(folder.Directory, expected), folder.MetricsFileFor(split, checkpoint, users, beam, bf16, decodeTemperature));
    }
}

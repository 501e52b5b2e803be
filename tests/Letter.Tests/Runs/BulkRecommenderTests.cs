using Letter.Data;
using Letter.Generation;
using Letter.Kinds;
using Letter.Models.Tiger;
using Letter.Runs;
using Letter.Tests.Models.Tiger;

namespace Letter.Tests.Runs;

/// <summary>The batched top-k of many users equals what <see cref="GenerativeRecommender.Recommend"/> answers for each user alone.</summary>
public class BulkRecommenderTests
{
    [Fact]
    public void Every_users_list_equals_the_one_by_one_answer_with_and_without_seen_items()
    {
        using var tmp = new TempDir();
        var dataDir = TinyTiger.WriteRuleDataset(tmp.File("data").Also(Directory.CreateDirectory), users: 40, items: 12, length: 6);
        var data = LetterDataset.Load(dataDir);
        var run = tmp.File("run");
        TigerTrainer.Train(data, data.Index!, TinyTiger.Config() with { Epochs = 1 }, run, options: new TigerTrainOptions { StopAfterSteps = 3 });
        using var opened = OpenedRun.Open(run, CheckpointChoice.Last);
        // users in an order of their own, with histories of several lengths (the batches group them by length)
        var users = data.Users.Select((u, i) => u with { Items = u.Items[..(2 + i % 5)] }).Reverse().ToList();
        foreach (bool excludeSeen in new[] { true, false })
        {
            var bulk = BulkRecommender.Recommend(opened.Recommender, opened.Ids, users, new BulkRecommendOptions(K: 4, ExcludeSeen: excludeSeen, BatchUsers: 3)).ToList();
            Assert.Equal(users.Select(u => u.UserId), bulk.Select(b => b.DenseUser));
            Assert.Equal(users.Select(u => u.UserId), bulk.Select(b => b.UserId)); // no user map: the inter file's keys
            for (int u = 0; u < users.Count; u++)
            {
                var alone = opened.Recommender.Recommend(users[u].Items, 4, new RecommendOptions(ExcludeHistory: excludeSeen))
                    .SelectMany(r => r.Items.Select(item => (Item: item, r.Score))).Take(4).ToList();
                Assert.Equal(alone.Select(a => a.Item), bulk[u].Items.Select(i => i.Item));
                Assert.Equal(Enumerable.Range(1, 4), bulk[u].Items.Select(i => i.Rank));
                Assert.Equal(alone.Select(a => a.Item.ToString()), bulk[u].Items.Select(i => i.ItemId));
                for (int i = 0; i < alone.Count; i++) Assert.Equal(alone[i].Score, bulk[u].Items[i].Score, 1e-5f);
                if (excludeSeen) Assert.Empty(bulk[u].Items.Select(i => i.Item).Intersect(users[u].Items));
            }
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => BulkRecommender.Recommend(opened.Recommender, opened.Ids, users, new BulkRecommendOptions(K: 0)));
    }

    [Fact]
    public void On_two_single_thread_lanes_bulk_lists_and_evaluation_ranks_equal_the_one_decoders()
    {
        using var tmp = new TempDir();
        var dataDir = TinyTiger.WriteRuleDataset(tmp.File("data").Also(Directory.CreateDirectory), users: 60, items: 12, length: 6);
        var data = LetterDataset.Load(dataDir);
        var run = tmp.File("run");
        TigerTrainer.Train(data, data.Index!, TinyTiger.Config() with { Epochs = 1 }, run, options: new TigerTrainOptions { StopAfterSteps = 3 });
        using (var opened = OpenedRun.Open(run, CheckpointChoice.Last))
        {
            var users = data.Users.Select((u, i) => u with { Items = u.Items[..(2 + i % 5)] }).ToList();
            var one = BulkRecommender.Recommend(opened.Recommender, opened.Ids, users, new BulkRecommendOptions(K: 4, BatchUsers: 3)).ToList();
            var lanes = BulkRecommender.Recommend(opened.Recommender, opened.Ids, users, new BulkRecommendOptions(K: 4, BatchUsers: 3, Lanes: 2)).ToList();
            for (int u = 0; u < users.Count; u++)
            {
                // 1-thread and 2-thread products differ in the last bits: the same items, scores within 1e-4
                Assert.Equal(one[u].Items.Select(i => i.Item), lanes[u].Items.Select(i => i.Item));
                for (int i = 0; i < one[u].Items.Count; i++) Assert.Equal(one[u].Items[i].Score, lanes[u].Items[i].Score, 1e-4f);
            }
            Assert.Throws<ArgumentOutOfRangeException>(() => BulkRecommender.Recommend(opened.Recommender, opened.Ids, users, new BulkRecommendOptions(Lanes: 0)));
        }
        var single = RunEvaluation.Evaluate(run, new RunEvaluationOptions(DataSplit.Test, Checkpoint: CheckpointChoice.Last, MetricsFile: tmp.File("one.json")));
        var onLanes = RunEvaluation.Evaluate(run, new RunEvaluationOptions(DataSplit.Test, Checkpoint: CheckpointChoice.Last, MetricsFile: tmp.File("lanes.json"), Lanes: 2));
        Assert.Equal(single.PerUser!.Select(r => (r.UserId, r.IdentifierRank, r.ItemRank)), onLanes.PerUser!.Select(r => (r.UserId, r.IdentifierRank, r.ItemRank)));
        Assert.Equal(single.IdentifierMatch, onLanes.IdentifierMatch);
    }
}

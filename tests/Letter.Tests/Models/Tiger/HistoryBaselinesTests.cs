using System.Text.Json;
using Letter.Data;
using Letter.Evaluation;

namespace Letter.Tests.Models.Tiger;

public class HistoryBaselinesTests
{
    [Fact]
    public void Popular_items_break_ties_by_id_and_the_recent_list_dedupes_newest_first_then_fills_with_popular_ones()
    {
        int[] popularity = [5, 9, 9, 1, 0];
        Assert.Equal([1, 2, 0], HistoryBaselines.PopularItems(popularity, 3));
        // history oldest first: 3, 1, 3, 4 -> newest distinct: 4, 3, 1; then popular 2 (1 is already listed)
        Assert.Equal([4, 3, 1, 2], HistoryBaselines.RecentThenPopularList([3, 1, 3, 4], [1, 2, 0], 4));
        Assert.Equal([4, 3], HistoryBaselines.RecentThenPopularList([3, 1, 3, 4], [1, 2, 0], 2));
        Assert.Equal([1, 2, 0], HistoryBaselines.RecentThenPopularList([], [1, 2, 0], 10));
    }

    [Fact]
    public void Baseline_metrics_match_hand_worked_ranks()
    {
        // 12 items; popularity makes items 0..9 the top ten in id order, 10 and 11 never seen in training.
        var popularity = Enumerable.Range(0, 12).Select(i => i < 10 ? 100 - i : 0).ToArray();
        var samples = new List<Sample>
        {
            new(0, [11, 10], 10),    // recent: [10, 11, 0..] -> rank 0; popular: absent
            new(1, [5, 11], 5),      // recent: [11, 5, ...] -> rank 1; popular: rank 5
            new(2, [11], 0),         // recent: [11, 0, ...] -> rank 1; popular: rank 0
            new(3, [1], 10),         // absent from both
        };
        var m = HistoryBaselines.Evaluate(samples, popularity);
        var recent = m[HistoryBaselines.RecentThenPopular];
        var popular = m[HistoryBaselines.MostPopular];
        Assert.Equal(0.25, recent.Recall(1), 12);
        Assert.Equal(0.75, recent.Recall(10), 12);
        Assert.Equal((1 + 2 / Math.Log2(3)) / 4, recent.Ndcg(10), 12);
        Assert.Equal(0.25, popular.Recall(1), 12);
        Assert.Equal(0.25, popular.Recall(5), 12);
        Assert.Equal(0.5, popular.Recall(10), 12);
        Assert.Equal((1 + 1 / Math.Log2(7)) / 4, popular.Ndcg(10), 12);
    }

    [Fact]
    public void Target_repeats_split_users_by_whether_the_target_is_in_the_history_and_reach_metrics_json()
    {
        var repeats = new TargetRepeats();
        repeats.Add(new Sample(0, [3, 4], 4), 0);   // repeat, hit at rank 0
        repeats.Add(new Sample(1, [3, 4], 3), -1);  // repeat, missed
        repeats.Add(new Sample(2, [3, 4], 7), 2);   // new, hit at rank 2
        Assert.Equal(3, repeats.Users);
        Assert.Equal(2.0 / 3, repeats.RepeatShare, 12);
        Assert.Equal(0.5, repeats.Repeat.Recall(1), 12);
        Assert.Equal(0.0, repeats.New.Recall(1), 12);
        Assert.Equal(1.0, repeats.New.Recall(5), 12);

        var e = new RecommenderEvaluation(DataSplit.Test, 3, 20, false, new RankingMetrics().ToDictionary(), new RankingMetrics().ToDictionary(), 1.0,
            Repeats: repeats, Baselines: HistoryBaselines.Evaluate([new Sample(0, [1], 1)], [0, 5]));
        using var json = JsonDocument.Parse(RecommenderEvaluator.ToJson(e));
        var byTarget = json.RootElement.GetProperty("by_target");
        Assert.Equal(2, byTarget.GetProperty("repeat").GetProperty("users").GetInt32());
        Assert.Equal(0.5, byTarget.GetProperty("repeat").GetProperty("recall@1").GetDouble(), 12);
        Assert.Equal(1, byTarget.GetProperty("new").GetProperty("users").GetInt32());
        Assert.Equal(1.0, json.RootElement.GetProperty("baselines").GetProperty("recent_then_popular").GetProperty("recall@1").GetDouble(), 12);
    }
}

using Letter.Data;
using Letter.Decoding;
using Letter.Evaluation;
using Letter.Recommender;
using static TorchSharp.torch;

namespace Letter.Tests.Recommender;

public class TigerEvaluatorTests
{
    [Fact]
    public void Identifier_and_item_match_ranks_and_metrics_match_a_hand_worked_ranking()
    {
        // items 0 and 1 share identifier A; item 2 has B; item 3 has C. Popularity: 1 > 0.
        var index = new ItemIndex([[0, 0], [0, 0], [0, 1], [1, 0]]);
        manual_seed(1);
        var model = new TigerModel(TinyTiger.Config(), TigerVocabulary.For(index).Size);
        using var r = new TigerRecommender(model, index, [1, 9, 0, 0]);
        var v = r.Vocabulary;
        Beam B(int item) => new([.. v.Identifier(index.Codes[item]), TigerVocabulary.Eos], 0);
        var beams = new[] { B(2), B(0), B(3) };          // generated identifiers: B, A, C
        // expanded item list: 2, then A's items by popularity (1, 0), then 3 -> [2, 1, 0, 3]
        Assert.Equal((1, 2), TigerEvaluator.Ranks(r, beams, 0)); // identifier rank 1, item rank 2
        Assert.Equal((1, 1), TigerEvaluator.Ranks(r, beams, 1));
        Assert.Equal((0, 0), TigerEvaluator.Ranks(r, beams, 2));
        Assert.Equal((2, 3), TigerEvaluator.Ranks(r, beams, 3));
        Assert.Equal((-1, -1), TigerEvaluator.Ranks(r, [B(2)], 3));

        var m = new RankingMetrics();
        foreach (var rank in new[] { 0, 2, 7, -1 }) m.Add(rank);
        Assert.Equal(0.25, m.Recall(1), 12);
        Assert.Equal(0.5, m.Recall(5), 12);
        Assert.Equal(0.75, m.Recall(10), 12);
        Assert.Equal((1 + 1 / Math.Log2(4)) / 4, m.Ndcg(5), 12);
        Assert.Equal((1 + 1 / Math.Log2(4) + 1 / Math.Log2(9)) / 4, m.Ndcg(10), 12);
    }
}

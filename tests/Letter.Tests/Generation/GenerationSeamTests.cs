using Letter.Data;
using Letter.Generation;
using Letter.Evaluation;

namespace Letter.Tests.Generation;

/// <summary>Beam search, recommendation and evaluation through the seam, with a generator that is not TIGER.</summary>
public class GenerationSeamTests
{
    // 2 levels x 3 codes; items 1 and 5 share an identifier
    private static readonly ItemIndex Index = new([[0, 0], [0, 1], [1, 2], [2, 0], [2, 2], [0, 1], [1, 0]]);

    private static (GenerativeRecommender Recommender, StubGenerator Stub) Make(int[]? popularity = null)
    {
        var stub = new StubGenerator(2, 3);
        return (new GenerativeRecommender(stub, new IdentifierCatalog(Index, popularity ?? [0, 0, 0, 0, 0, 9, 0], stub)), stub);
    }

    /// <summary>Every identifier of the index with its exact score for a user, best first.</summary>
    private static List<(int[] Tokens, double Score)> FullRanking(StubGenerator stub, int user, IEnumerable<int>? items = null) =>
        (items ?? Enumerable.Range(0, Index.ItemCount))
            .Select(i => new[] { stub.CodeToken(0, Index.Codes[i][0]), stub.CodeToken(1, Index.Codes[i][1]), stub.EndToken })
            .DistinctBy(t => string.Join(',', t))
            .Select(t => (t, stub.Score(user, t))).OrderByDescending(x => x.Item2).ToList();

    [Fact]
    public void A_beam_as_wide_as_the_catalogue_returns_every_identifier_in_the_order_and_with_the_scores_worked_out_by_hand()
    {
        var (recommender, stub) = Make();
        using var _ = recommender;
        var histories = new List<int[]> { new[] { 3, 1 }, new[] { 0 }, new[] { 6, 2, 4 }, new[] { 2, 2 } };
        var beams = recommender.Decode(histories, beam: 10, batchUsers: 2);
        for (int u = 0; u < histories.Count; u++)
        {
            var expected = FullRanking(stub, histories[u][0]);
            Assert.Equal(expected.Count, beams[u].Length); // 6 distinct identifiers
            for (int b = 0; b < expected.Count; b++)
            {
                Assert.Equal(expected[b].Tokens, beams[u][b].Tokens);
                Assert.Equal(expected[b].Score, beams[u][b].Score, 4);
            }
        }
        Assert.Equal(3, stub.Starts); // lengths 1, 2, 2, 3: batches {0}, {3, 1... } grouped by length, two per batch
    }

    [Fact]
    public void Evaluation_ranks_targets_by_identifier_and_by_item_as_worked_out_by_hand()
    {
        var (recommender, stub) = Make();
        using var _ = recommender;
        var samples = new List<Sample> { new(0, [3, 1], 4), new(1, [0], 5), new(2, [6, 2], 1), new(3, [2], 6) };
        var e = RecommenderEvaluator.Evaluate(recommender, samples, DataSplit.Test, batchUsers: 3);
        Assert.Equal(4, e.Users);
        Assert.True(e.IndexHasCollisions);
        for (int u = 0; u < samples.Count; u++)
        {
            var ranking = FullRanking(stub, samples[u].History[0]);
            var key = recommender.Catalog.KeyOfItem(samples[u].Target);
            int identifierRank = ranking.FindIndex(r => IdentifierCatalog.Key(r.Tokens.AsSpan(0, 2)) == key);
            // item match: identifiers expanded, shared ones most popular first (item 5 before item 1)
            var items = ranking.SelectMany(r => recommender.Catalog.ItemsOf(IdentifierCatalog.Key(r.Tokens.AsSpan(0, 2)))).ToList();
            Assert.Equal(identifierRank, e.PerUser[u].IdentifierRank);
            Assert.Equal(items.IndexOf(samples[u].Target), e.PerUser[u].ItemRank);
        }
        Assert.Equal([5, 1], recommender.Catalog.ItemsOf(recommender.Catalog.KeyOfItem(1)));
    }

    [Fact]
    public void Exclusions_are_applied_inside_the_search_so_k_items_still_come_back()
    {
        var (recommender, stub) = Make(popularity: [0, 0, 0, 0, 0, 0, 0]);
        using var _ = recommender;
        var history = new[] { 3, 0, 4 };
        // a beam of 3 with 3 excluded identifiers: filtering afterwards would leave nothing
        var recs = recommender.Recommend(history, 3, new RecommendOptions(Beam: 3, ExcludeHistory: true));
        var expected = FullRanking(stub, 3, Enumerable.Range(0, Index.ItemCount).Except(history)).Take(3).ToList();
        Assert.Equal(3, recs.Count);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(expected[i].Score, recs[i].Score, 4);
            Assert.DoesNotContain(recs[i].Items, history.Contains);
        }

        // an identifier shared by items 1 and 5 stays while one of them is allowed, and lists only that one
        var shared = recommender.Recommend([2], 6, new RecommendOptions(Beam: 6, Exclude: [1]));
        Assert.Equal(6, shared.Count);
        Assert.Equal([5], shared.Single(r => r.Items.Contains(5)).Items);
        var both = recommender.Recommend([2], 6, new RecommendOptions(Beam: 6, Exclude: [1, 5]));
        Assert.Equal(5, both.Count); // only 5 identifiers are left
        Assert.DoesNotContain(both, r => r.Items.Length == 0);
    }

    [Fact]
    public void A_candidate_list_admits_only_its_items_and_their_scores_are_unchanged()
    {
        var (recommender, stub) = Make();
        using var _ = recommender;
        var recs = recommender.Recommend([6], 4, new RecommendOptions(Beam: 2, Candidates: [0, 4, 6]));
        var expected = FullRanking(stub, 6, [0, 4, 6]);
        Assert.Equal(3, recs.Count); // 3 candidates, k 4: all of them
        Assert.Equal(expected.Select(x => x.Score), recs.Select(r => (double)r.Score), new Tolerance(1e-4));
        Assert.All(recs, r => Assert.Single(r.Items));
        Assert.Equal([0, 4, 6], recs.SelectMany(r => r.Items).Order());
    }

    [Fact]
    public void Bad_inputs_are_refused_with_the_item_named()
    {
        var (recommender, _) = Make();
        using var __ = recommender;
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => recommender.Recommend([], 3)).Message);
        Assert.Contains("item 7 is not in the catalogue (7 items)", Assert.Throws<ArgumentOutOfRangeException>(() => recommender.Recommend([7], 3)).Message);
        Assert.Contains("item -1", Assert.Throws<ArgumentOutOfRangeException>(() => recommender.Recommend([1], 3, new RecommendOptions(Exclude: [-1]))).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => recommender.Recommend([1], 0));
    }

    private sealed class Tolerance(double eps) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= eps;
        public int GetHashCode(double x) => 0;
    }
}

using Letter.Data;

namespace Letter.Evaluation;

/// <summary>
/// Model-free reference points under the same full-ranking protocol, so a model's numbers can be read
/// against what the data gives for free. "most_popular": the items most frequent in training, the same
/// list for every user. "recent_then_popular": the user's own history, most recent distinct item first,
/// then the most popular items not in it. The second matters where people return to items (on Yelp
/// 6.5% of test targets are already in the last 20 items; on Instruments none are).
/// </summary>
public static class HistoryBaselines
{
    public const string MostPopular = "most_popular";
    public const string RecentThenPopular = "recent_then_popular";

    /// <summary>Metrics of both baselines on <paramref name="samples"/>; <paramref name="popularity"/> counts training occurrences per item.</summary>
    public static IReadOnlyDictionary<string, RankingMetrics> Evaluate(IReadOnlyList<Sample> samples, int[] popularity)
    {
        int k = RankingMetrics.DefaultRecallKs.Concat(RankingMetrics.DefaultNdcgKs).Max();
        var popular = PopularItems(popularity, k);
        var byPopularity = new RankingMetrics();
        var byRecency = new RankingMetrics();
        foreach (var s in samples)
        {
            byPopularity.Add(Array.IndexOf(popular, s.Target));
            byRecency.Add(RecentThenPopularList(s.History, popular, k).IndexOf(s.Target));
        }
        return new Dictionary<string, RankingMetrics> { [MostPopular] = byPopularity, [RecentThenPopular] = byRecency };
    }

    /// <summary>The <paramref name="k"/> most popular items, ties broken by the smaller id.</summary>
    public static int[] PopularItems(int[] popularity, int k) =>
        Enumerable.Range(0, popularity.Length).OrderByDescending(i => popularity[i]).ThenBy(i => i).Take(k).ToArray();

    /// <summary>Distinct history items from the newest back, then <paramref name="popular"/> items not yet listed; at most <paramref name="k"/>.</summary>
    public static List<int> RecentThenPopularList(int[] history, int[] popular, int k)
    {
        var list = new List<int>(k);
        for (int i = history.Length - 1; i >= 0 && list.Count < k; i--)
            if (!list.Contains(history[i])) list.Add(history[i]);
        foreach (var item in popular)
        {
            if (list.Count >= k) break;
            if (!list.Contains(item)) list.Add(item);
        }
        return list;
    }
}

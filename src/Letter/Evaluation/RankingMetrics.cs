namespace Letter.Evaluation;

/// <summary>
/// Full-ranking leave-one-out metrics with one target per user: Recall@K is 1 when the target is in
/// the top K; NDCG@K is 1 / log2(rank + 2) for a 0-based rank below K (the ideal DCG is 1).
/// Accumulate one rank per user (-1 when the target is not ranked at all), then read the means.
/// </summary>
public sealed class RankingMetrics
{
    public static readonly int[] DefaultRecallKs = [1, 5, 10];
    public static readonly int[] DefaultNdcgKs = [5, 10];

    private readonly int[] _recallKs;
    private readonly int[] _ndcgKs;
    private readonly double[] _recall;
    private readonly double[] _ndcg;

    public RankingMetrics(IReadOnlyList<int>? recallKs = null, IReadOnlyList<int>? ndcgKs = null)
    {
        _recallKs = (recallKs ?? DefaultRecallKs).ToArray();
        _ndcgKs = (ndcgKs ?? DefaultNdcgKs).ToArray();
        _recall = new double[_recallKs.Length];
        _ndcg = new double[_ndcgKs.Length];
    }

    public int Count { get; private set; }

    /// <summary>Adds one user's result: the 0-based rank of the target, or -1 if it is not in the list.</summary>
    public void Add(int rank)
    {
        Count++;
        for (int i = 0; i < _recallKs.Length; i++) _recall[i] += RecallGain(rank, _recallKs[i]);
        for (int i = 0; i < _ndcgKs.Length; i++) _ndcg[i] += NdcgGain(rank, _ndcgKs[i]);
    }

    /// <summary>One user's Recall@K: 1 when the 0-based <paramref name="rank"/> is below K, else 0 (also for -1, not ranked).</summary>
    public static double RecallGain(int rank, int k) => rank >= 0 && rank < k ? 1 : 0;

    /// <summary>One user's NDCG@K with one target (ideal DCG 1): 1 / log2(rank + 2) below K, else 0.</summary>
    public static double NdcgGain(int rank, int k) => rank >= 0 && rank < k ? 1.0 / Math.Log2(rank + 2) : 0;

    public void Merge(RankingMetrics other)
    {
        if (!other._recallKs.SequenceEqual(_recallKs) || !other._ndcgKs.SequenceEqual(_ndcgKs))
            throw new ArgumentException("metrics with different cut-offs cannot be merged");
        Count += other.Count;
        for (int i = 0; i < _recall.Length; i++) _recall[i] += other._recall[i];
        for (int i = 0; i < _ndcg.Length; i++) _ndcg[i] += other._ndcg[i];
    }

    public double Recall(int k) => Mean(_recall[Array.IndexOf(_recallKs, k) is var i and >= 0 ? i : throw Missing("recall", k)]);

    public double Ndcg(int k) => Mean(_ndcg[Array.IndexOf(_ndcgKs, k) is var i and >= 0 ? i : throw Missing("ndcg", k)]);

    /// <summary>The metrics under the keys <c>recall@K</c> and <c>ndcg@K</c>, in cut-off order.</summary>
    public IReadOnlyDictionary<string, double> ToDictionary()
    {
        var d = new Dictionary<string, double>();
        foreach (var k in _recallKs) d[$"recall@{k}"] = Recall(k);
        foreach (var k in _ndcgKs) d[$"ndcg@{k}"] = Ndcg(k);
        return d;
    }

    private double Mean(double sum) => Count == 0 ? 0 : sum / Count;

    private static ArgumentException Missing(string what, int k) => new($"{what}@{k} was not requested");
}

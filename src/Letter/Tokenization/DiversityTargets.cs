using Letter.Common;

namespace Letter.Tokenization;

/// <summary>
/// The per-epoch clustering of every codebook's codes (K size-constrained groups) and the sampling
/// of diversity-loss positives: for a chosen code, a uniformly drawn other code of its group.
/// </summary>
public sealed class DiversityTargets
{
    private readonly int[][] _labels;     // [level][code] -> cluster
    private readonly int[][][] _members;  // [level][cluster] -> codes, ascending
    private readonly int[][] _position;   // [level][code] -> index within its cluster's members
    private readonly SplitMix64 _rng;

    public DiversityTargets(int[][] labels, ulong seed)
    {
        _labels = labels;
        _rng = new SplitMix64(seed);
        _members = new int[labels.Length][][];
        _position = new int[labels.Length][];
        for (int l = 0; l < labels.Length; l++)
        {
            int clusters = labels[l].Max() + 1;
            var lists = Enumerable.Range(0, clusters).Select(_ => new List<int>()).ToArray();
            _position[l] = new int[labels[l].Length];
            for (int code = 0; code < labels[l].Length; code++)
            {
                _position[l][code] = lists[labels[l][code]].Count;
                lists[labels[l][code]].Add(code);
            }
            if (lists.Any(g => g.Count < 2))
                throw new ArgumentException($"level {l}: every diversity cluster needs at least 2 codes");
            _members[l] = lists.Select(g => g.ToArray()).ToArray();
        }
    }

    public IReadOnlyList<int[]> Labels => _labels;

    /// <summary>
    /// Clusters every codebook [K, Dz] into <paramref name="clusters"/> groups with the original's
    /// bounds (trainer.py constrained_km): size_min = min(K / (2 clusters), 10), size_max = 6 clusters.
    /// </summary>
    public static DiversityTargets Cluster(IReadOnlyList<float[]> codebooks, int dim, int clusters,
        int restarts, int iterations, ulong seed, bool exact = true)
    {
        var labels = new int[codebooks.Count][];
        for (int l = 0; l < codebooks.Count; l++)
        {
            int k = codebooks[l].Length / dim;
            int sizeMin = Math.Max(2, Math.Min(k / (clusters * 2), 10));
            int sizeMax = clusters * 6;
            labels[l] = SizeConstrainedKMeans.Fit(codebooks[l], k, dim, clusters, sizeMin, sizeMax,
                restarts, iterations, seed + (ulong)l * 7919, exact).Labels;
        }
        return new DiversityTargets(labels, seed ^ 0x5DEECE66DUL);
    }

    /// <summary>A same-cluster code other than each chosen code.</summary>
    public long[] SamplePositives(int level, ReadOnlySpan<long> codes)
    {
        var result = new long[codes.Length];
        for (int i = 0; i < codes.Length; i++)
        {
            int code = (int)codes[i];
            var group = _members[level][_labels[level][code]];
            int j = _rng.Next(group.Length - 1);
            if (j >= _position[level][code]) j++; // skip the chosen code itself
            result[i] = group[j];
        }
        return result;
    }
}

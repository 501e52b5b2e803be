namespace Letter.Data;

/// <summary>Per-level code usage of an index: how many codes are used, their entropy and the largest group.</summary>
public sealed record LevelUsage(int Level, int CodesUsed, int CodebookSize, double EntropyBits, double MaxEntropyBits, int LargestGroup);

/// <summary>
/// How well identifiers separate items: distinct identifiers, collision rate (1 - distinct / items),
/// the largest group of items sharing one identifier, per-level code usage and the number of
/// distinct prefixes of each length (the branching of the identifier tree).
/// </summary>
public sealed record IndexStatistics(
    int Items,
    int Distinct,
    double CollisionRate,
    int MaxGroup,
    int CollidingItems,
    IReadOnlyList<LevelUsage> PerLevel,
    IReadOnlyList<int> DistinctPrefixes)
{
    public static IndexStatistics Compute(int[][] codes, IReadOnlyList<int>? codebookSizes = null)
    {
        int n = codes.Length, levels = codes[0].Length;
        var groups = new Dictionary<string, int>(n);
        foreach (var c in codes)
        {
            var key = string.Join(',', c);
            groups[key] = groups.GetValueOrDefault(key) + 1;
        }
        int colliding = groups.Values.Where(g => g > 1).Sum();

        var perLevel = new List<LevelUsage>(levels);
        for (int l = 0; l < levels; l++)
        {
            var counts = new Dictionary<int, int>();
            foreach (var c in codes) counts[c[l]] = counts.GetValueOrDefault(c[l]) + 1;
            double entropy = 0;
            foreach (var k in counts.Values)
            {
                double p = (double)k / n;
                entropy -= p * Math.Log2(p);
            }
            int size = codebookSizes?[l] ?? (counts.Keys.Max() + 1);
            perLevel.Add(new LevelUsage(l, counts.Count, size, entropy, Math.Log2(size), counts.Values.Max()));
        }

        var prefixes = new List<int>(levels);
        for (int len = 1; len <= levels; len++)
        {
            var set = new HashSet<string>();
            foreach (var c in codes) set.Add(string.Join(',', c.Take(len)));
            prefixes.Add(set.Count);
        }
        return new IndexStatistics(n, groups.Count, 1.0 - (double)groups.Count / n, groups.Values.Max(), colliding, perLevel, prefixes);
    }
}

namespace Letter.Generation;

/// <summary>Indices grouped by input length, so that a batch holds one length and nothing is padded.</summary>
public static class LengthGroups
{
    /// <summary>Consecutive batches in input order within each length, shortest length first (for decoding and evaluation).</summary>
    public static List<int[]> Sequential(IReadOnlyList<int> lengths, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var batches = new List<int[]>();
        foreach (var group in Groups(lengths))
            for (int i = 0; i < group.Count; i += batchSize)
                batches.Add(group.GetRange(i, Math.Min(batchSize, group.Count - i)).ToArray());
        return batches;
    }

    /// <summary>Indices by length, shortest length first, each group in input order.</summary>
    public static List<List<int>> Groups(IReadOnlyList<int> lengths)
    {
        var groups = new SortedDictionary<int, List<int>>();
        for (int i = 0; i < lengths.Count; i++)
        {
            if (!groups.TryGetValue(lengths[i], out var g)) groups[lengths[i]] = g = [];
            g.Add(i);
        }
        return groups.Values.ToList();
    }
}

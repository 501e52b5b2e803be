using Letter.Common;
using Letter.Generation;

namespace Letter.Training;

/// <summary>
/// Batches of samples that share one input length, so nothing is padded: samples are grouped by
/// length, each group shuffled and cut into batches, and the batches shuffled. The plan of an epoch
/// depends only on (seed, epoch), so a resumed run replays it exactly. <see cref="RandomPlan"/> is
/// the padded alternative.
/// </summary>
public static class LengthBatcher
{
    public static List<int[]> Plan(IReadOnlyList<int> lengths, int batchSize, int seed, int epoch)
    {
        var rng = EpochRandom(seed, epoch);
        var batches = new List<int[]>();
        foreach (var group in Groups(lengths))
        {
            rng.Shuffle(group);
            for (int i = 0; i < group.Count; i += batchSize)
                batches.Add(group.GetRange(i, Math.Min(batchSize, group.Count - i)).ToArray());
        }
        rng.Shuffle(batches);
        return batches;
    }

    /// <summary>
    /// Batches drawn from all samples regardless of length (to be padded to their longest), as a
    /// shuffling data loader makes them; also a function of (seed, epoch) only.
    /// </summary>
    public static List<int[]> RandomPlan(int count, int batchSize, int seed, int epoch)
    {
        var rng = EpochRandom(seed, epoch);
        var order = Enumerable.Range(0, count).ToList();
        rng.Shuffle(order);
        return order.Chunk(batchSize).ToList();
    }

    /// <summary>The plan of one epoch for the chosen batching.</summary>
    public static List<int[]> Plan(IReadOnlyList<int> lengths, SampleBatching batching, int batchSize, int seed, int epoch) =>
        batching == SampleBatching.Random ? RandomPlan(lengths.Count, batchSize, seed, epoch) : Plan(lengths, batchSize, seed, epoch);

    /// <summary>The generator of one epoch's plan: a function of (seed, epoch) only, so a resumed run replays it.</summary>
    private static SplitMix64 EpochRandom(int seed, int epoch) =>
        new(unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)epoch + 1));

    /// <summary>Batches per epoch (the same for every epoch).</summary>
    public static int BatchCount(IReadOnlyList<int> lengths, int batchSize, SampleBatching batching = SampleBatching.ByLength) =>
        batching == SampleBatching.Random
            ? (lengths.Count + batchSize - 1) / batchSize
            : Groups(lengths).Sum(g => (g.Count + batchSize - 1) / batchSize);

    private static List<List<int>> Groups(IReadOnlyList<int> lengths) => LengthGroups.Groups(lengths);
}

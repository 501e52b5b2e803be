using Letter.Common;
using Letter.Tokenization;

namespace Letter.Tests.Tokenization;

public class MinCostAssignmentTests
{
    /// <summary>Every labelling within the bounds, the cheapest kept: the independent reference.</summary>
    private static double BruteForceOptimum(float[] dist, int n, int k, int sizeMin, int sizeMax)
    {
        double best = double.PositiveInfinity;
        var labels = new int[n];
        var counts = new int[k];
        long total = (long)Math.Pow(k, n);
        for (long code = 0; code < total; code++)
        {
            Array.Clear(counts);
            long rest = code;
            for (int i = 0; i < n; i++) { labels[i] = (int)(rest % k); rest /= k; counts[labels[i]]++; }
            if (counts.Any(c => c < sizeMin || c > sizeMax)) continue;
            best = Math.Min(best, MinCostAssignment.Cost(dist, k, labels));
        }
        return best;
    }

    private static float[] RandomDistances(SplitMix64 rng, int n, int k, bool integers)
    {
        var d = new float[n * k];
        for (int i = 0; i < d.Length; i++) d[i] = integers ? rng.Next(4) : (float)rng.NextDouble() * 10;
        return d;
    }

    private static void AssertWithinBounds(int[] labels, int k, int sizeMin, int sizeMax)
    {
        var counts = new int[k];
        foreach (int c in labels) counts[c]++;
        Assert.All(counts, c => Assert.InRange(c, sizeMin, sizeMax));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // integer distances: many ties
    public void Matches_the_brute_force_optimum_on_small_problems(bool integers)
    {
        var rng = new SplitMix64(11);
        for (int trial = 0; trial < 60; trial++)
        {
            int k = 2 + rng.Next(3), n = k + rng.Next(9 - k);
            int sizeMin = rng.Next(n / k + 1);
            int sizeMax = Math.Max((n + k - 1) / k, sizeMin) + rng.Next(3);
            var dist = RandomDistances(rng, n, k, integers);
            var labels = MinCostAssignment.Solve(dist, n, k, sizeMin, sizeMax);
            AssertWithinBounds(labels, k, sizeMin, sizeMax);
            Assert.Equal(BruteForceOptimum(dist, n, k, sizeMin, sizeMax), MinCostAssignment.Cost(dist, k, labels), 6);
        }
    }

    [Fact]
    public void Binding_bounds_move_points_away_from_their_nearest_cluster()
    {
        // Four points all nearest to cluster 0, but each cluster must take exactly two.
        float[] dist =
        [
            0, 5,
            0, 1,
            0, 9,
            0, 2,
        ];
        var labels = MinCostAssignment.Solve(dist, 4, 2, 2, 2);
        Assert.Equal([0, 1, 0, 1], labels); // the two cheapest to move (costs 1 and 2) move
    }

    [Fact]
    public void Never_costs_more_than_the_greedy_assignment_and_is_deterministic()
    {
        var rng = new SplitMix64(5);
        int n = 1500, k = 24;
        var dist = RandomDistances(rng, n, k, integers: false);
        var exact = MinCostAssignment.Solve(dist, n, k, 40, 90);
        var greedy = SizeConstrainedKMeans.AssignBounded(dist, n, k, 40, 90);
        AssertWithinBounds(exact, k, 40, 90);
        Assert.True(MinCostAssignment.Cost(dist, k, exact) <= MinCostAssignment.Cost(dist, k, greedy) + 1e-6);
        Assert.Equal(exact, MinCostAssignment.Solve(dist, n, k, 40, 90));
    }

    [Fact]
    public void Impossible_bounds_are_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => MinCostAssignment.Solve(new float[10], 5, 2, 3, 4));
        Assert.Contains("cannot put 5 points into 2 clusters of 3 to 4", e.Message);
    }
}

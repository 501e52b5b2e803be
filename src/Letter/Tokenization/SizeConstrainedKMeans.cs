using Letter.Common;
using static TorchSharp.torch;

namespace Letter.Tokenization;

/// <summary>Centres [K, Dim] (row-major), the label of every point and the sum of squared distances.</summary>
public sealed record KMeansResult(float[] Centers, int[] Labels, int K, int Dim, double Inertia);

/// <summary>
/// k-means whose cluster sizes stay within [sizeMin, sizeMax], with the outer loop of the
/// k-means-constrained package that the original calls: k-means++ starts, <c>restarts</c> runs of
/// at most <c>iterations</c> Lloyd rounds, the run with the lowest inertia wins. The size-bounded
/// assignment is the exact min-cost one (<see cref="MinCostAssignment"/>, as the package's min-cost
/// flow) or, when <c>exact</c> is false, a faster greedy one (<see cref="AssignBounded"/>); distances
/// are one matrix product per round.
/// </summary>
public static class SizeConstrainedKMeans
{
    /// <param name="data">points [n, dim], row-major</param>
    public static KMeansResult Fit(float[] data, int n, int dim, int k, int sizeMin, int sizeMax,
        int restarts, int iterations, ulong seed, bool exact = true)
    {
        if (n <= 0 || k <= 0) throw new ArgumentOutOfRangeException(nameof(k), "needs points and clusters");
        if (n < k)
        {
            // Fewer points than codes: every point is a centre, the rest repeat them.
            var few = new float[k * dim];
            for (int c = 0; c < k; c++) Array.Copy(data, (c % n) * dim, few, c * dim, dim);
            return new KMeansResult(few, Enumerable.Range(0, n).ToArray(), k, dim, 0);
        }
        sizeMin = Math.Clamp(sizeMin, 0, n / k);
        sizeMax = Math.Max(sizeMax, (n + k - 1) / k);

        int[] Assign(float[] dist) =>
            exact ? MinCostAssignment.Solve(dist, n, k, sizeMin, sizeMax) : AssignBounded(dist, n, k, sizeMin, sizeMax);

        using var scope = NewDisposeScope();
        bool large = (long)n * k * dim > 4_000_000;
        var points = large ? tensor(data, [n, dim]) : null;
        var pointNorms = points?.Squared().sum(1, keepdim: true); // [n, 1]
        var rng = new SplitMix64(seed);
        KMeansResult? best = null;
        for (int run = 0; run < restarts; run++)
        {
            var centers = PlusPlus(data, n, dim, k, rng);
            int[] labels = [];
            float[] dist = [];
            for (int it = 0; it < iterations; it++)
            {
                dist = Distances(data, n, points, pointNorms, centers, k, dim);
                labels = Assign(dist);
                var updated = Means(data, n, dim, k, labels, centers);
                bool same = updated.AsSpan().SequenceEqual(centers);
                centers = updated;
                if (same) break;
            }
            dist = Distances(data, n, points, pointNorms, centers, k, dim);
            labels = Assign(dist);
            double inertia = MinCostAssignment.Cost(dist, k, labels);
            if (best is null || inertia < best.Inertia) best = new KMeansResult(centers, labels, k, dim, inertia);
        }
        return best!;
    }

    /// <summary>
    /// Greedy size-bounded assignment. Points in order of their distance to their nearest centre
    /// take the nearest centre that still has room (at most <paramref name="sizeMax"/>); then each
    /// cluster below <paramref name="sizeMin"/> takes, one at a time, the point nearest to it among
    /// points whose cluster holds more than sizeMin. Deterministic (ties by index).
    /// </summary>
    /// <param name="dist">squared distances [n, k], row-major</param>
    public static int[] AssignBounded(float[] dist, int n, int k, int sizeMin, int sizeMax)
    {
        if ((long)k * sizeMax < n || (long)k * sizeMin > n)
            throw new ArgumentException($"cannot put {n} points into {k} clusters of {sizeMin} to {sizeMax}");
        var nearest = new float[n];
        for (int i = 0; i < n; i++)
        {
            float m = float.PositiveInfinity;
            for (int c = 0; c < k; c++) m = Math.Min(m, dist[i * k + c]);
            nearest[i] = m;
        }
        var order = Enumerable.Range(0, n).ToArray();
        Array.Sort(nearest.ToArray(), order);
        var counts = new int[k];
        var labels = new int[n];
        foreach (int i in order)
        {
            int bestC = -1;
            float bestD = float.PositiveInfinity;
            for (int c = 0; c < k; c++)
            {
                if (counts[c] >= sizeMax) continue;
                float d = dist[i * k + c];
                if (bestC < 0 || d < bestD) { bestC = c; bestD = d; }
            }
            labels[i] = bestC;
            counts[bestC]++;
        }
        for (int c = 0; c < k; c++)
        {
            while (counts[c] < sizeMin)
            {
                int pick = -1;
                float pickD = float.PositiveInfinity;
                for (int i = 0; i < n; i++)
                {
                    if (labels[i] == c || counts[labels[i]] <= sizeMin) continue;
                    float d = dist[i * k + c];
                    if (pick < 0 || d < pickD) { pick = i; pickD = d; }
                }
                counts[labels[pick]]--;
                labels[pick] = c;
                counts[c]++;
            }
        }
        return labels;
    }

    private static float[] Distances(float[] data, int n, Tensor? points, Tensor? pointNorms, float[] centers, int k, int dim)
    {
        if (points is null || pointNorms is null)
        {
            // Small problems (the per-epoch clustering of 256 codes) are faster without tensor round trips.
            var result = new float[n * k];
            for (int i = 0; i < n; i++)
                for (int c = 0; c < k; c++)
                    result[i * k + c] = (float)SquaredDistance(data, i * dim, centers, c * dim, dim);
            return result;
        }
        using var scope = NewDisposeScope();
        var cs = tensor(centers, [k, dim]);
        var d = pointNorms.Plus(cs.Squared().sum(1).unsqueeze(0)) - points.matmul(cs.t()).Times(2L); // [n, k]
        return d.contiguous().data<float>().ToArray();
    }

    private static float[] Means(float[] data, int n, int dim, int k, int[] labels, float[] previous)
    {
        var sums = new double[k * dim];
        var counts = new int[k];
        for (int i = 0; i < n; i++)
        {
            int c = labels[i];
            counts[c]++;
            for (int j = 0; j < dim; j++) sums[c * dim + j] += data[i * dim + j];
        }
        var centers = new float[k * dim];
        for (int c = 0; c < k; c++)
            for (int j = 0; j < dim; j++)
                centers[c * dim + j] = counts[c] == 0 ? previous[c * dim + j] : (float)(sums[c * dim + j] / counts[c]);
        return centers;
    }

    /// <summary>k-means++ seeding: each next centre drawn with probability proportional to D(x)^2.</summary>
    private static float[] PlusPlus(float[] data, int n, int dim, int k, SplitMix64 rng)
    {
        var centers = new float[k * dim];
        var d2 = new double[n];
        int first = rng.Next(n);
        Array.Copy(data, first * dim, centers, 0, dim);
        for (int i = 0; i < n; i++) d2[i] = SquaredDistance(data, i * dim, centers, 0, dim);
        var cumulative = new double[n];
        for (int c = 1; c < k; c++)
        {
            double total = 0;
            for (int i = 0; i < n; i++) { total += d2[i]; cumulative[i] = total; }
            int pick = total > 0 ? rng.PickWeighted(cumulative) : rng.Next(n);
            Array.Copy(data, pick * dim, centers, c * dim, dim);
            for (int i = 0; i < n; i++) d2[i] = Math.Min(d2[i], SquaredDistance(data, i * dim, centers, c * dim, dim));
        }
        return centers;
    }

    private static double SquaredDistance(float[] a, int aOffset, float[] b, int bOffset, int dim)
    {
        double s = 0;
        for (int j = 0; j < dim; j++)
        {
            double t = a[aOffset + j] - b[bOffset + j];
            s += t * t;
        }
        return s;
    }
}

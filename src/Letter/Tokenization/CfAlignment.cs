using TorchSharp;
using Letter.Common;
using Letter.IO;
using static TorchSharp.torch;

namespace Letter.Tokenization;

/// <summary>Collaborative alignment of identifiers (see <see cref="CfAlignment.Compute"/>).</summary>
/// <param name="NeighbourFirstCodeShare">share of items whose nearest CF neighbour has the same first-level code</param>
/// <param name="ChanceShare">the same share expected if first codes were shuffled among items (sum over codes of p_c^2, with p_c from the counts excluding the item itself)</param>
/// <param name="NeighbourPrefix2Share">share of items whose nearest CF neighbour has the same first two codes</param>
/// <param name="MeanCosine">mean cosine between z_q and the CF embedding of the same item (null without z_q or when dimensions differ)</param>
public sealed record CfAlignmentResult(double NeighbourFirstCodeShare, double ChanceShare, double NeighbourPrefix2Share, double? MeanCosine);

/// <summary>How well identifiers follow the collaborative (CF) embedding space.</summary>
public static class CfAlignment
{
    /// <summary>The smallest norm a row is divided by (a static scalar: Common/TorchScalars).</summary>
    private static readonly TorchSharp.Scalar NormFloor = 1e-12.ToScalar();

    /// <summary>
    /// For every item i, its nearest CF neighbour j != i is the item of highest cosine similarity
    /// between CF embeddings (ties: lowest index; zero vectors have cosine 0 to everything). The
    /// neighbour share is the fraction of items i whose neighbour j has the same first-level code
    /// (codes[i][0] == codes[j][0]); pairs are directed, so a mutual pair counts twice. With
    /// <paramref name="quantized"/> (z_q [N, Dz], Dz equal to the CF dimension), it also returns the mean
    /// over items of cos(z_q[i], cf[i]).
    /// </summary>
    public static CfAlignmentResult Compute(int[][] codes, FloatMatrix cf, FloatMatrix? quantized = null)
    {
        int n = codes.Length;
        if (cf.Rows != n) throw new ArgumentException($"CF embeddings have {cf.Rows} rows for {n} items");
        if (n < 2) throw new ArgumentException("needs at least 2 items");
        var neighbour = NearestNeighbours(cf);
        int same1 = 0, same2 = 0;
        for (int i = 0; i < n; i++)
        {
            int j = neighbour[i];
            if (codes[i][0] == codes[j][0])
            {
                same1++;
                if (codes[i].Length < 2 || codes[i][1] == codes[j][1]) same2++;
            }
        }
        var counts = codes.GroupBy(c => c[0]).Select(g => (double)g.Count()).ToArray();
        double chance = counts.Sum(c => c * (c - 1)) / ((double)n * (n - 1));

        double? cosine = null;
        if (quantized is not null && quantized.Cols == cf.Cols && quantized.Rows == n)
        {
            double sum = 0;
            for (int i = 0; i < n; i++) sum += Cosine(quantized.Row(i), cf.Row(i));
            cosine = sum / n;
        }
        return new CfAlignmentResult((double)same1 / n, chance, (double)same2 / n, cosine);
    }

    /// <summary>Index of each row's most cosine-similar other row.</summary>
    public static int[] NearestNeighbours(FloatMatrix m, int block = 2048)
    {
        using var _ = no_grad();
        using var outer = NewDisposeScope();
        var all = tensor(m.Data, [m.Rows, m.Cols]);
        var unit = all / all.norm(1, keepdim: true).clamp_min(NormFloor); // [N, D]
        var result = new int[m.Rows];
        for (int start = 0; start < m.Rows; start += block)
        {
            using var scope = NewDisposeScope();
            int count = Math.Min(block, m.Rows - start);
            var sims = unit.narrow(0, start, count).matmul(unit.t()); // [b, N]
            var self = KeptScalarMath.Range(start, start + count, ScalarType.Int64).unsqueeze(1);
            sims = sims.scatter(1, self, full(count, 1, TorchScalars.NegativeInfinity));
            // argmax returns the first maximum, so ties go to the lowest index.
            var best = sims.argmax(1).data<long>().ToArray();
            for (int i = 0; i < count; i++) result[start + i] = (int)best[i];
        }
        return result;
    }

    private static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int k = 0; k < a.Length; k++)
        {
            dot += a[k] * b[k];
            na += a[k] * a[k];
            nb += b[k] * b[k];
        }
        return na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
    }
}

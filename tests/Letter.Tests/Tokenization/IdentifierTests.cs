using Letter.IO;
using Letter.Tokenization;
using static TorchSharp.torch;

namespace Letter.Tests.Tokenization;

public class IdentifierTests
{
    [Fact]
    public void Assign_HundredIdenticalVectors_GetHundredDistinctIdentifiers()
    {
        var config = TinyTokenizer.Config;
        var codebooks = Enumerable.Range(0, 3).Select(l => TinyTokenizer.Random(8, 4, (ulong)(20 + l)).Data).ToArray();
        var latents = new float[100 * 4];
        for (int i = 0; i < 100; i++) latents.AsSpan(i * 4, 4).Fill(0.3f);
        var result = IdentifierAssigner.Assign(latents, 100, codebooks, 4, config);
        Assert.Single(result.Nearest.Select(CollisionResolver.Key).Distinct());
        Assert.Equal(100, result.Final.Select(CollisionResolver.Key).Distinct().Count());
        // 8 last-level codes cannot hold 100 items: the resolver must climb to level 2 and then to level 1.
        Assert.NotNull(result.Resolution);
        Assert.Equal(99, result.Resolution!.ItemsChanged);
        Assert.True(result.Resolution.ChangedAtLevel[0] > 0);
        Assert.All(result.Final, c => Assert.All(c, code => Assert.InRange(code, 0, 7)));
    }

    [Fact]
    public void Resolve_KeepsUniqueItemsAndPrefixesWhenTheLastLevelHasRoom()
    {
        var codebooks = Enumerable.Range(0, 2).Select(l => TinyTokenizer.Random(8, 4, (ulong)(30 + l)).Data).ToArray();
        var latents = TinyTokenizer.Random(4, 4, 3).Data;
        int[][] codes = [[1, 2], [1, 2], [3, 4], [1, 2]];
        var r = CollisionResolver.Resolve(codes, latents, codebooks, 4);
        Assert.Equal([3, 4], r.Codes[2]);
        Assert.All(new[] { 0, 1, 3 }, i => Assert.Equal(1, r.Codes[i][0]));
        Assert.Equal(3, r.Codes.Select(CollisionResolver.Key).Where(k => k.StartsWith("1,")).Distinct().Count());
        Assert.Equal([0, 2], r.ChangedAtLevel);
    }

    [Fact]
    public void Resolve_AvoidsOccupiedIdentifiers()
    {
        var codebooks = new[] { TinyTokenizer.Random(4, 2, 1).Data };
        var latents = TinyTokenizer.Random(2, 2, 2).Data;
        var r = CollisionResolver.Resolve([[0], [1]], latents, codebooks, 2, new HashSet<string> { "0", "2" });
        Assert.Equal(2, r.Codes.Select(c => c[0]).Distinct().Count());
        Assert.All(r.Codes, c => Assert.True(c[0] is 1 or 3));
    }

    [Fact]
    public void Train_SameSeedTwice_GivesIdenticalIdentifiers()
    {
        var x = TinyTokenizer.Random(64, 6, 42);
        var cf = TinyTokenizer.Random(64, 4, 43);
        int[][] Run()
        {
            var result = TokenizerTrainer.Train(x, cf, TinyTokenizer.Config, progress: null);
            using var model = result.Model;
            var latents = model.EncodeAll(x.Data, x.Rows);
            return IdentifierAssigner.Assign(latents, x.Rows, TokenizerTrainer.Codebooks(model), 4, TinyTokenizer.Config).Final;
        }
        var first = Run();
        var second = Run();
        Assert.Equal(first.Select(CollisionResolver.Key), second.Select(CollisionResolver.Key));
        Assert.Equal(64, first.Select(CollisionResolver.Key).Distinct().Count());
    }

    [Fact]
    public void Train_LossDecreases_AndCurveIsRecorded()
    {
        var x = TinyTokenizer.Random(64, 6, 42);
        var cf = TinyTokenizer.Random(64, 4, 43);
        var result = TokenizerTrainer.Train(x, cf, TinyTokenizer.Config with { MaxEpochs = 12, MinEpochs = 12 }, progress: null);
        var expectedCodesUsed = BruteForceCodesUsed(result.Model.EncodeAll(x.Data, x.Rows), TokenizerTrainer.Codebooks(result.Model), result.Model.LatentDim);
        result.Model.Dispose();
        Assert.Equal(12, result.Curve.Count);
        Assert.Equal(expectedCodesUsed, result.Curve[^1].CodesUsed);
        Assert.True(result.Curve[^1].Reconstruction < result.Curve[0].Reconstruction);
        Assert.All(result.Curve, c => Assert.NotNull(c.CollisionRate));
        Assert.All(result.Curve, c => Assert.True(c.Diversity > 0 && c.Collaborative > 0));
    }

    [Fact]
    public void CfAlignment_HandExample()
    {
        // CF: items 0,1 point one way, 2,3 another; 4's nearest is 0.
        var cf = new FloatMatrix([1, 0, 0.9f, 0.1f, 0, 1, 0.1f, 0.9f, 0.95f, 0.05f], 5, 2);
        int[][] codes = [[0, 1], [0, 1], [1, 0], [2, 0], [0, 2]];
        var a = CfAlignment.Compute(codes, cf, new FloatMatrix([2, 0, 1, 0, 0, 1, 0, -1, 1, 1], 5, 2));
        // Neighbours: 0->4 (0.9986 > 0.9939), 1->4, 2->3, 3->2, 4->0; first code equal for 0,1,4.
        Assert.Equal([4, 4, 3, 2, 0], CfAlignment.NearestNeighbours(cf));
        Assert.Equal(3 / 5.0, a.NeighbourFirstCodeShare, 10);
        Assert.Equal(0 / 5.0, a.NeighbourPrefix2Share, 10);
        // Chance: codes 0 (3 items), 1, 2: 3*2 / (5*4).
        Assert.Equal(6 / 20.0, a.ChanceShare, 10);
        double expected = (1 + Math.Cos(Math.Atan2(0.1, 0.9)) + 1 + Math.Cos(Math.PI / 2 + Math.Atan2(0.9, 0.1)) + Math.Cos(Math.PI / 4 - Math.Atan2(0.05, 0.95))) / 5;
        Assert.Equal(expected, a.MeanCosine!.Value, 5);
    }

    /// <summary>Distinct nearest codes per level, residual by residual, by exhaustive L2 search.</summary>
    private static int[] BruteForceCodesUsed(float[] latents, float[][] codebooks, int dim)
    {
        int n = latents.Length / dim;
        var residual = (float[])latents.Clone();
        var used = new int[codebooks.Length];
        for (int l = 0; l < codebooks.Length; l++)
        {
            var book = codebooks[l];
            var chosen = new HashSet<int>();
            for (int i = 0; i < n; i++)
            {
                int best = -1;
                double bestDistance = double.PositiveInfinity;
                for (int k = 0; k < book.Length / dim; k++)
                {
                    double d = 0;
                    for (int j = 0; j < dim; j++) d += Math.Pow(residual[i * dim + j] - book[k * dim + j], 2);
                    if (d < bestDistance) (best, bestDistance) = (k, d);
                }
                chosen.Add(best);
                for (int j = 0; j < dim; j++) residual[i * dim + j] -= book[best * dim + j];
            }
            used[l] = chosen.Count;
        }
        return used;
    }
}

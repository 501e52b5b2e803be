using Letter.Tokenization;
using static TorchSharp.torch;

namespace Letter.Tests.Tokenization;

public class LossTests
{
    [Fact]
    public void Collaborative_TinyBatch_EqualsHandComputedCrossEntropy()
    {
        float[,] zq = { { 1, 0 }, { 0.5f, 2 } };
        float[,] cf = { { 2, 1 }, { -1, 1 } };
        using var loss = TokenizerLosses.Collaborative(tensor(zq), tensor(cf));
        // logits[i, j] = zq_i . cf_j: row 0 = [2, -1], row 1 = [3, 1.5]; targets 0 and 1.
        double row0 = -2 + Math.Log(Math.Exp(2) + Math.Exp(-1));
        double row1 = -1.5 + Math.Log(Math.Exp(3) + Math.Exp(1.5));
        Assert.Equal((row0 + row1) / 2, loss.item<float>(), 5);
    }

    [Fact]
    public void Collaborative_Cosine_EqualsHandComputedCrossEntropyOfCosinesOverTemperature()
    {
        float[,] zq = { { 3, 0 }, { 0.5f, 2 } };
        float[,] cf = { { 2, 1 }, { -1, 1 } };
        using var loss = TokenizerLosses.Collaborative(tensor(zq), tensor(cf), CfScore.Cosine, temperature: 0.5);
        // Unit vectors: zq0 = [1, 0], zq1 = [0.5, 2] / sqrt(4.25); cf0 = [2, 1] / sqrt 5, cf1 = [-1, 1] / sqrt 2.
        double c00 = 2 / Math.Sqrt(5), c01 = -1 / Math.Sqrt(2);
        double c10 = (1 + 2) / Math.Sqrt(4.25 * 5), c11 = (-0.5 + 2) / Math.Sqrt(4.25 * 2);
        double row0 = -c00 / 0.5 + Math.Log(Math.Exp(c00 / 0.5) + Math.Exp(c01 / 0.5));
        double row1 = -c11 / 0.5 + Math.Log(Math.Exp(c10 / 0.5) + Math.Exp(c11 / 0.5));
        Assert.Equal((row0 + row1) / 2, loss.item<float>(), 5);
    }

    [Fact]
    public void Collaborative_Cosine_IgnoresTheLengthsOfZqAndCf_DotProductDoesNot()
    {
        float[,] zq = { { 1, 0.2f }, { 0.5f, 2 }, { -1, 1 } };
        float[,] cf = { { 2, 1 }, { -1, 1 }, { 0.3f, -2 } };
        // Rows rescaled by different positive factors: cosines are unchanged, dot products are not.
        float[,] zqScaled = { { 10, 2 }, { 0.05f, 0.2f }, { -3, 3 } };
        float[,] cfScaled = { { 0.2f, 0.1f }, { -7, 7 }, { 0.6f, -4 } };
        using var cos = TokenizerLosses.Collaborative(tensor(zq), tensor(cf), CfScore.Cosine, 0.1);
        using var cosScaled = TokenizerLosses.Collaborative(tensor(zqScaled), tensor(cfScaled), CfScore.Cosine, 0.1);
        using var dot = TokenizerLosses.Collaborative(tensor(zq), tensor(cf));
        using var dotScaled = TokenizerLosses.Collaborative(tensor(zqScaled), tensor(cfScaled));
        Assert.Equal(cos.item<float>(), cosScaled.item<float>(), 4);
        Assert.True(Math.Abs(dot.item<float>() - dotScaled.item<float>()) > 0.1);
    }

    [Fact]
    public void Diversity_TinyCodebook_MasksOwnCodeAndTargetsPositive()
    {
        float[,] codebook = { { 1, 0 }, { 0, 1 }, { 1, 1 }, { -1, 0 } };
        var codes = tensor(new long[] { 0, 2 });
        var chosen = tensor(codebook).index_select(0, codes);
        var positives = tensor(new long[] { 3, 1 });
        using var loss = TokenizerLosses.Diversity(chosen, tensor(codebook), codes, positives);
        // Item 0 (code 0 = [1,0]): scores to codes 1,2,3 = 0, 1, -1 (own code masked); positive 3.
        double item0 = 1 + Math.Log(Math.Exp(0) + Math.Exp(1) + Math.Exp(-1));
        // Item 1 (code 2 = [1,1]): scores to codes 0,1,3 = 1, 1, -1; positive 1.
        double item1 = -1 + Math.Log(Math.Exp(1) + Math.Exp(1) + Math.Exp(-1));
        Assert.Equal((item0 + item1) / 2, loss.item<float>(), 5);
    }

    [Fact]
    public void DiversityTargets_Positives_AreOtherCodesOfTheSameCluster()
    {
        int[] labels = [0, 0, 1, 1, 1, 0];
        var targets = new DiversityTargets([labels], seed: 3);
        long[] codes = [0, 1, 2, 3, 4, 5, 0, 2, 4, 5];
        for (int round = 0; round < 50; round++)
        {
            var positives = targets.SamplePositives(0, codes);
            for (int i = 0; i < codes.Length; i++)
            {
                Assert.NotEqual(codes[i], positives[i]);
                Assert.Equal(labels[codes[i]], labels[positives[i]]);
            }
        }
    }
}

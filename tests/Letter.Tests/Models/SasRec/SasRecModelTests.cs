using Letter.Models.SasRec;
using TorchSharp;
using static TorchSharp.torch;

namespace Letter.Tests.Models.SasRec;

/// <summary>Structural properties of the SASRec network.</summary>
public class SasRecModelTests
{
    private static readonly SasRecConfig Small = new() { Dim = 16, Heads = 2, MaxLen = 12, Dropout = 0.3 };

    private static float[] Hidden(SasRecModel model, long[] sequence)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return model.call(tensor(sequence, [1, sequence.Length])).data<float>().ToArray();
    }

    [Fact]
    public void ChangingALaterItem_NeverChangesAnEarlierPosition()
    {
        torch.manual_seed(1);
        using var model = new SasRecModel(30, Small);
        model.eval();
        long[] baseSeq = [0, 0, 5, 9, 2, 17, 4, 11, 8, 21];   // two padding positions on the left
        var before = Hidden(model, baseSeq);
        for (int t = 2; t < baseSeq.Length; t++)
        {
            var changed = (long[])baseSeq.Clone();
            changed[t] = changed[t] % 30 + 1;
            var after = Hidden(model, changed);
            // Positions before t: bit-identical. Position t: different.
            Assert.Equal(before[..(t * 16)], after[..(t * 16)]);
            Assert.NotEqual(before[(t * 16)..((t + 1) * 16)], after[(t * 16)..((t + 1) * 16)]);
        }
    }

    [Fact]
    public void LeftPadding_DoesNotChangeTheOutputsOfRealPositions()
    {
        torch.manual_seed(2);
        using var model = new SasRecModel(30, Small);
        model.eval();
        var shortOut = Hidden(model, [3, 7, 1, 29]);
        var paddedOut = Hidden(model, [0, 0, 0, 3, 7, 1, 29]);
        for (int i = 0; i < shortOut.Length; i++)
            Assert.InRange(paddedOut[3 * 16 + i] - shortOut[i], -1e-5f, 1e-5f);
        // Padding positions are zeroed before the final norm, so they carry no item information.
        Assert.All(paddedOut[..(3 * 16)], v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void ItemWeights_HaveOneRowPerItem_WithoutThePaddingRow()
    {
        torch.manual_seed(3);
        using var model = new SasRecModel(30, Small);
        Assert.Equal(new long[] { 30, 16 }, model.ItemWeights.shape);
        // Padding row 0 of the table is zero; no output row is (rows are item 0..29).
        var m = SasRecTrainer.Embeddings(model);
        for (int i = 0; i < m.Rows; i++) Assert.Contains(m.Row(i).ToArray(), v => v != 0);
    }
}

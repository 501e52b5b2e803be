using Letter.Tokenization;
using static TorchSharp.torch;

namespace Letter.Tests.Tokenization;

public class DeadCodeRevivalTests
{
    [Fact]
    public void DeadCodes_AreTheCodesNoBatchChose_PerLevel()
    {
        var revival = new DeadCodeRevival([4, 3], seed: 1);
        using (var batch = tensor(new long[,] { { 0, 2 }, { 3, 2 } })) revival.Count(batch);
        using (var batch = tensor(new long[,] { { 0, 1 } })) revival.Count(batch);
        var dead = revival.DeadCodes();
        Assert.Equal([1, 2], dead[0]);
        Assert.Equal([0], dead[1]);
    }

    [Fact]
    public void Revive_MovesEachDeadCodeOntoADistinctItemsResidual_AndLeavesLiveCodesAlone()
    {
        // Residual k-means kind: the encoder is the identity, so level-1 residuals are the items themselves.
        var config = TinyTokenizer.Config with { Kind = TokenizerKind.ResidualKMeans, CodebookSizes = [6, 6], SinkhornEpsilons = [0, 0], Beta = 0 };
        using var model = new RqVae(3, config);
        var items = TinyTokenizer.Random(20, 3, 4);
        using var x = tensor(items.Data, [20, 3]);
        var before0 = TinyTokenizer.Random(6, 3, 8).Data;
        model.Quantizer.SetCodebook(0, before0);
        model.Quantizer.SetCodebook(1, TinyTokenizer.Random(6, 3, 9).Data);

        var revival = new DeadCodeRevival([6, 6], seed: 3);
        using (var batch = tensor(new long[,] { { 0, 1 }, { 4, 1 }, { 0, 2 }, { 5, 3 } })) revival.Count(batch);
        var moved = revival.Revive(model, x, null, 50);

        Assert.Equal([3, 3], moved); // level 1: codes 1, 2 and 3 unused; level 2: codes 0, 4 and 5
        var after0 = model.Quantizer.CodebookValues(0);
        foreach (int live in new[] { 0, 4, 5 }) // level 1
            Assert.Equal(before0.AsSpan(live * 3, 3).ToArray(), after0.AsSpan(live * 3, 3).ToArray());
        var matched = new HashSet<int>();
        foreach (int dead in new[] { 1, 2, 3 })
        {
            var code = after0.AsSpan(dead * 3, 3).ToArray();
            int item = Enumerable.Range(0, 20).Single(i => items.Row(i).ToArray().SequenceEqual(code));
            Assert.True(matched.Add(item), "two dead codes were moved onto the same item");
        }
        // Level 2's new codes are level-2 residuals: an item minus its nearest level-1 code (after the revival).
        var after1 = model.Quantizer.CodebookValues(1);
        var residuals = Enumerable.Range(0, 20).Select(i =>
        {
            var row = items.Row(i).ToArray();
            int nearest = Enumerable.Range(0, 6).MinBy(c => Enumerable.Range(0, 3).Sum(j => Math.Pow(row[j] - after0[c * 3 + j], 2)));
            return Enumerable.Range(0, 3).Select(j => row[j] - after0[nearest * 3 + j]).ToArray();
        }).ToList();
        foreach (int dead in new[] { 0, 4, 5 })
        {
            var code = after1.AsSpan(dead * 3, 3).ToArray();
            Assert.Contains(residuals, r => r.Zip(code).All(p => Math.Abs(p.First - p.Second) < 1e-5));
        }
        // The count starts again: nothing was chosen since the revival.
        Assert.Equal(6, revival.DeadCodes()[0].Length);
    }
}

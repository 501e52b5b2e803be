using Letter.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Letter.Tests.Tokenization;

public class QuantizerTests
{
    private static RqVae TinyModel()
    {
        manual_seed(11);
        var model = new RqVae(6, TinyTokenizer.Config with { Beta = 0 });
        var x = TinyTokenizer.Random(40, 6, 5);
        TokenizerTrainer.InitCodebooks(model, x, TinyTokenizer.Config);
        return model;
    }

    [Fact]
    public void Forward_QuantizedLatent_IsTheSumOfTheChosenCodes()
    {
        using var model = TinyModel();
        using var scope = NewDisposeScope();
        var x = tensor(TinyTokenizer.Random(10, 6, 9).Data, [10, 6]);
        var q = model.Quantizer.Forward(model.Encode(x), 0.25, 0, null, 50, null);
        var sum = zeros(10, 4);
        for (int l = 0; l < model.Quantizer.Levels; l++)
            sum = sum + model.Quantizer.Codebook(l).detach().index_select(0, q.Codes.select(1, l));
        Assert.True(sum.allclose(q.Quantized.detach(), rtol: 1e-5, atol: 1e-6), $"max |diff| {(sum - q.Quantized).abs().max().item<float>()}");
        Assert.Equal([10L, 3L], q.Codes.shape);
    }

    [Fact]
    public void Gradients_ReconstructionReachesEncoderNotCodebooks_QuantLossReachesCodebooks()
    {
        using var model = TinyModel();
        using var scope = NewDisposeScope();
        var x = tensor(TinyTokenizer.Random(10, 6, 9).Data, [10, 6]);
        var q = model.Quantizer.Forward(model.Encode(x), 0.25, 0, null, 50, null);
        var recon = nn.functional.mse_loss(model.Decode(q.Quantized), x);
        recon.backward();
        var encoderGrad = model.named_parameters().Where(p => p.name.StartsWith("encoder")).Sum(p => p.parameter.grad?.abs().sum().item<float>() ?? 0);
        Assert.True(encoderGrad > 0, "the straight-through path must carry the reconstruction gradient to the encoder");
        for (int l = 0; l < model.Quantizer.Levels; l++)
        {
            var g = model.Quantizer.Codebook(l).grad;
            Assert.True(g is null || g.abs().sum().item<float>() == 0, $"codebook {l} got a reconstruction gradient");
        }

        model.zero_grad();
        var q2 = model.Quantizer.Forward(model.Encode(x), 0.25, 0, null, 50, null);
        q2.Loss.backward();
        var codebookGrad = Enumerable.Range(0, model.Quantizer.Levels).Sum(l => model.Quantizer.Codebook(l).grad?.abs().sum().item<float>() ?? 0);
        Assert.True(codebookGrad > 0, "the quantization loss must move the codebooks");
    }

    [Fact]
    public void Forward_SinkhornAtTheFirstLevel_SpreadsACrowdedBatchOverTheCodes_NearestDoesNot()
    {
        // 64 latents crowded near one corner of 8 codes: the nearest code is the same for almost all,
        // the balanced assignment gives every code 64 / 8 = 8 items (the default's level-1 epsilon).
        using var scope = NewDisposeScope();
        var codebook = tensor(TinyTokenizer.Random(8, 4, 21).Data, [8, 4]);
        var latent = codebook[0].unsqueeze(0) + 0.05f * tensor(TinyTokenizer.Random(64, 4, 22).Data, [64, 4]);
        var nearest = ResidualQuantizer.Choose(latent, codebook, 0, 50).data<long>().ToArray();
        var balanced = ResidualQuantizer.Choose(latent, codebook, 0.003, 50).data<long>().ToArray();
        Assert.True(nearest.Distinct().Count() <= 2, $"nearest used {nearest.Distinct().Count()} codes");
        var counts = balanced.GroupBy(c => c).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(8, counts.Count);
        Assert.All(counts.Values, c => Assert.InRange(c, 6, 10));
    }

    [Fact]
    public void TrainingEpsilons_BalanceTheFirstLevel_AssignmentKeepsTheOriginals()
    {
        var config = new TokenizerConfig();
        Assert.Equal([0, 0, 0, 0.003], config.SinkhornEpsilons); // colliding groups: the original's
        Assert.Equal([0.003, 0, 0, 0.003], config.TrainingEpsilons());
        Assert.Equal([0, 0, 0, 0.003], (config with { TrainingFirstLevelEpsilon = 0 }).TrainingEpsilons());
        Assert.Equal([0.003, 0, 0, 0], (config with { SinkhornInTraining = false }).TrainingEpsilons());
        Assert.Throws<ArgumentOutOfRangeException>(() => (config with { TrainingFirstLevelEpsilon = double.NaN }).Validate());
    }

    [Fact]
    public void Sinkhorn_Plan_HalfBalance_MatchesOneHandComputedIteration()
    {
        // d = [[0, 1], [0, 2]] centres to [[-1, 0], [-1, 1]] (middle 1, amplitude 1 + 1e-5); at epsilon 1,
        // exp(-centred) = [[e, 1], [e, 1/e]]. Row step (each row to 1/B = 1/2):
        //   [[e/(e+1), 1/(e+1)], [e^2/(e^2+1), 1/(e^2+1)]] / 2 = [[0.365529, 0.134471], [0.440399, 0.059601]]
        // column sums 0.805928, 0.194072; column step at balance s: times (1 / (K col))^s, K = 2:
        //   s = 0.5: 0.787663, 1.605125; s = 1: 0.620403, 2.576361; then times B = 2.
        using var d = tensor(new double[] { 0, 1, 0, 2 }, [2, 2]);
        var half = Sinkhorn.Plan(d, 1, 1, balance: 0.5).data<double>().ToArray();
        double[] expectedHalf = [0.575832, 0.431681, 0.693773, 0.191336];
        for (int i = 0; i < 4; i++) Assert.Equal(expectedHalf[i], half[i], 1e-4);
        var full = Sinkhorn.Plan(d, 1, 1).data<double>().ToArray();
        double[] expectedFull = [0.453550, 0.692893, 0.546450, 0.307107];
        for (int i = 0; i < 4; i++) Assert.Equal(expectedFull[i], full[i], 1e-4);
        // both items are nearest to code 0: the full constraint moves item 0 to code 1, half of it does not (yet)
        Assert.Equal([1L, 0L], Sinkhorn.Assign(d, 1, 1).data<long>().ToArray());
        Assert.Equal([0L, 0L], Sinkhorn.Assign(d, 1, 1, balance: 0.5).data<long>().ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => Sinkhorn.Plan(d, 1, 1, balance: 1.5));
    }

    [Fact]
    public void Choose_FirstLevelBalance_RunsFromTheNearestCodeToEqualShares()
    {
        // the crowded batch above: 64 latents near code 0 of 8 codes
        using var scope = NewDisposeScope();
        var codebook = tensor(TinyTokenizer.Random(8, 4, 21).Data, [8, 4]);
        var latent = codebook[0].unsqueeze(0) + 0.05f * tensor(TinyTokenizer.Random(64, 4, 22).Data, [64, 4]);
        long[] Codes(double balance) => ResidualQuantizer.Choose(latent, codebook, 0.003, 50, balance).data<long>().ToArray();
        int Largest(long[] codes) => codes.GroupBy(c => c).Max(g => g.Count());
        Assert.Equal(ResidualQuantizer.Choose(latent, codebook, 0, 50).data<long>().ToArray(), Codes(0));
        Assert.Equal(ResidualQuantizer.Choose(latent, codebook, 0.003, 50).data<long>().ToArray(), Codes(1));
        // the largest code's share falls as the balance rises: the penalty is a dial, not a switch
        var largest = new[] { 0.0, 0.5, 0.9, 0.99, 1.0 }.Select(b => Largest(Codes(b))).ToArray();
        for (int i = 1; i < largest.Length; i++) Assert.True(largest[i] <= largest[i - 1], string.Join(", ", largest));
        Assert.True(largest[0] > largest[^1], string.Join(", ", largest));
    }

    [Fact]
    public void TrainingBalances_ActOnlyOnABalancedFirstLevel()
    {
        var config = new TokenizerConfig { FirstLevelBalance = 0.5 };
        Assert.Equal(1.0, new TokenizerConfig().FirstLevelBalance);
        Assert.Equal([0.5, 1, 1, 1], config.TrainingBalances());
        Assert.Equal([1.0, 1, 1, 1], (config with { TrainingFirstLevelEpsilon = 0 }).TrainingBalances());
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => (config with { FirstLevelBalance = -0.1 }).Validate());
        Assert.Equal("FirstLevelBalance", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => (config with { FirstLevelBalance = double.NaN }).Validate());
    }

    [Fact]
    public void Sinkhorn_Plan_RowsSumToOneColumnsBalanced()
    {
        using var d = tensor(TinyTokenizer.Random(12, 4, 5).Data, [12, 4]).abs();
        using var plan = Sinkhorn.Plan(d, 0.05, 200);
        var rows = plan.sum(dim: 1).data<double>().ToArray();
        var cols = plan.sum(dim: 0).data<double>().ToArray();
        foreach (var r in rows) Assert.Equal(1.0, r, 3);
        foreach (var c in cols) Assert.Equal(12.0 / 4, c, 6);
        // Balanced assignment: no code takes far more than its share.
        var codes = Sinkhorn.Assign(d, 0.05, 200).data<long>().ToArray();
        Assert.True(codes.GroupBy(c => c).Max(grp => grp.Count()) <= 5);
    }

    [Fact]
    public void SizeConstrainedKMeans_RespectsBounds()
    {
        // Two tight blobs of 30 and 6 points: unconstrained k-means would give 30/6 with K = 2.
        var x = TinyTokenizer.Random(36, 2, 1);
        for (int i = 0; i < 36; i++) { x.Data[i * 2] *= 0.01f; x.Data[i * 2] += i < 30 ? 0 : 10; }
        var fit = SizeConstrainedKMeans.Fit(x.Data, 36, 2, 2, 12, 24, 3, 10, 4);
        var sizes = fit.Labels.GroupBy(l => l).Select(g => g.Count()).ToArray();
        Assert.All(sizes, s => Assert.InRange(s, 12, 24));
        Assert.Equal(36, sizes.Sum());
    }
}

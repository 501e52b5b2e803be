using Letter.Models.Tiger;
using Letter.Training;
using static TorchSharp.torch;

namespace Letter.Tests.Models.Tiger;

public class MixedPrecisionTests
{
    private static (TigerModel Model, Tensor Loss, Tensor Logits) Forward(bool bf16)
    {
        var config = TinyTiger.Config() with { Dropout = 0, Bf16 = bf16 };
        manual_seed(21);
        var model = new TigerModel(config, 40);
        model.train();
        var gen = new Generator(5);
        var ids = randint(2, 40, [6, 9], dtype: ScalarType.Int64, generator: gen);
        var targets = randint(2, 40, [6, 4], dtype: ScalarType.Int64, generator: gen);
        var logits = model.Logits(ids, targets);
        var loss = RankingGuidedLoss.Compute(logits, targets, 0.7);
        loss.backward();
        return (model, loss, logits);
    }

    [Fact]
    public void Bf16_products_keep_fp32_weights_and_give_close_logits_loss_and_gradients()
    {
        var (full, fullLoss, fullLogits) = Forward(false);
        var (half, halfLoss, halfLogits) = Forward(true);
        using var _ = full;
        using var __ = half;
        Assert.Equal(ScalarType.Float32, fullLogits.dtype);
        Assert.Equal(ScalarType.BFloat16, halfLogits.dtype);
        // bf16 keeps 8 bits of mantissa: logits agree to about 1% of their scale
        double scale = fullLogits.abs().max().item<float>();
        double diff = (halfLogits.to_type(ScalarType.Float32) - fullLogits).abs().max().item<float>();
        Assert.InRange(diff / scale, 0, 0.03);
        Assert.Equal(fullLoss.item<float>(), halfLoss.item<float>(), 1);
        var a = full.parameters().ToList();
        var b = half.parameters().ToList();
        Assert.Equal(a.Count, b.Count);
        for (int i = 0; i < a.Count; i++)
        {
            Assert.Equal(ScalarType.Float32, b[i].dtype);
            Assert.NotNull(b[i].grad);
            Assert.Equal(ScalarType.Float32, b[i].grad!.dtype);
            var ga = a[i].grad!.flatten();
            var gb = b[i].grad!.flatten();
            double cos = (ga * gb).sum().item<float>() / Math.Max(1e-12, ga.norm().item<float>() * gb.norm().item<float>());
            Assert.True(cos > 0.98, $"parameter {i}: gradient cosine {cos:F4} between fp32 and bf16 products");
        }
    }
}

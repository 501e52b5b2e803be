using Letter.Common;
using Letter.Models.Tiger;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Letter.Tests.Models.Tiger;

public class T5AttentionTests
{
    /// <summary>
    /// T5 attention written out from the four weight matrices with plain products: per-head
    /// softmax(q k^T + bias) v, no 1/sqrt(d) scaling, then the output projection.
    /// </summary>
    private static Tensor Reference(T5Attention a, Tensor x, Tensor kv, Tensor? bias, int heads, int dkv)
    {
        Tensor Heads(Tensor t) => t.reshape(t.shape[0], t.shape[1], heads, dkv).permute(0, 2, 1, 3);
        var q = Heads(matmul(x, a.Q.weight!.t()));
        var k = Heads(matmul(kv, a.K.weight!.t()));
        var v = Heads(matmul(kv, a.V.weight!.t()));
        var scores = matmul(q, k.transpose(2, 3));
        if (bias is not null) scores = scores + bias;
        var attended = matmul(F.softmax(scores, -1), v).permute(0, 2, 1, 3).reshape(x.shape[0], x.shape[1], heads * dkv);
        return matmul(attended, a.O.weight!.t());
    }

    [Theory]
    [InlineData(false, 1e-5)]
    [InlineData(true, 3e-2)]
    public void Self_and_cross_attention_equal_the_attention_written_out_from_the_weights(bool bf16, double tolerance)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var config = TinyTiger.Config() with { Dropout = 0, Bf16 = bf16 };
        manual_seed(21);
        var attention = new T5Attention(config, new SeededDropout(0));
        foreach (var p in attention.parameters()) p.normal_(0, 0.3); // larger than T5's init, so every head's softmax is far from uniform
        var gen = new Generator(5);
        var x = randn([2, 5, config.DModel], generator: gen);
        var encoded = randn([2, 7, config.DModel], generator: gen);
        var bias = randn([1, config.Heads, 5, 5], generator: gen);

        var self = attention.Forward(x, x, bias).to_type(ScalarType.Float32);
        var cross = attention.Forward(x, encoded, null).to_type(ScalarType.Float32);

        Assert.Equal(new long[] { 2, 5, config.DModel }, self.shape);
        Assert.Equal(new long[] { 2, 5, config.DModel }, cross.shape);
        var selfRef = Reference(attention, x, x, bias, config.Heads, config.DKv);
        var crossRef = Reference(attention, x, encoded, null, config.Heads, config.DKv);
        double scale = selfRef.abs().max().item<float>();
        Assert.True(scale > 0.5, $"reference too small to test against ({scale})");
        Assert.True((self - selfRef).abs().max().item<float>() <= tolerance * scale, "self-attention differs from the reference");
        Assert.True((cross - crossRef).abs().max().item<float>() <= tolerance * crossRef.abs().max().item<float>(), "cross-attention differs from the reference");
        // the two calls must differ: cross-attention reads the encoder output, not x
        Assert.True((self - cross).abs().max().item<float>() > 10 * tolerance * scale);
    }

    [Fact]
    public void Gradients_of_the_four_projection_weights_equal_the_reference_gradients()
    {
        var config = TinyTiger.Config() with { Dropout = 0 };
        manual_seed(22);
        var attention = new T5Attention(config, new SeededDropout(0));
        var gen = new Generator(6);
        var x = randn([3, 4, config.DModel], generator: gen);
        var bias = randn([1, config.Heads, 4, 4], generator: gen);

        attention.Forward(x, x, bias).square().sum().backward();
        var projections = new[] { attention.Q, attention.K, attention.V, attention.O };
        Assert.All(projections, l => Assert.NotNull(l.weight!.grad));
        var forward = projections.Select(l => l.weight!.grad!.clone()).ToArray();
        attention.zero_grad();
        Reference(attention, x, x, bias, config.Heads, config.DKv).square().sum().backward();
        var reference = projections.Select(l => l.weight!.grad!).ToArray();

        for (int i = 0; i < 4; i++)
        {
            Assert.True(reference[i].abs().max().item<float>() > 0, $"projection {i} got no gradient in the reference");
            Assert.True(allclose(forward[i], reference[i], rtol: 1e-4, atol: 1e-5), $"projection {i}'s gradient differs from the reference");
        }
    }
}

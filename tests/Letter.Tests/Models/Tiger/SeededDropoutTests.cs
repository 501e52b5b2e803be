using Letter.Common;
using static TorchSharp.torch;

namespace Letter.Tests.Models.Tiger;

public class SeededDropoutTests
{
    private static byte[] Mask(SeededDropout d, params long[] shape) => d.KeepMask(shape).data<byte>().ToArray();

    [Fact]
    public void About_p_of_the_elements_are_dropped_and_the_rest_scaled_to_keep_the_mean()
    {
        var d = new SeededDropout(0.1, seed: 3);
        using var x = full(2_000_003, 2.5f); // not a multiple of 4 or of a chunk
        using var y = d.Apply(x, training: true);
        var values = y.data<float>().ToArray();
        long dropped = values.LongCount(v => v == 0);
        long kept = values.LongCount(v => Math.Abs(v - 2.5 * d.Scale) < 1e-5);
        Assert.Equal(values.Length, dropped + kept);
        double rate = (double)dropped / values.Length;
        double sigma = Math.Sqrt(0.1 * 0.9 / values.Length);
        Assert.InRange(rate, 0.1 - 5 * sigma, 0.1 + 5 * sigma);
        Assert.Equal(1 / 0.9, d.Scale, 4); // 1/(1-p) up to the 2^-16 grid of p
        Assert.Equal(2.5, values.Average(v => (double)v), 2);
    }

    [Fact]
    public void The_same_seed_gives_the_same_masks_and_reseeding_restarts_the_sequence()
    {
        var a = new SeededDropout(0.3, seed: 7);
        var b = new SeededDropout(0.3, seed: 7);
        var first = Mask(a, 300, 500);
        Assert.Equal(first, Mask(b, 300, 500));
        var second = Mask(a, 300, 500);
        Assert.NotEqual(first, second); // each call draws a new mask
        a.Reseed(7);
        Assert.Equal(first, Mask(a, 300, 500));
        Assert.NotEqual(first, Mask(new SeededDropout(0.3, seed: 8), 300, 500));
    }

    [Fact]
    public void Masks_do_not_depend_on_the_number_of_threads()
    {
        int threads = get_num_threads();
        try
        {
            set_num_threads(1);
            var one = Mask(new SeededDropout(0.1, seed: 5), 5, 70_001);
            set_num_threads(2);
            var two = Mask(new SeededDropout(0.1, seed: 5), 5, 70_001);
            Assert.Equal(one, two);
        }
        finally
        {
            set_num_threads(threads);
        }
    }

    [Fact]
    public void Chunks_draw_different_streams()
    {
        // two full chunks of 65,536: equal halves would mean the chunk key is ignored
        var mask = Mask(new SeededDropout(0.5, seed: 1), 2, 65_536);
        Assert.NotEqual(mask[..65_536], mask[65_536..]);
        double agreement = Enumerable.Range(0, 65_536).Average(i => mask[i] == mask[65_536 + i] ? 1.0 : 0.0);
        Assert.InRange(agreement, 0.48, 0.52); // independent halves agree half the time at p = 0.5
    }

    [Fact]
    public void The_gradient_is_the_mask_times_the_scale()
    {
        var d = new SeededDropout(0.25, seed: 9);
        using var x = randn(40, 30).requires_grad_(true);
        using var y = d.Apply(x, training: true);
        y.sum().backward();
        var grad = x.grad!.data<float>().ToArray();
        var xs = x.detach().data<float>().ToArray();
        var ys = y.detach().data<float>().ToArray();
        for (int i = 0; i < grad.Length; i++)
        {
            Assert.True(grad[i] == 0 || Math.Abs(grad[i] - d.Scale) < 1e-5, $"gradient {grad[i]} at {i}");
            Assert.Equal(xs[i] * grad[i], ys[i], 5);
        }
        Assert.Contains(grad, g => g == 0);
    }

    [Fact]
    public void Evaluation_and_rate_zero_pass_the_input_through_and_bf16_stays_bf16()
    {
        using var x = randn(4, 5);
        Assert.Same(x, new SeededDropout(0.1).Apply(x, training: false));
        Assert.Same(x, new SeededDropout(0).Apply(x, training: true));
        using var h = x.to_type(ScalarType.BFloat16);
        using var y = new SeededDropout(0.1).Apply(h, training: true);
        Assert.Equal(ScalarType.BFloat16, y.dtype);
        Assert.Equal(h.shape, y.shape);
    }

    [Fact]
    public void A_rate_outside_0_to_1_is_refused()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new SeededDropout(1.0));
        Assert.Contains("dropout must be in [0, 1) (got 1)", e.Message);
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.BFloat16)]
    public void A_scaled_mask_is_the_keep_mask_cast_and_multiplied_by_the_scale(ScalarType type)
    {
        // the reference is the two-pass form the scaled mask replaces; bf16 rounds 1/0.9 to 1.109375
        var a = new SeededDropout(0.1, seed: 11);
        var b = new SeededDropout(0.1, seed: 11);
        long[] shape = [3, 70_001];
        using var reference = a.KeepMask(shape).to_type(type).mul_(a.Scale).to_type(ScalarType.Float32);
        using var scaled = b.ScaledMask(shape, type);
        Assert.Equal(type, scaled.dtype);
        Assert.Equal(shape, scaled.shape);
        var expected = reference.data<float>().ToArray();
        Assert.Equal(expected, scaled.to_type(ScalarType.Float32).data<float>().ToArray());
        Assert.Contains(0f, expected);
        Assert.Equal(type == ScalarType.BFloat16 ? 1.109375f : (float)a.Scale, expected.Max());
        Assert.Throws<ArgumentException>(() => b.ScaledMask(shape, ScalarType.Float64));
    }

    [Fact]
    public void A_chunk_holds_the_four_16_bit_lanes_of_each_splitmix64_draw()
    {
        // the reference: word w is draw w + 1 of the stream; a byte keeps (1) when its lane >= threshold
        const ulong state = 0x1234_5678_9ABC_DEF0UL;
        const int threshold = 6554;
        foreach (int length in new[] { 3, 32, 37, 1000, 65_536 })
        {
            var chunk = new byte[length];
            SeededDropout.Fill(chunk, state, threshold);
            var expected = new byte[length];
            for (int i = 0; i < length; i++)
            {
                ulong draw = SplitMix64.Mix(state + (ulong)(i / 4 + 1) * SplitMix64.Increment);
                expected[i] = (ushort)(draw >> (16 * (i % 4))) >= threshold ? (byte)1 : (byte)0;
            }
            Assert.Equal(expected, chunk);
        }
    }
}

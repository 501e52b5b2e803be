using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Letter.Recommender;

/// <summary>
/// bfloat16 matrix products with fp32 master weights (what torch.autocast does for a Linear): the
/// input and weight are cast for the product only, so gradients flow back to the fp32 weights and
/// the optimizer, norms, softmax and loss stay in fp32.
/// </summary>
internal static class MixedPrecision
{
    /// <summary>x [.., in] through a bias-free Linear; bf16 output when <paramref name="bf16"/>.</summary>
    public static Tensor Linear(TorchSharp.Modules.Linear layer, Tensor x, bool bf16)
    {
        if (!bf16) return layer.call(x);
        var w = layer.weight!;
        return F.linear(x.dtype == ScalarType.BFloat16 ? x : x.to_type(ScalarType.BFloat16),
                        w.dtype == ScalarType.BFloat16 ? w : w.to_type(ScalarType.BFloat16));
    }
}

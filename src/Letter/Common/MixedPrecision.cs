using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Letter.Common;

/// <summary>
/// bfloat16 matrix products with fp32 master weights (what torch.autocast does for a Linear): the
/// input, weight and bias are cast for the product only, so gradients flow back to the fp32 weights
/// and the optimizer, norms, softmax and loss stay in fp32. Used by the tokenizer's MLP and TIGER.
/// </summary>
internal static class MixedPrecision
{
    /// <summary>x [.., in] through a Linear; bf16 output when <paramref name="bf16"/> (casting a bf16 tensor is a no-op).</summary>
    public static Tensor Linear(TorchSharp.Modules.Linear layer, Tensor x, bool bf16) =>
        bf16
            ? F.linear(x.to_type(ScalarType.BFloat16), layer.weight!.to_type(ScalarType.BFloat16), layer.bias?.to_type(ScalarType.BFloat16))
            : layer.call(x);
}

using TorchSharp;
using static TorchSharp.torch;

namespace Letter.Common;

/// <summary>T5's and LLaMA's layer norm: scale only, no mean subtraction, no bias; the variance in fp32.</summary>
internal sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    private readonly TorchSharp.Modules.Parameter weight;
    private readonly Scalar _eps; // made once: the module outlives every forward (TorchScalars)

    public RmsNorm(int dim, double eps) : base(nameof(RmsNorm))
    {
        weight = nn.Parameter(ones(dim, device: CPU));
        _eps = eps.ToScalar();
        RegisterComponents();
    }

    /// <summary>The learned scale [dim] (folded into the next product by TIGER's decoding weights).</summary>
    public Tensor Weight => weight;

    public Scalar Epsilon => _eps;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var xf = x.dtype == ScalarType.Float32 ? x : x.to_type(ScalarType.Float32);
        var variance = xf.Squared().mean([-1L], keepdim: true);
        var normed = (xf * rsqrt(variance.add(_eps, TorchScalars.One))).to_type(x.dtype);
        return (weight.to_type(x.dtype) * normed).MoveToOuterDisposeScope();
    }
}

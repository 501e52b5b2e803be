using Letter.Common;
using static TorchSharp.torch;

namespace Letter.Models.LcRec;

/// <summary>
/// Rotary position embeddings in Hugging Face's layout (rotate_half: the first half of a head's
/// dimensions pairs with the second half), frequencies theta^(-2i/Dh), computed in fp32.
/// </summary>
internal static class Rotary
{
    /// <summary>cos and sin [L, Dh] for positions start .. start + length - 1, in <paramref name="dtype"/>, on <paramref name="device"/>.</summary>
    public static (Tensor Cos, Tensor Sin) Table(int start, int length, int dh, double theta, ScalarType dtype, Device device)
    {
        // theta as a 0-dim float64 tensor on the device (what pow(double, Tensor) makes, there on libtorch's default device)
        var invFreq = tensor(theta, device: device).pow(KeptScalarMath.Range(0, dh, ScalarType.Float64, device, step: 2).DividedBy(-dh)).to_type(ScalarType.Float32); // [Dh/2]
        var positions = KeptScalarMath.Range(start, start + length, ScalarType.Float32, device);
        var freqs = outer(positions, invFreq);                  // [L, Dh/2]
        var angles = cat([freqs, freqs], -1);                   // [L, Dh]
        return (angles.cos().to_type(dtype), angles.sin().to_type(dtype));
    }

    /// <summary>x [B, H, L, Dh] rotated: x cos + rotate_half(x) sin.</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        long half = x.shape[^1] / 2;
        var x1 = x.narrow(-1, 0, half);
        var x2 = x.narrow(-1, half, half);
        var rotated = cat([x2.neg(), x1], -1);
        return (x * cos).Plus(rotated * sin);
    }
}

using TorchSharp;
using static TorchSharp.torch;

namespace Letter.Common;

/// <summary>
/// Tensor arithmetic that gives libtorch only scalars kept alive for the whole native call (see
/// <see cref="TorchScalars"/>): TorchSharp's <c>a + b</c>, <c>t * 0.5</c>, <c>square()</c> and <c>arange(n)</c>
/// make a temporary Scalar inside and let it go before libtorch reads it. Each method does exactly what the
/// TorchSharp call it replaces does, with the same scalar types, so results are bit-identical; a per-call value
/// becomes a scalar that a <c>using</c> keeps to the end of the method.
/// </summary>
public static class KeptScalarMath
{
    /// <summary><c>a + b</c> (<c>add(b, alpha: 1)</c>).</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, TorchScalars.One);

    /// <summary><c>a.add_(b)</c> (alpha 1).</summary>
    public static Tensor PlusInPlace(this Tensor a, Tensor b) => a.add_(b, TorchScalars.One);

    /// <summary><c>t.square()</c> (<c>pow(2)</c>).</summary>
    public static Tensor Squared(this Tensor t) => t.pow(TorchScalars.Two);

    /// <summary><c>t + value</c>.</summary>
    public static Tensor Plus(this Tensor t, double value)
    {
        using var s = value.ToScalar();
        return t.add(s, TorchScalars.One);
    }

    /// <summary><c>t * value</c>.</summary>
    public static Tensor Times(this Tensor t, double value)
    {
        using var s = value.ToScalar();
        return t.mul(s);
    }

    /// <inheritdoc cref="Times(Tensor, double)"/>
    public static Tensor Times(this Tensor t, float value)
    {
        using var s = value.ToScalar();
        return t.mul(s);
    }

    /// <inheritdoc cref="Times(Tensor, double)"/>
    public static Tensor Times(this Tensor t, long value)
    {
        using var s = value.ToScalar();
        return t.mul(s);
    }

    /// <summary><c>t / value</c> (true division).</summary>
    public static Tensor DividedBy(this Tensor t, double value)
    {
        using var s = value.ToScalar();
        return t.div(s);
    }

    /// <inheritdoc cref="DividedBy(Tensor, double)"/>
    public static Tensor DividedBy(this Tensor t, float value)
    {
        using var s = value.ToScalar();
        return t.div(s);
    }

    /// <inheritdoc cref="DividedBy(Tensor, double)"/>
    public static Tensor DividedBy(this Tensor t, long value)
    {
        using var s = value.ToScalar();
        return t.div(s);
    }

    /// <summary><c>arange(start, stop, step)</c> of integers in <paramref name="dtype"/>.</summary>
    public static Tensor Range(long start, long stop, ScalarType dtype, Device? device = null, long step = 1)
    {
        using var a = start.ToScalar();
        using var b = stop.ToScalar();
        using var c = step.ToScalar();
        return arange(a, b, c, dtype, device);
    }
}

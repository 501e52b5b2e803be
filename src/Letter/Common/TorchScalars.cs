using TorchSharp;

namespace Letter.Common;

/// <summary>
/// Scalars the library passes to libtorch many times per step, made once and kept alive for the
/// process. A scalar made by C#'s implicit conversion (<c>masked_fill(mask, float.NegativeInfinity)</c>)
/// is an object that only its finalizer frees; once its native handle is taken it is unreachable, so a
/// collection triggered by another thread may free it while libtorch still reads it. Seen in the service
/// under load as a rare 500: "Expected false to be true" from <c>Scalar::toFloat</c> inside
/// <c>masked_fill</c> (3 of 4,203 requests in a 600 s soak). A static scalar is never collected.
/// Each has the type the implicit conversion it replaces made (libtorch keeps integers as int64 and
/// floating values as double, so a float and a double scalar of "the same" value can differ).
/// The rule and the test that enforces it: docs/architecture.md, Common.
/// </summary>
public static class TorchScalars
{
    /// <summary>-infinity: the score of a refused token or a masked attention position.</summary>
    public static readonly Scalar NegativeInfinity = float.NegativeInfinity.ToScalar();

    /// <summary>0, as an int: the pad id of a sequence mask.</summary>
    public static readonly Scalar Zero = 0.ToScalar();

    /// <summary>1: the alpha of <c>add</c>, which TorchSharp's <c>a + b</c> and <c>add(b)</c> make as an int.</summary>
    public static readonly Scalar One = 1.ToScalar();

    /// <summary>2: the exponent TorchSharp's <c>square()</c> passes to <c>pow</c>, as an int.</summary>
    public static readonly Scalar Two = 2.ToScalar();

    /// <summary>true and false, for boolean masks.</summary>
    public static readonly Scalar True = true.ToScalar();

    /// <inheritdoc cref="True"/>
    public static readonly Scalar False = false.ToScalar();
}

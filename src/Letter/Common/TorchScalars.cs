using TorchSharp;

namespace Letter.Common;

/// <summary>
/// Scalars the library passes to libtorch many times per step, made once and kept alive for the
/// process. A scalar made by C#'s implicit conversion (<c>masked_fill(mask, float.NegativeInfinity)</c>)
/// is an object that only its finalizer frees; once its native handle is taken it is unreachable, so a
/// collection triggered by another thread may free it while libtorch still reads it. Seen in the service
/// under load as a rare 500: "Expected false to be true" from <c>Scalar::toFloat</c> inside
/// <c>masked_fill</c> (3 of 4,203 requests in a 600 s soak). A static scalar is never collected.
/// </summary>
public static class TorchScalars
{
    /// <summary>-infinity: the score of a refused token or a masked attention position.</summary>
    public static readonly Scalar NegativeInfinity = float.NegativeInfinity;
}

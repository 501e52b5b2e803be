using TorchSharp;
using Letter.Common;
using static TorchSharp.torch;

namespace Letter.Tokenization;

/// <summary>
/// Sinkhorn-Knopp balanced assignment (original RQ-VAE/models/layers.py sinkhorn_algorithm with
/// vq.py center_distance_for_constraint): distances are centred to [-1, 1], turned into
/// exp(-d / epsilon) in float64, and alternately normalised so that every item carries weight 1
/// and every code the same total weight B / K.
/// With a balance s &lt; 1 the code constraint is relaxed (unbalanced optimal transport, Chizat et al.
/// 2018: a KL penalty on the code shares instead of a hard constraint): the column step scales each
/// code by (target / current)^s instead of target / current, so s = 1 is the balanced plan above and
/// s = 0 leaves the nearest-code shares alone; between, a code's share settles at the geometric
/// mean target^s x unconstrained^(1-s) (docs/tokenizer.md, "The first-level dial").
/// </summary>
public static class Sinkhorn
{
    private const double Floor = 1e-280;
    private static readonly Scalar FloorScalar = Floor.ToScalar(); // static: Common/TorchScalars

    /// <param name="distances">[B, K] item-to-code distances</param>
    /// <param name="balance">strength of the code constraint in [0, 1]: 1 the hard constraint (the original), 0 none</param>
    /// <returns>the transport plan Q [B, K] (float64): at balance 1 column sums exactly B / K, row sums close to 1</returns>
    public static Tensor Plan(Tensor distances, double epsilon, int iterations, double balance = 1)
    {
        if (epsilon <= 0) throw new ArgumentOutOfRangeException(nameof(epsilon), "must be positive");
        if (!(balance is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(balance), "must be in [0, 1]");
        using var scope = NewDisposeScope();
        var d = distances.to(ScalarType.Float64);
        double max = d.max().item<double>(), min = d.min().item<double>();
        double middle = (max + min) / 2, amplitude = max - middle + 1e-5;
        using Scalar middleScalar = middle.ToScalar(), amplitudeScalar = amplitude.ToScalar(), negativeEpsilon = (-epsilon).ToScalar();
        var centred = d.sub(middleScalar).div(amplitudeScalar);
        long b = d.shape[0], k = d.shape[1];
        using Scalar bScalar = b.ToScalar(), kScalar = k.ToScalar(), balanceScalar = balance.ToScalar();
        var q = centred.div_(negativeEpsilon).exp_();
        q.div_(q.sum());
        // In place: the plan is rewritten 2 x iterations times and fresh [B, K] buffers cost page faults.
        // exp(+-1/epsilon) spans ~1e+-145 at epsilon 0.003, so normalising drives entries into float64
        // subnormals, which are ~100x slower; flooring at 1e-280 avoids them and changes no sum or argmax.
        for (int it = 0; it < iterations; it++)
        {
            using (var rows = q.sum(1, keepdim: true)) q.div_(rows).div_(bScalar).clamp_min_(FloorScalar); // each item: 1 / B
            using var cols = q.sum(0, keepdim: true);
            if (balance == 1) q.div_(cols).div_(kScalar).clamp_min_(FloorScalar); // each code: 1 / K
            else
            {
                // each code: its share times (1 / K / share)^balance
                using var scale = cols.mul(kScalar).reciprocal_().pow_(balanceScalar);
                q.mul_(scale).clamp_min_(FloorScalar);
            }
        }
        return q.mul_(bScalar).MoveToOuterDisposeScope();
    }

    /// <summary>Balanced codes: the argmax of each item's row of the plan. [B] int64</summary>
    public static Tensor Assign(Tensor distances, double epsilon, int iterations, double balance = 1)
    {
        using var scope = NewDisposeScope();
        return Plan(distances, epsilon, iterations, balance).argmax(1).MoveToOuterDisposeScope();
    }
}

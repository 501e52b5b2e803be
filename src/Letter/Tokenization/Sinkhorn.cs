using static TorchSharp.torch;

namespace Letter.Tokenization;

/// <summary>
/// Sinkhorn-Knopp balanced assignment (original RQ-VAE/models/layers.py sinkhorn_algorithm with
/// vq.py center_distance_for_constraint): distances are centred to [-1, 1], turned into
/// exp(-d / epsilon) in float64, and alternately normalised so that every item carries weight 1
/// and every code the same total weight B / K.
/// </summary>
public static class Sinkhorn
{
    private const double Floor = 1e-280;

    /// <param name="distances">[B, K] item-to-code distances</param>
    /// <returns>the transport plan Q [B, K] (float64): column sums exactly B / K, row sums close to 1</returns>
    public static Tensor Plan(Tensor distances, double epsilon, int iterations)
    {
        if (epsilon <= 0) throw new ArgumentOutOfRangeException(nameof(epsilon), "must be positive");
        using var scope = NewDisposeScope();
        var d = distances.to(ScalarType.Float64);
        double max = d.max().item<double>(), min = d.min().item<double>();
        double middle = (max + min) / 2, amplitude = max - middle + 1e-5;
        var centred = (d - middle) / amplitude;
        long b = d.shape[0], k = d.shape[1];
        var q = centred.div_(-epsilon).exp_();
        q.div_(q.sum());
        // In place: the plan is rewritten 2 x iterations times and fresh [B, K] buffers cost page faults.
        // exp(+-1/epsilon) spans ~1e+-145 at epsilon 0.003, so normalising drives entries into float64
        // subnormals, which are ~100x slower; flooring at 1e-280 avoids them and changes no sum or argmax.
        for (int it = 0; it < iterations; it++)
        {
            using (var rows = q.sum(1, keepdim: true)) q.div_(rows).div_(b).clamp_min_(Floor); // each item: 1 / B
            using (var cols = q.sum(0, keepdim: true)) q.div_(cols).div_(k).clamp_min_(Floor); // each code: 1 / K
        }
        return q.mul_(b).MoveToOuterDisposeScope();
    }

    /// <summary>Balanced codes: the argmax of each item's row of the plan. [B] int64</summary>
    public static Tensor Assign(Tensor distances, double epsilon, int iterations)
    {
        using var scope = NewDisposeScope();
        return Plan(distances, epsilon, iterations).argmax(1).MoveToOuterDisposeScope();
    }
}

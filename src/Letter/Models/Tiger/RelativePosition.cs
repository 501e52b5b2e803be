using TorchSharp;
using static TorchSharp.torch;

namespace Letter.Models.Tiger;

/// <summary>
/// T5's relative position buckets: half the buckets exact for short distances, the rest
/// logarithmic up to <c>maxDistance</c>; bidirectional (encoder) buckets keep the sign, causal
/// (decoder) ones only look back.
/// </summary>
public static class RelativePosition
{
    /// <param name="relative">memory position minus query position</param>
    public static int Bucket(int relative, bool bidirectional, int buckets, int maxDistance)
    {
        int bucket = 0;
        int n;
        if (bidirectional)
        {
            buckets /= 2;
            if (relative > 0) bucket += buckets;
            n = Math.Abs(relative);
        }
        else
        {
            n = Math.Max(-relative, 0);
        }
        int maxExact = buckets / 2;
        if (n < maxExact) return bucket + n;
        // float32 arithmetic, as the reference computes it on float tensors
        float large = MathF.Log(n / (float)maxExact) / (float)Math.Log(maxDistance / (double)maxExact) * (buckets - maxExact);
        return bucket + Math.Min(maxExact + (int)large, buckets - 1);
    }

    /// <summary>Bucket ids [queries, keys] for queries at positions offset..offset+queries-1, on <paramref name="device"/> (null: libtorch's default).</summary>
    public static Tensor Buckets(int queries, int keys, int queryOffset, bool bidirectional, int buckets, int maxDistance, Device? device = null)
    {
        var b = new long[queries * keys];
        for (int q = 0; q < queries; q++)
            for (int k = 0; k < keys; k++)
                b[q * keys + k] = Bucket(k - (q + queryOffset), bidirectional, buckets, maxDistance);
        return tensor(b, [queries, keys], device: device);
    }
}

/// <summary>The learned per-head bias of one bucket table, held by the first layer and shared by all.</summary>
internal sealed class RelativePositionBias : nn.Module<Tensor, Tensor>
{
    private readonly TorchSharp.Modules.Embedding relative_attention_bias;
    private readonly bool _bidirectional;
    private readonly int _buckets;
    private readonly int _maxDistance;

    public RelativePositionBias(int buckets, int heads, int maxDistance, bool bidirectional) : base(nameof(RelativePositionBias))
    {
        relative_attention_bias = nn.Embedding(buckets, heads, device: CPU);
        _bidirectional = bidirectional;
        _buckets = buckets;
        _maxDistance = maxDistance;
        RegisterComponents();
    }

    public Tensor Bias(int queries, int keys, int queryOffset = 0)
    {
        using var scope = NewDisposeScope();
        var ids = RelativePosition.Buckets(queries, keys, queryOffset, _bidirectional, _buckets, _maxDistance, relative_attention_bias.weight!.device);
        return relative_attention_bias.call(ids).permute(2, 0, 1).unsqueeze(0).MoveToOuterDisposeScope(); // [1, H, q, k]
    }

    public override Tensor forward(Tensor bucketIds) => relative_attention_bias.call(bucketIds);

    public TorchSharp.Modules.Embedding Table => relative_attention_bias;
}

using TorchSharp;
using static TorchSharp.torch;

namespace Letter.Models.Tiger;

/// <summary>
/// The decoder's weights rearranged for incremental decoding (made from the model when a decoding starts; the
/// checkpoint and the training forward are untouched): each RMS norm's scale folded into the product that
/// follows it, self-attention's query, key and value projections stacked into one [3 * inner, D] product, the
/// queries multiplied by sqrt(d_kv) so that scaled_dot_product_attention's 1/sqrt(d_kv) gives T5's unscaled
/// attention back (both powers of two for T5's d_kv 64: exact), the output layer's d_model^-0.5 and the final
/// norm's scale folded into the tied embedding. Everything is in the dtype the decoder multiplies in.
/// </summary>
internal sealed class DecodingWeights : IDisposable
{
    private readonly List<Tensor> _owned = [];

    public DecodingWeights(TigerModel model, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var c = model.Config;
        using var querySqrt = Math.Sqrt(c.DKv).ToScalar();
        Tensor Fold(Tensor weight, Tensor? normScale) =>
            (normScale is null ? weight.to_type(ScalarType.Float32) : weight.to_type(ScalarType.Float32) * normScale.to_type(ScalarType.Float32).unsqueeze(0))
            .to_type(dtype).contiguous();
        Tensor Keep(Tensor t)
        {
            _owned.Add(t.DetachFromDisposeScope());
            return t;
        }
        Layers = model.DecoderBlocks.Select(b =>
        {
            var self = b.SelfAttention;
            var qkv = cat([self.Q.weight! * querySqrt, self.K.weight!, self.V.weight!], 0);
            return new Layer(
                Keep(Fold(qkv, b.SelfNorm.Weight)),
                Keep(self.O.weight!.to_type(dtype).t()),
                Keep(Fold(b.CrossAttention.Q.weight! * querySqrt, b.CrossNorm.Weight)),
                Keep(b.CrossAttention.O.weight!.to_type(dtype).t()),
                Keep(Fold(b.Ff.Wi.weight!, b.FeedForwardNorm.Weight)),
                Keep(b.Ff.Wo.weight!.to_type(dtype).t()));
        }).ToArray();
        using var outputScale = Math.Pow(c.DModel, -0.5).ToScalar();
        Output = Keep(Fold(model.SharedWeight * outputScale, model.DecoderNorm.Weight));
        Embedding = Keep(model.SharedWeight.detach()); // a handle of its own on the model's table (no copy)
        Epsilon = model.DecoderNorm.Epsilon; // the module's own scalar, kept alive by it
        DType = dtype;
    }

    /// <param name="Qkv">[3 * inner, D]: queries (times sqrt(d_kv)), keys, values, the self-attention norm folded in</param>
    /// <param name="SelfOutT">[inner, D]^T: for addmm</param>
    /// <param name="CrossQ">[inner, D], times sqrt(d_kv), the cross-attention norm folded in</param>
    /// <param name="CrossOutT">[inner, D]^T</param>
    /// <param name="Wi">[d_ff, D], the feed-forward norm folded in</param>
    /// <param name="WoT">[D, d_ff]^T</param>
    internal sealed record Layer(Tensor Qkv, Tensor SelfOutT, Tensor CrossQ, Tensor CrossOutT, Tensor Wi, Tensor WoT);

    public Layer[] Layers { get; }

    /// <summary>[V, D]: the tied embedding times d_model^-0.5 and the final norm's scale.</summary>
    public Tensor Output { get; }

    /// <summary>The model's embedding table [V, D] (its storage, not a copy).</summary>
    public Tensor Embedding { get; }

    public Scalar Epsilon { get; }

    public ScalarType DType { get; }

    public void Dispose()
    {
        foreach (var t in _owned) t.Dispose();

    }
}

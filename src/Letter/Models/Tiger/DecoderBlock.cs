using Letter.Common;
using TorchSharp;
using static TorchSharp.torch;

namespace Letter.Models.Tiger;

/// <summary>Pre-norm T5 decoder layer: causal self-attention, cross-attention, feed-forward.</summary>
internal sealed class DecoderBlock : nn.Module
{
    private readonly RmsNorm ln_self, ln_cross, ln_ff;
    private readonly T5Attention self_attention, cross_attention;
    private readonly FeedForward ff;
    private readonly SeededDropout _dropout;

    public DecoderBlock(TigerConfig c, SeededDropout dropout) : base(nameof(DecoderBlock))
    {
        ln_self = new RmsNorm(c.DModel, c.LayerNormEpsilon);
        ln_cross = new RmsNorm(c.DModel, c.LayerNormEpsilon);
        ln_ff = new RmsNorm(c.DModel, c.LayerNormEpsilon);
        self_attention = new T5Attention(c, dropout);
        cross_attention = new T5Attention(c, dropout);
        ff = new FeedForward(c, dropout);
        _dropout = dropout;
        RegisterComponents();
    }

    public T5Attention SelfAttention => self_attention;
    public T5Attention CrossAttention => cross_attention;
    public FeedForward Ff => ff;
    public RmsNorm SelfNorm => ln_self;
    public RmsNorm CrossNorm => ln_cross;
    public RmsNorm FeedForwardNorm => ln_ff;

    /// <summary>Teacher-forced: y [B, T, D], encoder output [B, L, D].</summary>
    public Tensor Forward(Tensor y, Tensor encoded, Tensor selfBias, Tensor? crossBias)
    {
        var h = ln_self.call(y);
        y = y.Plus(Drop(self_attention.Forward(h, h, selfBias)));
        y = y.Plus(Drop(cross_attention.Forward(ln_cross.call(y), encoded, crossBias)));
        return y.Plus(Drop(ff.call(ln_ff.call(y))));
    }

    private Tensor Drop(Tensor t) => _dropout.Apply(t, training);
}

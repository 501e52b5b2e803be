using Letter.Common;
using TorchSharp;
using static TorchSharp.torch;

namespace Letter.Models.Tiger;

/// <summary>Pre-norm T5 encoder layer: self-attention then feed-forward, each residual with dropout.</summary>
internal sealed class EncoderBlock : nn.Module
{
    private readonly RmsNorm ln_attention, ln_ff;
    private readonly T5Attention self_attention;
    private readonly FeedForward ff;
    private readonly SeededDropout _dropout;

    public EncoderBlock(TigerConfig c, SeededDropout dropout) : base(nameof(EncoderBlock))
    {
        ln_attention = new RmsNorm(c.DModel, c.LayerNormEpsilon);
        ln_ff = new RmsNorm(c.DModel, c.LayerNormEpsilon);
        self_attention = new T5Attention(c, dropout);
        ff = new FeedForward(c, dropout);
        _dropout = dropout;
        RegisterComponents();
    }

    public T5Attention SelfAttention => self_attention;
    public FeedForward Ff => ff;

    /// <param name="x">[B, L, D]</param>
    /// <param name="bias">position bias (+ padding mask) [1 or B, H, L, L]</param>
    public Tensor Forward(Tensor x, Tensor bias)
    {
        var h = ln_attention.call(x);
        x = x.Plus(Drop(self_attention.Forward(h, h, bias)));
        return x.Plus(Drop(ff.call(ln_ff.call(x))));
    }

    private Tensor Drop(Tensor t) => _dropout.Apply(t, training);
}

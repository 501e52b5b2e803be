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

    /// <summary>Teacher-forced: y [B, T, D], encoder output [B, L, D].</summary>
    public Tensor Forward(Tensor y, Tensor encoded, Tensor selfBias, Tensor? crossBias)
    {
        var h = ln_self.call(y);
        y = y + Drop(self_attention.Forward(h, h, selfBias));
        y = y + Drop(cross_attention.Forward(ln_cross.call(y), encoded, crossBias));
        return y + Drop(ff.call(ln_ff.call(y)));
    }

    /// <summary>
    /// One incremental step for beams folded per user. x [B*beam, 1, D]; the self-attention cache
    /// (keys, values [B*beam, H, t, d_kv]) is extended in place; cross keys/values [B, H, L, d_kv]
    /// were computed once per user; crossBias [B, 1, 1, L] or null.
    /// </summary>
    public Tensor Step(Tensor x, ref Tensor? cacheK, ref Tensor? cacheV, Tensor selfBias, Tensor crossK, Tensor crossV, Tensor? crossBias, int beam, Letter.Generation.DecodeProfile? profile = null)
    {
        long since = System.Diagnostics.Stopwatch.GetTimestamp();
        var h = ln_self.call(x);
        var k = self_attention.ProjectKey(h);
        var v = self_attention.ProjectValue(h);
        cacheK = cacheK is null ? k : cat([cacheK, k], 2);
        cacheV = cacheV is null ? v : cat([cacheV, v], 2);
        var q = self_attention.ProjectQuery(h);
        x = x + self_attention.Output(self_attention.Merge(self_attention.Attend(q, cacheK, cacheV, selfBias)));

        since = profile?.Add("decoder: self-attention", since) ?? since;
        long users = crossK.shape[0];
        long rows = x.shape[0];
        var qc = cross_attention.ProjectQuery(ln_cross.call(x)); // [B*beam, H, 1, d_kv]
        // fold the beams into the query axis so each user's keys are used once: [B, H, beam, d_kv]
        qc = qc.view(users, beam, qc.shape[1], qc.shape[3]).transpose(1, 2);
        var attended = cross_attention.Attend(qc, crossK, crossV, crossBias);   // [B, H, beam, d_kv]
        attended = attended.transpose(1, 2).reshape(rows, 1, attended.shape[1] * attended.shape[3]);
        x = x + cross_attention.Output(attended);
        since = profile?.Add("decoder: cross-attention", since) ?? since;
        x = x + ff.call(ln_ff.call(x));
        profile?.Add("decoder: feed-forward", since);
        return x;
    }

    private Tensor Drop(Tensor t) => _dropout.Apply(t, training);
}

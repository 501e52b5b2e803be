using TorchSharp;
using TorchSharp.Utils;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Letter.Models.LcRec;

/// <summary>
/// Causal self-attention with rotary embeddings (Hugging Face's rotate_half layout) and grouped-query
/// attention: Hkv key/value heads, each shared by H / Hkv query heads (transformers' repeat_kv).
/// </summary>
internal sealed class LlamaAttention : nn.Module
{
    [ComponentName(Name = "q_proj")] private readonly LoraLinear _q;
    [ComponentName(Name = "k_proj")] private readonly LoraLinear _k;
    [ComponentName(Name = "v_proj")] private readonly LoraLinear _v;
    [ComponentName(Name = "o_proj")] private readonly LoraLinear _o;
    private readonly int _heads, _kvHeads, _dh;

    public LlamaAttention(LlamaConfig c) : base(nameof(LlamaAttention))
    {
        _heads = c.NumAttentionHeads;
        _kvHeads = c.NumKeyValueHeads;
        _dh = c.Dh;
        _q = new LoraLinear(c.HiddenSize, _heads * _dh, c.AttentionBias);
        _k = new LoraLinear(c.HiddenSize, _kvHeads * _dh, c.AttentionBias);
        _v = new LoraLinear(c.HiddenSize, _kvHeads * _dh, c.AttentionBias);
        // Qwen2 has no bias on o_proj; LLaMA's attention_bias covers all four
        _o = new LoraLinear(_heads * _dh, c.HiddenSize, c.AttentionBias && c.Architecture == LlmArchitecture.Llama);
        RegisterComponents();
    }

    /// <param name="x">[B, L, D]</param>
    /// <param name="cos">[L, Dh] for the positions of x</param>
    /// <param name="cache">keys and values of earlier positions (appended to), or null for a whole sequence</param>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, KvCache? cache, int layer)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], l = x.shape[1];
        var q = _q.call(x).view(b, l, _heads, _dh).transpose(1, 2);     // [B, H, L, Dh]
        var k = _k.call(x).view(b, l, _kvHeads, _dh).transpose(1, 2);   // [B, Hkv, L, Dh]
        var v = _v.call(x).view(b, l, _kvHeads, _dh).transpose(1, 2);
        q = Rotary.Apply(q, cos, sin);
        k = Rotary.Apply(k, cos, sin);
        bool causal = true;
        if (cache is not null)
        {
            causal = cache.Length == 0 && l > 1; // a step after the prefix attends to everything cached
            if (cache.Length > 0 && l > 1) throw new NotSupportedException("multi-token steps after a cached prefix are not supported");
            (k, v) = cache.Append(layer, k, v);
        }
        Tensor attended;
        int groups = _heads / _kvHeads;
        if (groups > 1 && l == 1 && !causal)
        {
            // one new position per row: the H / Hkv query heads of a key/value head become its query rows, so
            // the cache is read as is instead of being repeated (head h uses key/value head h / groups)
            var grouped = q.reshape(b, _kvHeads, groups, _dh);                              // [B, Hkv, groups, Dh]
            attended = F.scaled_dot_product_attention(grouped, k, v).reshape(b, _heads, 1, _dh); // [B, H, 1, Dh]
        }
        else
        {
            if (groups > 1)
            {
                k = k.repeat_interleave(groups, dim: 1);                                   // [B, H, T, Dh]
                v = v.repeat_interleave(groups, dim: 1);
            }
            attended = F.scaled_dot_product_attention(q, k, v, is_casual: causal);         // [B, H, L, Dh], scale 1/sqrt(Dh)
        }
        var merged = attended.transpose(1, 2).reshape(b, l, _heads * _dh);
        return _o.call(merged).MoveToOuterDisposeScope();
    }
}

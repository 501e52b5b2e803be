using Letter.Common;
using TorchSharp;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Letter.Models.LcRec;

/// <summary>Pre-norm block: x + attn(norm(x)), then h + mlp(norm(h)).</summary>
internal sealed class LlamaDecoderLayer : nn.Module
{
    [ComponentName(Name = "self_attn")] private readonly LlamaAttention _attention;
    [ComponentName(Name = "mlp")] private readonly LlamaMlp _mlp;
    [ComponentName(Name = "input_layernorm")] private readonly RmsNorm _inputNorm;
    [ComponentName(Name = "post_attention_layernorm")] private readonly RmsNorm _postNorm;

    public LlamaDecoderLayer(LlamaConfig c) : base(nameof(LlamaDecoderLayer))
    {
        _attention = new LlamaAttention(c);
        _mlp = new LlamaMlp(c);
        _inputNorm = new RmsNorm(c.HiddenSize, c.RmsNormEps);
        _postNorm = new RmsNorm(c.HiddenSize, c.RmsNormEps);
        RegisterComponents();
    }

    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, KvCache? cache, int layer)
    {
        using var scope = NewDisposeScope();
        var h = x.Plus(_attention.Forward(_inputNorm.call(x), cos, sin, cache, layer));
        return h.Plus(_mlp.call(_postNorm.call(h))).MoveToOuterDisposeScope();
    }
}

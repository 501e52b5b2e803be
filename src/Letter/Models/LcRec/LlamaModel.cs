using Letter.Common;
using TorchSharp;
using TorchSharp.Utils;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Letter.Models.LcRec;

/// <summary>The transformer body (Hugging Face's <c>model.*</c>): token embedding, decoder layers, final norm.</summary>
internal sealed class LlamaModel : nn.Module
{
    [ComponentName(Name = "embed_tokens")] private readonly Embedding _embed;
    [ComponentName(Name = "layers")] private readonly ModuleList<LlamaDecoderLayer> _layers;
    [ComponentName(Name = "norm")] private readonly RmsNorm _norm;
    private readonly LlamaConfig _config;

    public LlamaModel(LlamaConfig c) : base(nameof(LlamaModel))
    {
        _config = c;
        _embed = nn.Embedding(c.VocabSize, c.HiddenSize, device: CPU);
        _layers = new ModuleList<LlamaDecoderLayer>();
        for (int i = 0; i < c.NumHiddenLayers; i++) _layers.Add(new LlamaDecoderLayer(c));
        _norm = new RmsNorm(c.HiddenSize, c.RmsNormEps);
        RegisterComponents();
    }

    public Embedding Embed => _embed;

    /// <param name="ids">[B, L] int64</param>
    /// <param name="cache">null: the whole sequence from position 0; else positions continue after the cache</param>
    /// <returns>normed hidden states [B, L, D]</returns>
    public Tensor Forward(Tensor ids, KvCache? cache)
    {
        using var scope = NewDisposeScope();
        int start = cache?.Length ?? 0;
        int length = (int)ids.shape[1];
        var x = _embed.call(ids);                                            // [B, L, D]
        var (cos, sin) = Rotary.Table(start, length, _config.Dh, _config.RopeTheta, x.dtype, x.device);
        for (int l = 0; l < _layers.Count; l++) x = _layers[l].Forward(x, cos, sin, cache, l);
        cache?.Advance(length);
        return _norm.call(x).MoveToOuterDisposeScope();
    }
}

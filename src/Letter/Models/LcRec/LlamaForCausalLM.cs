using TorchSharp;
using TorchSharp.Utils;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Letter.Models.LcRec;

/// <summary>
/// A LLaMA-family causal language model with Hugging Face's state-dict names (<c>model.embed_tokens.weight</c>,
/// <c>model.layers.N.self_attn.q_proj.weight</c>, ..., <c>model.norm.weight</c>, <c>lm_head.weight</c> unless
/// the head is tied to the embedding), so checkpoints load without a mapping table.
/// </summary>
public sealed class LlamaForCausalLM : nn.Module
{
    [ComponentName(Name = "model")] private readonly LlamaModel _model;
    [ComponentName(Name = "lm_head")] private readonly Linear? _head;

    public LlamaForCausalLM(LlamaConfig config) : base(nameof(LlamaForCausalLM))
    {
        config.Validate();
        Config = config;
        _model = new LlamaModel(config);
        _head = config.TieWordEmbeddings ? null : nn.Linear(config.HiddenSize, config.VocabSize, hasBias: false, device: CPU);
        RegisterComponents();
    }

    public LlamaConfig Config { get; }
    public int VocabularySize => Config.VocabSize;

    /// <summary>Where the weights live (built on the CPU; moved with <c>to(device)</c>): inputs and caches go here.</summary>
    public Device Device => _model.Embed.weight!.device;

    /// <summary>The token embedding [V, D].</summary>
    public Parameter EmbeddingWeight => _model.Embed.weight!;

    /// <summary>The output head's weight [V, D]: the embedding's when tied.</summary>
    public Parameter HeadWeight => _head?.weight ?? _model.Embed.weight!;

    /// <summary>Normed hidden states [B, L, D] of ids [B, L]; with a cache, positions continue after it and it is extended.</summary>
    public Tensor Hidden(Tensor ids, KvCache? cache = null) => _model.Forward(ids, cache);

    /// <summary>Next-token logits [.., V] (in the weights' dtype) of hidden states [.., D].</summary>
    public Tensor Head(Tensor hidden) => F.linear(hidden, HeadWeight);

    /// <summary>Logits [B, L, V] of a whole sequence.</summary>
    public Tensor Logits(Tensor ids) => Head(Hidden(ids));

    /// <summary>The projections that can carry LoRA adapters, by their state-dict prefix (e.g. <c>model.layers.0.self_attn.q_proj</c>).</summary>
    public IEnumerable<(string Name, LoraLinear Layer)> Projections() =>
        named_modules().Where(m => m.module is LoraLinear).Select(m => (m.name, (LoraLinear)m.module));
}

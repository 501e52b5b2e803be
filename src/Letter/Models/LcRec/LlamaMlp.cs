using TorchSharp;
using TorchSharp.Utils;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Letter.Models.LcRec;

/// <summary>SwiGLU feed-forward: down(silu(gate(x)) * up(x)).</summary>
internal sealed class LlamaMlp : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "gate_proj")] private readonly LoraLinear _gate;
    [ComponentName(Name = "up_proj")] private readonly LoraLinear _up;
    [ComponentName(Name = "down_proj")] private readonly LoraLinear _down;

    public LlamaMlp(LlamaConfig c) : base(nameof(LlamaMlp))
    {
        _gate = new LoraLinear(c.HiddenSize, c.IntermediateSize, c.MlpBias);
        _up = new LoraLinear(c.HiddenSize, c.IntermediateSize, c.MlpBias);
        _down = new LoraLinear(c.IntermediateSize, c.HiddenSize, c.MlpBias);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = F.silu(_gate.call(x)) * _up.call(x);   // [B, L, F]
        return _down.call(h).MoveToOuterDisposeScope(); // [B, L, D]
    }
}

using Letter.Common;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Letter.Models.Tiger;

/// <summary>T5's dense ReLU feed-forward: wo(dropout(relu(wi(x)))).</summary>
internal sealed class FeedForward : nn.Module<Tensor, Tensor>
{
    private readonly TorchSharp.Modules.Linear wi, wo;
    private readonly SeededDropout _dropout;
    private readonly bool _bf16;

    public FeedForward(TigerConfig c, SeededDropout dropout) : base(nameof(FeedForward))
    {
        wi = nn.Linear(c.DModel, c.DFf, hasBias: false, device: CPU);
        wo = nn.Linear(c.DFf, c.DModel, hasBias: false, device: CPU);
        _dropout = dropout;
        _bf16 = c.Bf16;
        RegisterComponents();
    }

    public TorchSharp.Modules.Linear Wi => wi;
    public TorchSharp.Modules.Linear Wo => wo;

    public override Tensor forward(Tensor x)
    {
        var h = F.relu(MixedPrecision.Linear(wi, x, _bf16));
        h = _dropout.Apply(h, training);
        return MixedPrecision.Linear(wo, h, _bf16);
    }
}

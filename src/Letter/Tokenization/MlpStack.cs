using Letter.Common;
using TorchSharp;
using TorchSharp.Utils;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Letter.Tokenization;

/// <summary>
/// The RQ-VAE encoder or decoder: Linear layers through <c>sizes</c>, ReLU between them and none
/// after the last, optional dropout before each Linear; Xavier-normal weights and zero biases
/// (original RQ-VAE/models/layers.py MLPLayers).
/// </summary>
public sealed class MlpStack : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "layers")]
    private readonly ModuleList<Linear> _layers;
    private readonly double _dropout;

    /// <summary>When true the matrix products run in bfloat16 (weights stay fp32; the output is fp32).</summary>
    public bool Bf16 { get; set; }

    public MlpStack(string name, IReadOnlyList<int> sizes, double dropout = 0) : base(name)
    {
        if (sizes.Count < 2) throw new ArgumentException("an MLP needs at least an input and an output size");
        _dropout = dropout;
        _layers = new ModuleList<Linear>();
        for (int i = 0; i + 1 < sizes.Count; i++)
        {
            var linear = nn.Linear(sizes[i], sizes[i + 1]);
            using (no_grad())
            {
                nn.init.xavier_normal_(linear.weight);
                nn.init.zeros_(linear.bias);
            }
            _layers.Add(linear);
        }
        RegisterComponents();
    }

    public int LayerCount => _layers.Count;

    public override Tensor forward(Tensor input)
    {
        var h = input; // [B, sizes[0]]
        for (int i = 0; i < _layers.Count; i++)
        {
            if (_dropout > 0 && training) h = nn.functional.dropout(h, _dropout, training);
            var layer = _layers[i];
            h = MixedPrecision.Linear(layer, h, Bf16);
            if (i + 1 < _layers.Count) h = nn.functional.relu(h);
        }
        return Bf16 ? h.to(ScalarType.Float32) : h; // [B, sizes[^1]]
    }
}

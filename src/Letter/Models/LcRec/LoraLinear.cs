using Letter.Common;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Letter.Models.LcRec;

/// <summary>
/// A Linear with Hugging Face's parameter names (<c>weight</c> [out, in], optional <c>bias</c>) that can
/// carry a LoRA adapter as PEFT names it: <c>lora_A.weight</c> [r, in], <c>lora_B.weight</c> [out, r],
/// y = W x + b + s B A dropout(x), s = alpha / r, or alpha / sqrt(r) with rsLoRA (Hu et al. 2021;
/// peft/tuners/lora/layer.py Linear.forward).
/// </summary>
public sealed class LoraLinear : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter? bias;
    private Linear? _loraA;
    private Linear? _loraB;
    private double _scaling;
    private double _dropout;
    private Generator? _dropoutGenerator;

    public LoraLinear(int inFeatures, int outFeatures, bool hasBias) : base(nameof(LoraLinear))
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        weight = nn.Parameter(empty(outFeatures, inFeatures, device: CPU));
        bias = hasBias ? nn.Parameter(zeros(outFeatures, device: CPU)) : null;
        // nn.Linear's default initialisation (kaiming-uniform with a = sqrt(5)); checkpoints overwrite it
        using (no_grad())
        {
            nn.init.kaiming_uniform_(weight, Math.Sqrt(5));
            if (bias is not null)
            {
                double bound = 1 / Math.Sqrt(inFeatures);
                nn.init.uniform_(bias, -bound, bound);
            }
        }
        RegisterComponents();
    }

    public int InFeatures { get; }
    public int OutFeatures { get; }
    public Parameter Weight => weight;
    public Parameter? Bias => bias;
    public Linear? LoraA => _loraA;
    public Linear? LoraB => _loraB;
    public bool HasAdapter => _loraA is not null;
    /// <summary>The factor on B A.</summary>
    public double Scaling => _scaling;

    /// <summary>
    /// Adds an adapter: A kaiming-uniform (a = sqrt(5)) from <paramref name="generator"/> (a CPU generator:
    /// the adapter is drawn on the CPU, so a seed gives the same adapter on every device), B zero, as PEFT
    /// initialises it; then moved to the device of the projection's weight.
    /// </summary>
    public void AddAdapter(int rank, double alpha, double dropout, Generator generator, bool rsLora = false)
    {
        if (_loraA is not null) throw new InvalidOperationException("this projection already has an adapter");
        _loraA = nn.Linear(InFeatures, rank, hasBias: false, device: CPU, dtype: weight.dtype);
        _loraB = nn.Linear(rank, OutFeatures, hasBias: false, device: CPU, dtype: weight.dtype);
        using (no_grad())
        {
            // kaiming-uniform(a = sqrt(5)) on [r, in]: bound = sqrt(6 / ((1 + a^2) fan_in)) = 1 / sqrt(fan_in)
            double bound = 1 / Math.Sqrt(InFeatures);
            _loraA.weight!.uniform_(-bound, bound, generator);
            _loraB.weight!.zero_();
        }
        _loraA.to(weight.device);
        _loraB.to(weight.device);
        register_module("lora_A", _loraA);
        register_module("lora_B", _loraB);
        _scaling = rsLora ? alpha / Math.Sqrt(rank) : alpha / rank;
        _dropout = dropout;
    }

    /// <summary>The generator LoRA dropout draws its masks from (null: libtorch's global one); on the weight's device.</summary>
    public void SetDropoutGenerator(Generator? generator) => _dropoutGenerator = generator;

    /// <summary>
    /// Folds the adapter into the weight (W += s B A) for decoding: B becomes zero, so the
    /// output is unchanged, and the adapter's products are skipped from then on.
    /// </summary>
    public void Merge()
    {
        if (_loraA is null || _loraB is null || IsMerged) return;
        using (no_grad())
        {
            var delta = _loraB.weight!.to_type(ScalarType.Float32).matmul(_loraA.weight!.to_type(ScalarType.Float32)).Times(_scaling);
            weight.PlusInPlace(delta.to_type(weight.dtype));
            _loraB.weight!.zero_();
        }
        IsMerged = true;
    }

    /// <summary>The adapter has been folded into the weight.</summary>
    public bool IsMerged { get; private set; }

    public override Tensor forward(Tensor x)
    {
        var y = F.linear(x, weight, bias);
        if (_loraA is null || _loraB is null || IsMerged) return y;
        var h = x;
        if (training && _dropout > 0)
        {
            var keep = empty_like(x).bernoulli_(1 - _dropout, _dropoutGenerator);
            h = (x * keep).DividedBy(1 - _dropout);
        }
        return y.Plus(_loraB.call(_loraA.call(h)).Times(_scaling));
    }
}

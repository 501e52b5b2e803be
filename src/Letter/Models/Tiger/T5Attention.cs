using Letter.Common;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Letter.Models.Tiger;

/// <summary>
/// Multi-head attention as in T5: no bias terms, no 1/sqrt(d) scaling, an additive position bias,
/// softmax in fp32. Heads x d_kv need not equal d_model (6 x 64 = 384 with d_model 128).
/// </summary>
internal sealed class T5Attention : nn.Module
{
    private readonly TorchSharp.Modules.Linear q, k, v, o;
    private readonly int _heads;
    private readonly int _dkv;
    private readonly SeededDropout _dropout;
    private readonly bool _bf16;

    public T5Attention(TigerConfig c, SeededDropout dropout) : base(nameof(T5Attention))
    {
        int inner = c.Heads * c.DKv;
        q = nn.Linear(c.DModel, inner, hasBias: false, device: CPU);
        k = nn.Linear(c.DModel, inner, hasBias: false, device: CPU);
        v = nn.Linear(c.DModel, inner, hasBias: false, device: CPU);
        o = nn.Linear(inner, c.DModel, hasBias: false, device: CPU);
        _heads = c.Heads;
        _dkv = c.DKv;
        _dropout = dropout;
        _bf16 = c.Bf16;
        RegisterComponents();
    }

    public TorchSharp.Modules.Linear Q => q;
    public TorchSharp.Modules.Linear K => k;
    public TorchSharp.Modules.Linear V => v;
    public TorchSharp.Modules.Linear O => o;

    /// <summary>[B, T, inner] -> [B, H, T, d_kv].</summary>
    public Tensor Split(Tensor x) => x.view(x.shape[0], x.shape[1], _heads, _dkv).transpose(1, 2);

    /// <summary>[B, H, T, d_kv] -> [B, T, inner].</summary>
    public Tensor Merge(Tensor x) => x.transpose(1, 2).reshape(x.shape[0], x.shape[2], _heads * _dkv);

    public Tensor ProjectKey(Tensor x) => Split(MixedPrecision.Linear(k, x, _bf16));
    public Tensor ProjectValue(Tensor x) => Split(MixedPrecision.Linear(v, x, _bf16));
    public Tensor ProjectQuery(Tensor x) => Split(MixedPrecision.Linear(q, x, _bf16));

    /// <summary>The output projection [.., inner] -> [.., D].</summary>
    public Tensor Output(Tensor merged) => MixedPrecision.Linear(o, merged, _bf16);

    /// <summary>x [B, Tq, D] attends to kv [B, Tk, D]; bias broadcasts to [B, H, Tq, Tk] (or null).</summary>
    public Tensor Forward(Tensor x, Tensor kv, Tensor? bias)
    {
        using var scope = NewDisposeScope();
        var qh = ProjectQuery(x);
        var kh = ReferenceEquals(x, kv) ? ProjectKey(x) : ProjectKey(kv);
        var vh = ProjectValue(kv);
        return Output(Merge(Attend(qh, kh, vh, bias))).MoveToOuterDisposeScope();
    }

    /// <summary>Attention weights and values: q [.., Tq, d_kv], k/v [.., Tk, d_kv].</summary>
    public Tensor Attend(Tensor qh, Tensor kh, Tensor vh, Tensor? bias)
    {
        var scores = matmul(qh, kh.transpose(-1, -2));
        if (bias is not null) scores = scores.Plus(bias.to_type(scores.dtype));
        var weights = scores.dtype == ScalarType.Float32
            ? F.softmax(scores, -1)
            : F.softmax(scores.to_type(ScalarType.Float32), -1).to_type(scores.dtype);
        weights = _dropout.Apply(weights, training);
        return matmul(weights, vh);
    }
}

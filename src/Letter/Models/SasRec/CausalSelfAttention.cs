using Letter.Common;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Letter.Models.SasRec;

/// <summary>
/// Multi-head self-attention in which position q sees only keys k &lt;= q that hold an item (padding
/// keys are hidden; a padding query sees itself so its softmax stays finite). As in the original
/// SASRec, the values are not projected again after the heads are joined.
/// </summary>
internal sealed class CausalSelfAttention : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly Linear query;
    private readonly Linear key;
    private readonly Linear value;
    private readonly Dropout dropout;
    private readonly int _heads;

    public CausalSelfAttention(int dim, int heads, double dropoutRate) : base(nameof(CausalSelfAttention))
    {
        query = nn.Linear(dim, dim, device: CPU);
        key = nn.Linear(dim, dim, device: CPU);
        value = nn.Linear(dim, dim, device: CPU);
        dropout = nn.Dropout(dropoutRate);
        _heads = heads;
        RegisterComponents();
    }

    /// <param name="queries">[B, L, d] (layer-normed inputs)</param>
    /// <param name="keys">[B, L, d]</param>
    /// <param name="allowed">[B, 1, L, L] bool: query q may attend to key k</param>
    /// <returns>[B, L, d]</returns>
    public override Tensor forward(Tensor queries, Tensor keys, Tensor allowed)
    {
        long b = queries.shape[0], l = queries.shape[1], d = queries.shape[2], dh = d / _heads;
        var q = query.call(queries).view(b, l, _heads, dh).transpose(1, 2);   // [B, h, L, dh]
        var k = key.call(keys).view(b, l, _heads, dh).transpose(1, 2);
        var v = value.call(keys).view(b, l, _heads, dh).transpose(1, 2);
        var scores = q.matmul(k.transpose(2, 3)).DividedBy(Math.Sqrt(dh));             // [B, h, L, L]
        scores = scores.masked_fill(allowed.logical_not(), Letter.Common.TorchScalars.NegativeInfinity);
        var weights = dropout.call(nn.functional.softmax(scores, -1));
        return weights.matmul(v).transpose(1, 2).reshape(b, l, d);
    }
}

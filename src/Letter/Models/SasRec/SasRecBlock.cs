using Letter.Common;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Letter.Models.SasRec;

/// <summary>
/// One SASRec block as in the authors' implementation: Q = LN(x); x = Q + Attn(Q, x); then
/// x = x' + FFN(x') with x' = LN(x); padding positions are zeroed after each block.
/// </summary>
internal sealed class SasRecBlock : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly LayerNorm attention_norm;
    private readonly CausalSelfAttention attention;
    private readonly LayerNorm ffn_norm;
    private readonly Linear ffn_in;
    private readonly Linear ffn_out;
    private readonly Dropout ffn_dropout1;
    private readonly Dropout ffn_dropout2;

    public SasRecBlock(int dim, int heads, double dropout) : base(nameof(SasRecBlock))
    {
        attention_norm = nn.LayerNorm(dim, eps: 1e-8, device: CPU);
        attention = new CausalSelfAttention(dim, heads, dropout);
        ffn_norm = nn.LayerNorm(dim, eps: 1e-8, device: CPU);
        ffn_in = nn.Linear(dim, dim, device: CPU);
        ffn_out = nn.Linear(dim, dim, device: CPU);
        ffn_dropout1 = nn.Dropout(dropout);
        ffn_dropout2 = nn.Dropout(dropout);
        RegisterComponents();
    }

    /// <param name="x">[B, L, d]</param>
    /// <param name="allowed">[B, 1, L, L] attention mask</param>
    /// <param name="real">[B, L, 1] float, 1 where the position holds an item</param>
    public override Tensor forward(Tensor x, Tensor allowed, Tensor real)
    {
        var q = attention_norm.call(x);
        x = q.Plus(attention.call(q, x, allowed));
        var n = ffn_norm.call(x);
        var f = ffn_dropout2.call(ffn_out.call(ffn_dropout1.call(nn.functional.relu(ffn_in.call(n)))));
        return n.Plus(f) * real;
    }
}

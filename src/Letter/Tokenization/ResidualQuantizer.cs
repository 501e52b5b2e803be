using Letter.Common;
using TorchSharp;
using TorchSharp.Utils;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Letter.Tokenization;

/// <summary>Result of one residual quantization pass over a batch.</summary>
/// <param name="Quantized">z_q [B, Dz]: sum of the chosen codes, with straight-through gradients to the input</param>
/// <param name="Codes">[B, L] int64</param>
/// <param name="Loss">quantization loss averaged over levels (each level: codebook + mu commitment + beta diversity)</param>
/// <param name="Diversity">the diversity loss averaged over levels, unweighted (0 when not computed)</param>
public sealed record QuantizerOutput(Tensor Quantized, Tensor Codes, Tensor Loss, Tensor Diversity);

/// <summary>
/// L codebooks applied to successive residuals (original RQ-VAE/models/rq.py and vq.py). Each level
/// picks the code nearest (L2) to its residual, or the Sinkhorn-balanced code where that level's
/// epsilon is positive.
/// </summary>
public sealed class ResidualQuantizer : nn.Module
{
    [ComponentName(Name = "codebooks")]
    private readonly ParameterList _codebooks;

    public ResidualQuantizer(IReadOnlyList<int> codebookSizes, int dim) : base("rq")
    {
        Dim = dim;
        _codebooks = new ParameterList();
        foreach (int k in codebookSizes) _codebooks.Add(new Parameter(zeros(k, dim)));
        RegisterComponents();
    }

    public int Dim { get; }
    public int Levels => _codebooks.Count;

    /// <summary>Codebook of level l [K_l, Dz].</summary>
    public Parameter Codebook(int level) => _codebooks[level];

    public void SetCodebook(int level, float[] values)
    {
        using var _ = no_grad();
        var cb = _codebooks[level];
        cb.copy_(tensor(values, [cb.shape[0], Dim]));
    }

    public float[] CodebookValues(int level) => _codebooks[level].detach().contiguous().data<float>().ToArray();

    /// <summary>Squared L2 distances of residuals [B, Dz] to a codebook [K, Dz] -> [B, K], without gradient.</summary>
    public static Tensor Distances(Tensor residual, Tensor codebook)
    {
        using var _ = no_grad();
        return residual.Squared().sum(1, keepdim: true).Plus(codebook.Squared().sum(1).unsqueeze(0)) - residual.matmul(codebook.t()).Times(2L);
    }

    /// <summary>Nearest code, or the Sinkhorn-balanced one when epsilon &gt; 0 and balance &gt; 0 (<see cref="Sinkhorn"/>). [B] int64</summary>
    public static Tensor Choose(Tensor residual, Tensor codebook, double epsilon, int sinkhornIterations, double balance = 1)
    {
        using var scope = NewDisposeScope();
        var d = Distances(residual, codebook);
        var codes = epsilon > 0 && balance > 0 ? Sinkhorn.Assign(d, epsilon, sinkhornIterations, balance) : d.argmin(1);
        return codes.MoveToOuterDisposeScope();
    }

    /// <summary>Training / inference pass.</summary>
    /// <param name="latent">z [B, Dz]</param>
    /// <param name="epsilons">Sinkhorn epsilon per level (null or 0: nearest code)</param>
    /// <param name="diversity">cluster targets for the diversity loss (null: not computed)</param>
    /// <param name="balances">strength of the Sinkhorn code constraint per level (null: 1 everywhere)</param>
    public QuantizerOutput Forward(Tensor latent, double mu, double beta, IReadOnlyList<double>? epsilons,
        int sinkhornIterations, DiversityTargets? diversity, IReadOnlyList<double>? balances = null)
    {
        var residual = latent;
        Tensor? quantized = null;
        var levelLosses = new List<Tensor>();
        var diversityLosses = new List<Tensor>();
        var codes = new List<Tensor>();
        for (int l = 0; l < Levels; l++)
        {
            var codebook = _codebooks[l];
            var ids = Choose(residual, codebook, epsilons?[l] ?? 0, sinkhornIterations, balances?[l] ?? 1); // [B]
            var chosen = codebook.index_select(0, ids);                                    // [B, Dz]
            // Codebook loss moves the codes, commitment loss the encoder (stop-gradients as in VQ-VAE).
            var loss = nn.functional.mse_loss(chosen, residual.detach()).Plus(nn.functional.mse_loss(residual, chosen.detach()).Times(mu));
            if (diversity is not null && beta > 0)
            {
                var positives = tensor(diversity.SamplePositives(l, ids.data<long>().ToArray()));
                var div = TokenizerLosses.Diversity(chosen, codebook, ids, positives);
                diversityLosses.Add(div);
                loss = loss.Plus(div.Times(beta));
            }
            levelLosses.Add(loss);
            // Straight-through: the value of the code, the gradient of the residual.
            var straight = residual.Plus((chosen - residual).detach());
            residual = residual - straight;
            quantized = quantized is null ? straight : quantized.Plus(straight);
            codes.Add(ids);
        }
        var meanLoss = stack(levelLosses).mean();
        var meanDiversity = diversityLosses.Count > 0 ? stack(diversityLosses).mean() : zeros(1).squeeze();
        return new QuantizerOutput(quantized!, stack(codes, 1), meanLoss, meanDiversity);
    }
}

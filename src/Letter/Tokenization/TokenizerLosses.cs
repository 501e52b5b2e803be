using Letter.Common;
using static TorchSharp.torch;

namespace Letter.Tokenization;

/// <summary>The LETTER regularisers, written as whole-batch tensor operations.</summary>
public static class TokenizerLosses
{
    /// <summary>
    /// Collaborative regularisation: in-batch softmax cross-entropy of z_q against the items' CF
    /// embeddings, the same item being the positive (original rqvae.py CF_loss; paper eq. 4 without a temperature).
    /// </summary>
    /// <param name="quantized">z_q [B, Dz]</param>
    /// <param name="cf">CF embeddings of the same items [B, Dz]</param>
    /// <param name="score">dot product (the original) or cosine over <paramref name="temperature"/></param>
    public static Tensor Collaborative(Tensor quantized, Tensor cf, CfScore score = CfScore.DotProduct, double temperature = 1)
    {
        var logits = score == CfScore.Cosine
            ? nn.functional.normalize(quantized, dim: 1).matmul(nn.functional.normalize(cf, dim: 1).t()).DividedBy(temperature)
            : quantized.matmul(cf.t()); // [B, B]
        var targets = KeptScalarMath.Range(0, quantized.shape[0], ScalarType.Int64, quantized.device);
        return nn.functional.cross_entropy(logits, targets);
    }

    /// <summary>
    /// Diversity regularisation for one level: the chosen code vector scores every code by dot
    /// product, its own code is masked out, and the positive is another code of its cluster
    /// (softmax cross-entropy; original vq.py diversity_loss, vectorised).
    /// </summary>
    /// <param name="chosen">the chosen code vectors e_c [B, Dz] (carrying the codebook's gradient)</param>
    /// <param name="codebook">[K, Dz]</param>
    /// <param name="codes">chosen code ids [B] (int64)</param>
    /// <param name="positives">a same-cluster code id other than the chosen one [B] (int64)</param>
    public static Tensor Diversity(Tensor chosen, Tensor codebook, Tensor codes, Tensor positives)
    {
        var logits = chosen.matmul(codebook.t()); // [B, K]
        var own = nn.functional.one_hot(codes, codebook.shape[0]).to(ScalarType.Bool);
        // -inf removes the own code from the softmax exactly (the original subtracts 1e12).
        logits = logits.masked_fill(own, Letter.Common.TorchScalars.NegativeInfinity);
        return nn.functional.cross_entropy(logits, positives);
    }
}

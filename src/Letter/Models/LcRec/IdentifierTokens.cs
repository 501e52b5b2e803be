using Letter.Common;
using Letter.Data;
using static TorchSharp.torch;

namespace Letter.Models.LcRec;

/// <summary>
/// The identifier tokens a language model learns: one per code of each level (<c>&lt;a_0&gt;</c> ...
/// <c>&lt;d_255&gt;</c>), and the initial embedding rows for them.
/// </summary>
public static class IdentifierTokens
{
    /// <summary>Every code token of the index, level by level (codes 0 .. codebook size - 1 of each level).</summary>
    public static IReadOnlyList<string> For(ItemIndex index)
    {
        var sizes = index.CodebookSizes();
        return Enumerable.Range(0, index.Levels).SelectMany(l => Enumerable.Range(0, sizes[l]).Select(c => index.Token(l, c))).ToList();
    }

    /// <summary>
    /// <paramref name="count"/> new rows [count, D] drawn from a normal with the existing rows' mean and
    /// per-dimension standard deviation (a diagonal version of what transformers' resize_token_embeddings
    /// does with the full covariance): new tokens start where the model's tokens live, at their scale,
    /// distinct from each other; the draws come from a generator seeded with <paramref name="seed"/>.
    /// </summary>
    /// <param name="existing">[V0, D] the base model's rows, float32</param>
    public static Tensor NewRows(Tensor existing, int count, long seed)
    {
        using var scope = NewDisposeScope();
        var mean = existing.mean([0L]);                      // [D]
        var std = existing.std(0, unbiased: false);          // [D]
        using var generator = new Generator().manual_seed(seed);
        // drawn on the CPU by the CPU generator, so a seed gives the same rows on every device
        var noise = randn(new long[] { count, existing.shape[1] }, generator: generator, device: CPU).to(existing.device);
        return mean.Plus(noise * std).MoveToOuterDisposeScope();
    }
}

using Letter.Common;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Letter.Training;

/// <summary>
/// LETTER's ranking-guided generation loss: token cross-entropy of logits / tau, averaged over the
/// target tokens that are not ignored. A tau below 1 sharpens the softmax and weighs hard negatives
/// more; tau = 1 is TIGER's plain loss.
/// </summary>
public static class RankingGuidedLoss
{
    public const long Ignore = -100;

    /// <param name="logits">[B, T, V]</param>
    /// <param name="targets">[B, T] token ids, <see cref="Ignore"/> where no loss is taken</param>
    public static Tensor Compute(Tensor logits, Tensor targets, double temperature)
    {
        var v = logits.shape[^1];
        var scaled = logits.to_type(ScalarType.Float32).DividedBy(temperature);
        return F.cross_entropy(scaled.reshape(-1, v), targets.reshape(-1), ignore_index: Ignore);
    }
}

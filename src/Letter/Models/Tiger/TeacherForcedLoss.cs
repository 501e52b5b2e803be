using Letter.Generation;
using Letter.Training;
using static TorchSharp.torch;

namespace Letter.Models.Tiger;

/// <summary>
/// The ranking-guided loss of held-out samples with the target fed to the decoder (no decoding, no
/// dropout): what Hugging Face's Trainer reports as the original LETTER-TIGER's eval loss, and what
/// that code keeps its best checkpoint and stops early by. Cheap next to beam search, and a sign of
/// overfitting that ranking metrics hide.
/// </summary>
public static class TeacherForcedLoss
{
    /// <summary>
    /// Mean loss per target token over all samples. Every target has the same number of tokens (the
    /// codes and end-of-sequence), so a batch's mean weighted by its samples gives the token mean.
    /// </summary>
    /// <param name="inputs">encoded histories (any lengths; batched by length, so nothing is padded)</param>
    /// <param name="targets">encoded targets, one per input</param>
    public static double Compute(TigerModel model, IReadOnlyList<int[]> inputs, IReadOnlyList<int[]> targets, double temperature, int batchSize)
    {
        if (inputs.Count != targets.Count) throw new ArgumentException($"{inputs.Count} inputs but {targets.Count} targets");
        if (inputs.Count == 0) throw new ArgumentException("no samples to compute a loss on");
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var _ = no_grad();
            double sum = 0;
            foreach (var batch in LengthGroups.Sequential(inputs.Select(i => i.Length).ToList(), batchSize))
            {
                using var scope = NewDisposeScope();
                var labels = TigerBatch.Stack(targets, batch, model.Device);
                var loss = RankingGuidedLoss.Compute(model.Logits(TigerBatch.Stack(inputs, batch, model.Device), labels), labels, temperature);
                sum += loss.item<float>() * batch.Length;
            }
            return sum / inputs.Count;
        }
        finally
        {
            if (wasTraining) model.train();
        }
    }
}
